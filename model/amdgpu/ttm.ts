/**
 * TTM under amdgpu, as small as it can be (docs/amdgpu.md "Memory managers", "Validate",
 * "Eviction", "LRU order"): managers are page counts summed over the bos that hold memory,
 * LRU lists are arrays keyed by (manager, priority), placement is a list of places scanned in
 * order. Contents belong to the bo, so a move copies nothing here.
 */
export type Mem = 'sys' | 'gtt' | 'vram' | 'gds' | 'gws' | 'oa';
/** A place: manager, VRAM window (lpfn = vis → 'vis', fpfn = vis → 'invis'), TOPDOWN and
 * TTM_PL_FLAG_CONTIGUOUS. */
export interface Place {
  readonly mem: Mem;
  readonly win: 'any' | 'vis' | 'invis';
  readonly topdown: boolean;
  readonly contig?: boolean;
}

/** A context: its next sequence number. */
export interface AmdCtx {
  next: number;
}

export interface Job {
  /** its context (an id freed and allocated again names a new one) */
  readonly ctx: AmdCtx;
  readonly seq: number;
  readonly bos: readonly AmdBo[];
  done: boolean;
}

export interface AmdBo {
  readonly dev: AmdDev;
  readonly kind: 'device' | 'userptr' | 'sg';
  /** resource pages (on-chip: units) */
  readonly pages: number;
  /** GET_GEM_CREATE_INFO's size and alignment */
  readonly infoSize: bigint;
  readonly infoAlign: bigint;
  preferred: number;
  allowed: number;
  flags: number;
  readonly priority: number;
  pins: number;
  mem: Mem;
  /** pages of the VRAM resource that are CPU-visible */
  vis: number;
  /** the resource was allocated by a TTM_PL_FLAG_CONTIGUOUS place (res->placement) */
  contig: boolean;
  /** VM_ALWAYS_VALID: the id of the file whose VM it belongs to (its resv is that VM root's) */
  readonly vmFile: number | null;
  /** a pipelined blit moved it while busy: the move's fence signals with this job (sim) */
  moving: Job | null;
  /** released while busy (ttm_bo_release → delayed destroy): memory held, no object */
  zombie: boolean;
  /** bo->ttm exists: made by a move to GTT/SYSTEM, a purge or a CPU fault there; a blit into
   * VRAM leaves it to the ghost. A SYSTEM bo without one moves by ttm_bo_move_null. */
  hasTt: boolean;
  /** the contents (shared with the GEM object's page map) */
  readonly contents: Map<number, Uint8Array>;
}

export interface AmdDev {
  readonly vram: number;
  readonly visible: number;
  readonly sizes: Readonly<Record<Mem, number>>;
  /** every bo that exists (zombies included), in creation order */
  readonly bos: AmdBo[];
  /** (manager, priority) → LRU list, head first */
  readonly lru: Map<string, AmdBo[]>;
  readonly jobs: Job[];
  /** amdgpu_ctx_mgr per file: file id → ctx id → next sequence number */
  readonly ctxs: Map<number, Map<number, AmdCtx>>;
}

export const CREATE = { CPU_ACCESS_REQUIRED: 1, NO_CPU_ACCESS: 2, CPU_GTT_USWC: 4, VRAM_CLEARED: 8, VRAM_CONTIGUOUS: 0x20, VM_ALWAYS_VALID: 0x40, EXPLICIT_SYNC: 0x80, ENCRYPTED: 0x400, DISCARDABLE: 0x1000 } as const;
export const DOMAIN: Readonly<Record<Mem, number>> = { sys: 1, gtt: 2, vram: 4, gds: 8, gws: 0x10, oa: 0x20 };

export function newAmdDev(p: Readonly<Record<string, number>>): AmdDev {
  const vram = Math.floor(p.vram_kib / 4);
  const visible = Math.min(Math.floor(p.visible_kib / 4), vram); // clamped to vram_kib
  const sizes = { sys: Infinity, gtt: Math.floor(p.gtt_kib / 4), vram, gds: p.gds, gws: p.gws, oa: p.oa };
  return { vram, visible, sizes, bos: [], lru: new Map(), jobs: [], ctxs: new Map() };
}

/** Pages of manager `mem` in use (and of them, visible): a sum over the bos holding memory. */
export function used(d: AmdDev, mem: Mem): { pages: number; vis: number } {
  let pages = 0;
  let vis = 0;
  for (const b of d.bos) if (b.mem === mem) (pages += b.pages), (vis += b.vis);
  return { pages, vis };
}

const lruKey = (b: AmdBo) => `${b.mem}:${b.priority}`;

/** ttm_bo_move_to_lru_tail / ttm_resource_move_to_lru_tail: to the tail of its list; pinned
 * bos go to bdev->pinned (on no list). */
export function touch(b: AmdBo): void {
  for (const l of b.dev.lru.values()) {
    const i = l.indexOf(b);
    if (i >= 0) l.splice(i, 1);
  }
  if (b.pins > 0 || !b.dev.bos.includes(b)) return;
  const l = b.dev.lru.get(lruKey(b)) ?? [];
  b.dev.lru.set(lruKey(b), l);
  l.push(b);
}

/** amdgpu_bo_placement_from_domain: VRAM, GTT, CPU, GDS, GWS, OA; VRAM visible-only with
 * CPU_ACCESS_REQUIRED, else TOPDOWN; no domain bit → CPU. */
export function placement(d: AmdDev, flags: number, domains: number): Place[] {
  const ps: Place[] = [];
  const order: Mem[] = ['vram', 'gtt', 'sys', 'gds', 'gws', 'oa'];
  for (const mem of order) {
    if (!(domains & DOMAIN[mem])) continue;
    const contig = (flags & CREATE.VRAM_CONTIGUOUS) !== 0; // VRAM_CONTIGUOUS → TTM_PL_FLAG_CONTIGUOUS
    if (mem !== 'vram') ps.push({ mem, win: 'any', topdown: false });
    else if (flags & CREATE.CPU_ACCESS_REQUIRED) ps.push(vramPlace(d, 'vis', false, contig));
    else ps.push({ mem, win: 'any', topdown: true, contig });
  }
  return ps.length ? ps : [{ mem: 'sys', win: 'any', topdown: false }];
}

/** A VRAM place with lpfn or fpfn = vis; with vis = 0 that is 0, which TTM reads as "no limit". */
export function vramPlace(d: AmdDev, win: 'vis' | 'invis', topdown: boolean, contig = false): Place {
  return { mem: 'vram', win: d.visible === 0 ? 'any' : win, topdown, contig };
}

/** ttm_resource_compatible: same manager, the window holds every page, and a CONTIGUOUS place
 * wants a resource allocated CONTIGUOUS (ttm_resource_compat). */
export function compatibleWith(b: AmdBo, p: Place): boolean {
  if (b.mem !== p.mem) return false;
  if (p.contig && !b.contig) return false;
  return p.win === 'vis' ? b.vis === b.pages : p.win === 'invis' ? b.vis === 0 : true;
}

/** amdgpu_ttm_bo_eviction_valuable → the default range check ("each drm MM node"). */
function intersects(b: AmdBo, p: Place): boolean {
  if (p.mem !== 'vram') return true;
  return p.win === 'vis' ? b.vis > 0 : p.win === 'invis' ? b.vis < b.pages : true;
}

/** The manager's allocator (amdgpu_vram_mgr_new, amdgpu_gtt_mgr_new, range managers):
 * counts, never fragments. The bo's old resource is still held while the new one is taken. */
type Res = { mem: Mem; vis: number; contig: boolean };
function alloc(b: AmdBo, p: Place): Res | null {
  const d = b.dev;
  const u = used(d, p.mem);
  const contig = p.contig === true; // ttm_resource_init: res->placement = place->flags
  if (p.mem !== 'vram') return u.pages + b.pages <= d.sizes[p.mem] ? { mem: p.mem, vis: 0, contig } : null;
  const freeVis = d.visible - u.vis;
  const freeInv = d.vram - d.visible - (u.pages - u.vis);
  const n = b.pages;
  if (p.win === 'vis') return n <= freeVis ? { mem: 'vram', vis: n, contig } : null;
  if (p.win === 'invis') return n <= freeInv ? { mem: 'vram', vis: 0, contig } : null;
  if (n > freeVis + freeInv) return null;
  return { mem: 'vram', vis: p.topdown ? n - Math.min(n, freeInv) : Math.min(n, freeVis), contig };
}

/** amdgpu_gem_timeout: an absolute CLOCK_MONOTONIC time in ns; the sim clock reads 2^40 ns, so
 * an earlier time polls (like 0) and any other waits (≥ 2^63: forever — the same here). */
export const polls = (timeout: bigint): boolean => timeout < 1n << 40n;

export function busy(b: AmdBo): boolean {
  return b.dev.jobs.some((j) => !j.done && j.bos.includes(b));
}

/** One gfx ring (sim): completing a job completes every job submitted before it. Zombies
 * left idle are destroyed (ttm_bo_delayed_delete). */
export function completeJob(d: AmdDev, job: Job): void {
  for (const j of d.jobs.slice(0, d.jobs.indexOf(job) + 1)) j.done = true;
  for (const b of [...d.bos]) if (b.zombie && !busy(b)) destroy(b);
}

/** Every job completes (the device's last file was released; sim). */
export function gpuIdle(d: AmdDev): void {
  for (const j of d.jobs) if (!j.done) completeJob(d, j);
}

/** ttm_bo_wait (no timeout): the GPU finishes every job fencing the bo (sim). */
export function waitIdle(b: AmdBo): void {
  for (const j of b.dev.jobs) if (!j.done && j.bos.includes(b)) completeJob(b.dev, j);
}

/** The memory goes (ttm_bo_cleanup_memtype_use). */
export function destroy(b: AmdBo): void {
  const i = b.dev.bos.indexOf(b);
  if (i >= 0) b.dev.bos.splice(i, 1);
  touch(b); // off every list
}

/** ttm_bo_release: idle → freed now; busy → a zombie holding its memory until its fences
 * signal, unpinned and (if it was pinned) put back at its LRU tail. */
export function release(b: AmdBo): void {
  if (!busy(b)) return destroy(b);
  b.zombie = true;
  if (b.pins) (b.pins = 0), touch(b);
}

function setResource(b: AmdBo, r: Res): void {
  const from = b.mem;
  const nullMove = from === 'sys' && !b.hasTt; // ttm_bo_move_null
  // amdgpu_move_blit (VRAM → GTT or VRAM, GTT or a tt'd SYSTEM → VRAM): pipelined, so
  // a busy bo has a pending move that signals with its last job (sim: the ring is in order)
  const blit = !nullMove && ((from === 'vram' && (r.mem === 'gtt' || r.mem === 'vram')) || (r.mem === 'vram' && (from === 'gtt' || from === 'sys')));
  if (blit && busy(b)) b.moving = b.dev.jobs.filter((j) => !j.done && j.bos.includes(b)).pop()!;
  // amdgpu_bo_move: GTT → SYSTEM (also the second hop of VRAM → SYSTEM) waits for the bo
  // (ttm_bo_wait_ctx) before unbinding
  if (r.mem === 'sys' && (from === 'gtt' || from === 'vram')) waitIdle(b);
  // amdgpu_bo_move: unless it is a null move (SYSTEM without a tt), a device bo moved into
  // VRAM from elsewhere loses CPU_ACCESS_REQUIRED ("amdgpu_bo_fault_reserve_notify will
  // re-set this")
  if (b.kind === 'device' && r.mem === 'vram' && from !== 'vram' && !(from === 'sys' && !b.hasTt)) b.flags &= ~CREATE.CPU_ACCESS_REQUIRED;
  if (r.mem === 'sys' || r.mem === 'gtt') b.hasTt = true; // ttm_bo_handle_move_mem / ttm_bo_validate: ttm_tt_create
  else if (r.mem === 'vram') b.hasTt = false; // ttm_bo_move_to_ghost: the ghost keeps the old tt
  b.mem = r.mem;
  b.vis = r.vis;
  b.contig = r.contig;
  touch(b); // the new resource goes to the LRU tail (ttm_resource_alloc → ttm_resource_add_bulk_move / lru tail)
}

/** amdgpu_evict_flags: null = empty placement (purge); else [idle places, busy places]. */
function evictFlags(b: AmdBo): [Place[], Place[]] | null {
  const d = b.dev;
  if (b.kind === 'sg' || b.flags & CREATE.DISCARDABLE || b.mem === 'gds' || b.mem === 'gws' || b.mem === 'oa') return null;
  const gtt: Place = { mem: 'gtt', win: 'any', topdown: false };
  const cpu: Place = { mem: 'sys', win: 'any', topdown: false };
  if (b.mem === 'vram') {
    // amdgpu_bo_in_cpu_visible_vram: *partly* visible (some page below vis)
    if (d.visible < d.vram && !(b.flags & CREATE.CPU_ACCESS_REQUIRED) && b.vis > 0) return [[vramPlace(d, 'invis', false), gtt, cpu], [gtt]];
    return [[gtt, cpu], [gtt, cpu]];
  }
  return [[cpu], [cpu]];
}

/** ttm_bo_evict: purge, or move the victim to evict_flags; a busy victim's move is pipelined
 * behind its jobs (amdgpu_move_blit) unless it waits (purge; GTT → SYSTEM in setResource). */
function evict(b: AmdBo, reserved: ReadonlySet<AmdBo>): void {
  const fl = evictFlags(b);
  if (!fl) {
    // ttm_bo_wait_ctx, then ttm_bo_pipeline_gutting: the backing is dropped; the bo is left
    // in SYSTEM, zeroed
    waitIdle(b);
    b.contents.clear();
    return setResource(b, { mem: 'sys', vis: 0, contig: false });
  }
  const r = memSpace(b, fl[0], fl[1], new Set([...reserved, b]));
  if (r) setResource(b, r); // the idle list ends with CPU, which never fails
}

/** ttm_mem_evict_first: the first evictable bo of the manager's lists, priority 0 → 3, head
 * first; skips bos reserved by this operation and (VRAM) those outside the place's window.
 * Pinned bos are skipped (most are on bdev->pinned, no list). false = no candidate (EBUSY: the caller moves on). */
function evictFirst(d: AmdDev, p: Place, reserved: ReadonlySet<AmdBo>): boolean {
  for (let prio = 0; prio < 4; prio++) {
    for (const b of d.lru.get(`${p.mem}:${prio}`) ?? []) {
      // ttm_bo_evict_swapout_allowable (reserved), eviction_valuable (window); a bo pinned
      // without an unreserve since is still on its list (amdgpu_dma_buf_pin): ttm skips it
      if (reserved.has(b) || b.pins || !intersects(b, p)) continue;
      if (b.zombie) waitIdle(b); // ttm_bo_cleanup_refs: wait, then the memory goes
      else evict(b, reserved);
      return true;
    }
  }
  return false;
}

/** ttm_bo_mem_space: pass 1 over `places` without eviction, pass 2 over `busyPlaces`
 * evicting (ttm_bo_mem_force_space) until the place fits or nothing is left to evict.
 * TEMPORARY (multihop) GTT bounces are unlimited and leave no trace, so they are not modelled. */
function memSpace(b: AmdBo, places: readonly Place[], busyPlaces: readonly Place[], reserved: ReadonlySet<AmdBo>): Res | null {
  for (const p of places) {
    const r = alloc(b, p);
    if (r) return r;
  }
  for (const p of busyPlaces) {
    for (;;) {
      const r = alloc(b, p);
      if (r) return r;
      if (!evictFirst(b.dev, p, reserved)) break;
    }
  }
  return null;
}

/** ttm_bo_validate (6.1): compatible → 0; pinned → EINVAL; else move, ENOSPC → ENOMEM.
 * `reserved`: the bos this operation holds locked (never evicted by it). */
export function validate(b: AmdBo, places: readonly Place[], busyPlaces: readonly Place[] = places, reserved: ReadonlySet<AmdBo> = new Set([b])): 0 | 'EINVAL' | 'ENOMEM' {
  if (![...places, ...busyPlaces].some((p) => compatibleWith(b, p))) {
    if (b.pins) return 'EINVAL';
    const r = memSpace(b, places, busyPlaces, new Set([...reserved, b]));
    if (!r) return 'ENOMEM';
    setResource(b, r); // the move: new resource, old freed, CPU mappings zapped (no model state)
  }
  // ttm_bo_validate (6.1), "We might need to add a TTM": a bo left in SYSTEM gets a tt, so a
  // CPU bo's first move to VRAM is a real move, not ttm_bo_move_null
  if (b.mem === 'sys') b.hasTt = true;
  return 0;
}
