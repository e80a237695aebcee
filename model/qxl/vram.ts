/**
 * The model's qxl memory (drivers/gpu/drm/qxl/qxl_ttm.c, qxl_object.c on TTM, 6.1), as plain
 * lists, O(n) everywhere: two range managers — VRAM (the RAM BAR's IO pages) and PRIV (the
 * surface BAR) — each a sorted list of used ranges (a bo, or a pinned driver bo), the bytes its
 * pages hold (device memory: they outlive the bo that wrote them) and an LRU of the bos placed
 * in it, in the order they entered it. The rules, each seen on Linux 6.1 (kernel/FINDINGS.md,
 * "TTM evictions"):
 *  - placement: a bo of at most one page goes to the top of the highest-addressed hole that fits
 *    (TTM_PL_FLAG_TOPDOWN → DRM_MM_INSERT_HIGH), any other to the start of the smallest hole that
 *    fits, the most recently made one among equals (DRM_MM_INSERT_BEST);
 *  - ttm_bo_mem_space: every place without evicting, then every place evicting its manager's
 *    LRU head (the oldest bo there) until the bo fits or nothing is left (→ ENOMEM);
 *  - an evicted bo goes to SYSTEM with a copy of its pages (ttm_bo_move_memcpy); the manager's
 *    bytes stay; a new bo placed in a manager shows what its range holds (ttm_bo_move_null);
 *  - pinned driver bos never move; nothing in these ioctls brings a bo back into VRAM.
 * The executor starts every program from the same state (executor/PROTOCOL.md, "qxl"): the
 * driver's pinned bos only, every free page zero — what newQxlDev builds.
 */
import { PAGE_SIZE } from '../../ir/uapi.ts';

export type QxlPlace = 'vram' | 'priv' | 'system';

export interface QxlBo {
  readonly pages: number;
  place: QxlPlace;
  /** first page in its manager (vram, priv) */
  start: number;
  /** its pages while in SYSTEM (the MObject's own page map) */
  readonly sys: Map<number, Uint8Array>;
}

interface Range {
  readonly start: number;
  readonly pages: number;
  /** null: a pinned driver bo */
  readonly bo: QxlBo | null;
}

export interface QxlMan {
  readonly size: number;
  /** used ranges, by address */
  used: Range[];
  /** the manager's pages (device memory); absent pages are zero */
  readonly mem: Map<number, Uint8Array>;
  /** bos placed here, oldest first */
  lru: QxlBo[];
  /** when each free hole ("start+size") was made: drm_mm's best fit takes the newest of equals */
  holeSeq: Map<string, number>;
  seq: number;
}

export interface QxlDev {
  readonly vram: QxlMan;
  readonly priv: QxlMan;
  /** bos moved out of a manager to make room (the run's count, for the summary) */
  evictions: number;
}

/** QEMU rounds both BARs up to a power of two (qxl_init_ramsize). */
const pow2ceil = (x: number) => 2 ** Math.ceil(Math.log2(x));

function holesOf(man: QxlMan): { start: number; size: number }[] {
  const out: { start: number; size: number }[] = [];
  let at = 0;
  for (const r of man.used) {
    if (r.start > at) out.push({ start: at, size: r.start - at });
    at = r.start + r.pages;
  }
  if (at < man.size) out.push({ start: at, size: man.size - at });
  return out;
}

/** After a change: holes that are new (split, merged or freed) are the newest. */
function refresh(man: QxlMan): void {
  const next = new Map<string, number>();
  for (const h of holesOf(man)) {
    const k = `${h.start}+${h.size}`;
    next.set(k, man.holeSeq.get(k) ?? ++man.seq);
  }
  man.holeSeq = next;
}

function insert(man: QxlMan, r: Range): void {
  man.used.push(r);
  man.used.sort((a, b) => a.start - b.start);
  refresh(man);
}

function newMan(size: number, pinned: readonly (readonly [number, number])[]): QxlMan {
  const man: QxlMan = { size, used: [], mem: new Map(), lru: [], holeSeq: new Map(), seq: 0 };
  for (const [start, pages] of pinned) insert(man, { start, pages, bo: null });
  return man;
}

/**
 * The state every program starts from, for the device's parameters. VRAM is the RAM BAR less
 * its 2-page RAM header ("RAM header offset: 0xffe000" for 16 MiB); what stays pinned after the
 * executor evicted the driver's other bos is the 768-page primary surface at page 0x301 (boot
 * placed two 769-page bos around it) and the two highest one-page bos. The executor's scrub
 * freed the holes largest first, so the larger is the older.
 */
export function newQxlDev(params: Readonly<Record<string, number>>): QxlDev {
  const vramPages = pow2ceil(params.ram_size_mb!) * 256 - 2;
  const vram = newMan(vramPages, [[0x301, 768], [vramPages - 2, 1], [vramPages - 1, 1]]);
  // the scrub's frees, in its order: each hole made again, the largest first (oldest)
  vram.holeSeq = new Map(
    holesOf(vram)
      .sort((a, b) => b.size - a.size)
      .map((h, i) => [`${h.start}+${h.size}`, i + 1]),
  );
  vram.seq = vram.holeSeq.size;
  return { vram, priv: newMan(pow2ceil(params.vram_size_mb!) * 256, []), evictions: 0 };
}

/** ttm_range_man_alloc: the first page for `pages` in this manager without evicting, or null. */
function fit(man: QxlMan, pages: number, topdown: boolean): number | null {
  const hs = holesOf(man).filter((h) => h.size >= pages);
  if (!hs.length) return null;
  if (topdown) {
    const h = hs[hs.length - 1]!; // DRM_MM_INSERT_HIGH: the highest hole, at its top
    return h.start + h.size - pages;
  }
  const seq = (h: { start: number; size: number }) => man.holeSeq.get(`${h.start}+${h.size}`)!;
  const h = hs.reduce((a, b) => (b.size < a.size || (b.size === a.size && seq(b) > seq(a)) ? b : a));
  return h.start;
}

function place(man: QxlMan, which: 'vram' | 'priv', bo: QxlBo, start: number): void {
  insert(man, { start, pages: bo.pages, bo });
  man.lru.push(bo);
  bo.place = which;
  bo.start = start;
}

/** Takes a bo out of its manager (the bytes stay). */
function leave(q: QxlDev, bo: QxlBo): void {
  if (bo.place === 'system') return;
  const man = q[bo.place];
  man.used = man.used.filter((r) => r.bo !== bo);
  man.lru = man.lru.filter((b) => b !== bo);
  refresh(man);
}

/** ttm_bo_evict to SYSTEM by ttm_bo_move_memcpy: every page copied (a zero page as zeros). */
function evict(q: QxlDev, bo: QxlBo): void {
  const man = q[bo.place as 'vram' | 'priv'];
  bo.sys.clear();
  for (let i = 0; i < bo.pages; i++) {
    const b = man.mem.get(bo.start + i);
    if (b) bo.sys.set(i, b.slice());
  }
  leave(q, bo);
  bo.place = 'system';
  q.evictions++;
}

/** qxl_ttm_placement_from_domain: VRAM; the surface domain PRIV then VRAM; else SYSTEM. */
export type QxlDomain = 'vram' | 'surface' | 'cpu';

/**
 * qxl_bo_create → ttm_bo_init_validate: the bo in its domain, or ENOMEM (the only failure
 * qxl's ioctls report). A bo of at most one page is TOPDOWN.
 */
export function qxlBoCreate(q: QxlDev, bytes: number, domain: QxlDomain, sys: Map<number, Uint8Array>): QxlBo | null {
  const pages = Math.ceil(bytes / PAGE_SIZE);
  const bo: QxlBo = { pages, place: 'system', start: 0, sys };
  if (domain === 'cpu') return bo;
  const places: ('vram' | 'priv')[] = domain === 'surface' ? ['priv', 'vram'] : ['vram'];
  const topdown = pages <= 1;
  for (const p of places) {
    const s = fit(q[p], pages, topdown);
    if (s !== null) return place(q[p], p, bo, s), bo;
  }
  for (const p of places) {
    for (;;) {
      const s = fit(q[p], pages, topdown);
      if (s !== null) return place(q[p], p, bo, s), bo;
      const victim = q[p].lru[0];
      if (!victim) break;
      evict(q, victim);
    }
  }
  return null;
}

/** ttm_bo_release: its range is free again (the bytes stay). */
export function qxlBoFree(q: QxlDev, bo: QxlBo): void {
  leave(q, bo);
}

/** The page a CPU access to page `i` of the bo reaches, where the bo is now (null: zero). */
export function qxlPage(q: QxlDev, bo: QxlBo, i: number, create: boolean): Uint8Array | undefined {
  const store = bo.place === 'system' ? bo.sys : q[bo.place].mem;
  const at = bo.place === 'system' ? i : bo.start + i;
  let b = store.get(at);
  if (!b && create) store.set(at, (b = new Uint8Array(PAGE_SIZE)));
  return b;
}
