/**
 * Random programs of qxl evictions, run on the real kernel and on impl's TTM core, compared
 * line for line (kernel/FINDINGS.md, "qxl"). A program is a list of steps over up to eight bo
 * slots — QXL_ALLOC of a size drawn against the 4094-page VRAM manager, QXL_ALLOC_SURF (the
 * surface domain: the 256-page PRIV manager first, then VRAM), GEM_CLOSE, a byte
 * written or read through the bo's mapping, munmap — and prints the VRAM manager's layout
 * (debugfs qxl_mem_mm, then qxl_surf_mm after a `|`) after every alloc, close and munmap, and
 * every value read. All
 * programs go into one C binary (kernel/probes/qxl-evict.c's helpers); each opens card3
 * itself, so the driver's lastclose runs between them as between the executor's programs.
 *
 * Every program starts the same way: an over-sized QXL_ALLOC evicts every unpinned driver bo
 * (the ones lastclose validated again), which leaves the pinned ones (`[evicted]`, usually
 * `0+769f 301+768U 601+2555f ffc+1U ffd+1U`, but which bo the driver keeps pinned for its
 * primary surface depends on earlier programs), then every free hole is allocated exactly,
 * zero-filled and closed, so free VRAM reads zero. impl starts from the kernel's [evicted]
 * layout, its pinned bos placed where the kernel has them.
 *
 *   npx tsx kernel/qxl-evict-fuzz.ts [--seed S] [--runs N] [--steps K]
 */
import { PAGE_SIZE } from '../ir/uapi.ts';
import { QXL_GEM_DOMAIN_SURFACE, QXL_GEM_DOMAIN_VRAM, qxlBoCreate, qxlTtmInit } from '../impl/drivers/qxl/ttm.ts';
import { ctxOf, ttmBoInitValidate, ttmBoPin, ttmBoPut, ttmBoReserve, ttmBoUnreserve, type TtmBufferObject } from '../impl/ttm/bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmVmaTranslate, type TtmVma } from '../impl/ttm/bo_vm.ts';
import { place, placementOf, TTM_PL_PRIV, TTM_PL_VRAM } from '../impl/ttm/resource.ts';

export type Step =
  | { op: 'alloc'; slot: number; pages: number }
  /** QXL_ALLOC_SURF: the surface domain, PRIV (256 pages here) then VRAM */
  | { op: 'surf'; slot: number; pages: number }
  | { op: 'close'; slot: number }
  | { op: 'write'; slot: number; page: number; value: number }
  | { op: 'read'; slot: number; page: number }
  | { op: 'unmap'; slot: number };

/** The QEMU device the programs assume (4094-page VRAM manager, card3). */
export const QXL_FUZZ_DEVICE = 'qxl,ram_size_mb=16,vgamem_mb=8,vram_size_mb=1';
const SLOTS = 8;
/** sizes against the 4094-page manager with 768 + 2 pages pinned (holes of 769 and 2555) */
const SIZES = [1, 1, 2, 3, 16, 64, 256, 512, 700, 769, 770, 1024, 1024, 1500, 2000, 2555, 2556, 4094];
/** surfaces against the 256-page PRIV manager (and VRAM behind it) */
const SURF_SIZES = [1, 2, 16, 64, 100, 128, 200, 256, 257, 1024];

function rng(seed: string): () => number {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let x = h || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Program `index` of a seed: only steps valid for the slots' state (a live handle, a live mapping). */
export function programAt(seed: string, index: number, steps: number): Step[] {
  const r = rng(`${seed}/${index}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const slot: { handle: boolean; mapped: boolean; pages: number }[] = Array.from({ length: SLOTS }, () => ({ handle: false, mapped: false, pages: 0 }));
  const out: Step[] = [];
  while (out.length < steps) {
    const free = slot.map((s, i) => (!s.handle && !s.mapped ? i : -1)).filter((i) => i >= 0);
    const handles = slot.map((s, i) => (s.handle ? i : -1)).filter((i) => i >= 0);
    const touchable = slot.map((s, i) => (s.handle || s.mapped ? i : -1)).filter((i) => i >= 0);
    const mapped = slot.map((s, i) => (s.mapped ? i : -1)).filter((i) => i >= 0);
    const k = r();
    if ((k < 0.35 || !touchable.length) && free.length) {
      const i = pick(free);
      const surf = r() < 0.3;
      const pages = pick(surf ? SURF_SIZES : SIZES);
      out.push({ op: surf ? 'surf' : 'alloc', slot: i, pages });
      slot[i] = { handle: true, mapped: false, pages }; // a failed alloc: the steps after it see no handle (skipped at run time)
    } else if (k < 0.5 && handles.length) {
      const i = pick(handles);
      out.push({ op: 'close', slot: i });
      slot[i]!.handle = false;
    } else if (k < 0.58 && mapped.length) {
      const i = pick(mapped);
      out.push({ op: 'unmap', slot: i });
      slot[i]!.mapped = false;
    } else if (touchable.length) {
      const i = pick(touchable);
      const s = slot[i]!;
      const page = r() < 0.3 ? 0 : Math.floor(r() * s.pages);
      if (!s.mapped && !s.handle) continue;
      if (r() < 0.55) out.push({ op: 'write', slot: i, page, value: 1 + Math.floor(r() * 255) });
      else out.push({ op: 'read', slot: i, page });
      s.mapped = true; // the first access maps it (QXL_MAP + mmap of the whole bo)
    }
  }
  return out;
}

const STEP_CODE = { alloc: 0, close: 1, write: 2, read: 3, unmap: 4, surf: 5 } as const;

/** One C program running every program in turn, each between `== <i>` and `== end` lines. */
export function cSource(progs: readonly Step[][]): string {
  const rows = progs.map((p) => `  {${p.map((s) => `{${STEP_CODE[s.op]},${s.slot},${'pages' in s ? s.pages : 'page' in s ? s.page : 0},${s.op === 'write' ? s.value : 0}}`).join(',')},{-1,0,0,0}}`);
  const max = Math.max(1, ...progs.map((p) => p.length + 1));
  return `/* generated by kernel/qxl-evict-fuzz.ts */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
struct qxl_alloc { uint32_t size, handle; };
struct qxl_map { uint64_t offset; uint32_t handle, pad; };
struct gem_close { uint32_t handle, pad; };
struct qxl_alloc_surf { uint32_t format, width, height; int32_t stride; uint32_t handle, pad; };
#define QXL_ALLOC_SURF _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x46, sizeof(struct qxl_alloc_surf))
#define QXL_ALLOC _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x40, sizeof(struct qxl_alloc))
#define QXL_MAP _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x41, sizeof(struct qxl_map))
#define GEM_CLOSE _IOC(_IOC_WRITE, 'd', 0x09, sizeof(struct gem_close))
#define PG 4096u
static const int progs[${progs.length}][${max}][4] = {
${rows.join(',\n')}
};
static int fd;
static unsigned holes_s[256], holes_n[256], nholes;
static void dump(const char *file, int holes) {
  static char b[65536];
  int f = open(file, O_RDONLY);
  int n = f < 0 ? -1 : (int)read(f, b, sizeof b - 1);
  if (f >= 0) close(f);
  b[n > 0 ? n : 0] = 0;
  for (char *l = strtok(b, "\\n"); l; l = strtok(NULL, "\\n")) {
    unsigned long long s, e; unsigned c; char w[16];
    if (sscanf(l, "0x%llx-0x%llx: %u: %15s", &s, &e, &c, w) == 4) {
      printf(" %llx+%u%s", s, c, w[0] == 'u' ? "U" : "f");
      if (holes && w[0] != 'u' && nholes < 256) { holes_s[nholes] = (unsigned)s; holes_n[nholes++] = c; }
    }
  }
}
/* the VRAM manager, then the surface (PRIV) manager after a | */
static void layout(const char *tag) {
  printf("[%s]", tag);
  nholes = 0;
  dump("/sys/kernel/debug/dri/3/qxl_mem_mm", 1);
  printf(" |");
  dump("/sys/kernel/debug/dri/3/qxl_surf_mm", 0);
  printf("\\n");
}
static int alloc(uint32_t pages, uint32_t *h) {
  struct qxl_alloc a = {.size = pages * PG};
  int r = ioctl(fd, QXL_ALLOC, &a);
  *h = a.handle;
  return r ? -errno : 0;
}
/* size = |stride| * height + |stride| (qxl_alloc_surf_ioctl): stride one page, height pages - 1 */
static int alloc_surf(uint32_t pages, uint32_t *h) {
  struct qxl_alloc_surf a = {.format = 32, .width = 1024, .height = pages - 1, .stride = (int32_t)PG};
  int r = ioctl(fd, QXL_ALLOC_SURF, &a);
  *h = a.handle;
  return r ? -errno : 0;
}
static uint8_t *map(uint32_t h, uint32_t pages) {
  struct qxl_map q = {.handle = h};
  if (ioctl(fd, QXL_MAP, &q)) return NULL;
  uint8_t *p = mmap(NULL, (size_t)pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)q.offset);
  return p == MAP_FAILED ? NULL : p;
}
static int gclose(uint32_t h) {
  struct gem_close g = {.handle = h};
  return ioctl(fd, GEM_CLOSE, &g) ? -errno : 0;
}
int main(void) {
  for (int i = 0; i < ${progs.length}; i++) {
    printf("== %d\\n", i);
    fd = open("/dev/dri/card3", O_RDWR);
    if (fd < 0) { printf("open card3: %d\\n", errno); return 1; }
    uint32_t h, z[256];
    unsigned nz = 0;
    printf("evict all -> %d\\n", alloc(4096, &h));
    layout("evicted");
    /* zero every free hole: exact-size bos, largest first (best fit puts each into its hole) */
    for (;;) {
      int best = -1;
      for (unsigned j = 0; j < nholes; j++) if (holes_n[j] && (best < 0 || holes_n[j] > holes_n[best])) best = (int)j;
      if (best < 0) break;
      unsigned pages = holes_n[best];
      holes_n[best] = 0;
      if (alloc(pages, &z[nz])) { printf("scrub alloc %u failed\\n", pages); break; }
      uint8_t *m = map(z[nz], pages);
      if (m) { memset(m, 0, (size_t)pages * PG); munmap(m, (size_t)pages * PG); }
      nz++;
    }
    /* and the surface manager (free at start: the driver keeps nothing there) */
    if (!alloc_surf(256, &z[nz])) {
      uint8_t *m = map(z[nz], 256);
      if (m) { memset(m, 0, 256 * PG); munmap(m, 256 * PG); }
      nz++;
    } else printf("scrub surf failed\\n");
    for (unsigned j = 0; j < nz; j++) gclose(z[j]);
    layout("start");
    uint32_t hs[${SLOTS}] = {0}, np[${SLOTS}] = {0};
    uint8_t *ms[${SLOTS}] = {0};
    for (int k = 0; progs[i][k][0] >= 0; k++) {
      int op = progs[i][k][0], s = progs[i][k][1], a = progs[i][k][2], v = progs[i][k][3];
      switch (op) {
      case 0: { int r = alloc((uint32_t)a, &hs[s]); np[s] = r ? 0 : (uint32_t)a; if (r) hs[s] = 0;
        printf("%d alloc s%d %d -> %d\\n", k, s, a, r); layout("a"); break; }
      case 5: { int r = alloc_surf((uint32_t)a, &hs[s]); np[s] = r ? 0 : (uint32_t)a; if (r) hs[s] = 0;
        printf("%d surf s%d %d -> %d\\n", k, s, a, r); layout("s"); break; }
      case 1: if (!hs[s]) break; printf("%d close s%d -> %d\\n", k, s, gclose(hs[s])); hs[s] = 0; layout("c"); break;
      case 2: case 3:
        if (!ms[s] && hs[s]) ms[s] = map(hs[s], np[s]);
        if (!ms[s]) break;
        if (op == 2) ms[s][(size_t)a * PG] = (uint8_t)v;
        else printf("%d read s%d p%d = %x\\n", k, s, a, ms[s][(size_t)a * PG]);
        break;
      case 4: if (!ms[s]) break; munmap(ms[s], (size_t)np[s] * PG); ms[s] = 0; printf("%d unmap s%d\\n", k, s); layout("u"); break;
      }
      if (!hs[s] && !ms[s]) np[s] = 0;
    }
    close(fd); /* unmaps happen at exit of the loop below */
    for (int s = 0; s < ${SLOTS}; s++) if (ms[s]) munmap(ms[s], (size_t)np[s] * PG);
    printf("== end\\n");
  }
  return 0;
}
`;
}

export interface ImplRun {
  lines: string[];
  evictions: number;
}

/** The same program on impl's TTM core with qxl's hooks: its transcript and how many evictions it made. */
export function implTranscript(prog: readonly Step[], startLayout: string): ImplRun {
  const out: string[] = [];
  const bdev = qxlTtmInit(0xffe000 / PAGE_SIZE, 256);
  const vram = bdev.managers[TTM_PL_VRAM]!;
  const priv = bdev.managers[TTM_PL_PRIV]!;
  const dump = (man: typeof vram) => {
    const parts: string[] = [];
    let at = 0;
    for (const n of man.mm!.nodes()) {
      if (n.start > at) parts.push(`${at.toString(16)}+${n.start - at}f`);
      parts.push(`${n.start.toString(16)}+${n.size}U`);
      at = n.start + n.size;
    }
    if (at < man.size) parts.push(`${at.toString(16)}+${man.size - at}f`);
    return parts.map((x) => ` ${x}`).join('');
  };
  const layout = (tag: string) => out.push(`[${tag}]${dump(vram)} |${dump(priv)}`);
  // the kernel's layout after its over-sized QXL_ALLOC (the [evicted] line): only pinned
  // driver bos are left; they are taken as given, each pinned at its range
  const create = (pages: number) => qxlBoCreate(bdev, pages * PAGE_SIZE, QXL_GEM_DOMAIN_VRAM);
  out.push('evict all -> -12');
  for (const m of startLayout.split('|')[0]!.matchAll(/ ([0-9a-f]+)\+(\d+)U/g)) {
    const start = parseInt(m[1]!, 16);
    const pages = Number(m[2]);
    const b = ttmBoInitValidate(bdev, pages * PAGE_SIZE, 'kernel', placementOf(place(TTM_PL_VRAM, 0, start, start + pages)), ctxOf());
    if (typeof b === 'number') throw new Error(`cannot place ${pages} pages at ${m[1]}`);
    ttmBoReserve(b);
    ttmBoPin(b);
    ttmBoUnreserve(b);
  }
  layout('evicted');
  layout('start');
  const evictionsBefore = bdev.stats.evictions;
  const bos: (TtmBufferObject | null)[] = Array(SLOTS).fill(null);
  const vmas: (TtmVma | null)[] = Array(SLOTS).fill(null);
  prog.forEach((s, k) => {
    const i = s.slot;
    switch (s.op) {
      case 'alloc': {
        const b = create(s.pages);
        bos[i] = typeof b === 'number' ? null : b;
        out.push(`${k} alloc s${i} ${s.pages} -> ${typeof b === 'number' ? -12 : 0}`);
        layout('a');
        break;
      }
      case 'surf': {
        const b = qxlBoCreate(bdev, s.pages * PAGE_SIZE, QXL_GEM_DOMAIN_SURFACE);
        bos[i] = typeof b === 'number' ? null : b;
        out.push(`${k} surf s${i} ${s.pages} -> ${typeof b === 'number' ? -12 : 0}`);
        layout('s');
        break;
      }
      case 'close':
        if (!bos[i]) break;
        ttmBoPut(bos[i]!);
        bos[i] = null;
        out.push(`${k} close s${i} -> 0`);
        layout('c');
        break;
      case 'write':
      case 'read': {
        if (!vmas[i] && bos[i]) vmas[i] = ttmBoMmap(bos[i]!);
        const v = vmas[i];
        if (!v) break;
        const b = ttmVmaTranslate(v, s.page);
        if (b === 'SIGBUS') throw new Error(`SIGBUS at step ${k}`);
        if (s.op === 'write') b.store.writable(b.index)[0] = s.value;
        else out.push(`${k} read s${i} p${s.page} = ${(b.store.readable(b.index)?.[0] ?? 0).toString(16)}`);
        break;
      }
      case 'unmap':
        if (!vmas[i]) break;
        ttmBoVmClose(vmas[i]!);
        vmas[i] = null;
        out.push(`${k} unmap s${i}`);
        layout('u');
        break;
    }
  });
  return { lines: out, evictions: bdev.stats.evictions - evictionsBefore };
}

/** Largest free hole of each manager in a layout line ([tag] vram… | priv…). */
function largestHoles(layout: string): [number, number] {
  const [v = '', p = ''] = layout.split('|');
  const max = (x: string) => Math.max(0, ...[...x.matchAll(/\+(\d+)f/g)].map((m) => Number(m[1])));
  return [max(v), max(p)];
}

/** Allocations in a kernel transcript that succeeded without a free hole to take them. */
export function kernelEvictingAllocs(lines: readonly string[]): number {
  let last = '';
  let n = 0;
  for (const l of lines) {
    if (l.startsWith('[')) last = l;
    const m = /^\d+ (alloc|surf) s\d+ (\d+) -> 0$/.exec(l);
    if (!m || !last.startsWith('[')) continue;
    const [v, p] = largestHoles(last);
    const pages = Number(m[2]);
    if (m[1] === 'alloc' ? pages > v : pages > v && pages > p) n++;
  }
  return n;
}

/** The kernel's output split into programs (the lines between `== i` and `== end`). */
export function splitKernelOutput(output: readonly string[]): Map<number, string[]> {
  const progs = new Map<number, string[]>();
  let cur: string[] | null = null;
  for (const l of output) {
    const m = /^== (\d+)$/.exec(l);
    if (m) progs.set(Number(m[1]), (cur = []));
    else if (l === '== end') cur = null;
    else cur?.push(l);
  }
  return progs;
}

export interface FuzzResult {
  runs: number;
  agreed: number;
  /** the first differing line of each program that disagreed */
  diverged: { index: number; line: number; kernel: string | undefined; impl: string | undefined }[];
  /** evictions impl made in the agreeing programs, and how many of them evicted at all */
  evictions: number;
  programsEvicting: number;
  /** seen on the kernel: allocations that succeeded although no free hole before them was
   * large enough (so they evicted), and the programs with at least one */
  kernelEvictingAllocs: number;
  kernelProgramsEvicting: number;
  ms: number;
}

/** Runs `runs` programs of a seed on a booted guest that has QXL_FUZZ_DEVICE, in binaries of `chunk` programs. */
export async function runQxlFuzz(
  vm: { runC(src: string, o: { name?: string; timeoutMs?: number }): Promise<{ output: string[]; status: unknown; finding?: unknown }> },
  seed: string,
  runs: number,
  steps: number,
  chunk = 50,
): Promise<FuzzResult> {
  const t0 = Date.now();
  const res: FuzzResult = { runs, agreed: 0, diverged: [], evictions: 0, programsEvicting: 0, kernelEvictingAllocs: 0, kernelProgramsEvicting: 0, ms: 0 };
  for (let from = 0; from < runs; from += chunk) {
    const progs = Array.from({ length: Math.min(chunk, runs - from) }, (_, j) => programAt(seed, from + j, steps));
    const r = await vm.runC(cSource(progs), { name: 'qxl-fuzz', timeoutMs: 600_000 });
    if (r.finding) throw new Error(`kernel finding: ${JSON.stringify(r.finding)}`);
    const got = splitKernelOutput(r.output);
    progs.forEach((p, j) => {
      const index = from + j;
      const k = got.get(j) ?? [];
      const ev = kernelEvictingAllocs(k);
      res.kernelEvictingAllocs += ev;
      if (ev) res.kernelProgramsEvicting++;
      const im = implTranscript(p, k.find((l) => l.startsWith('[evicted]')) ?? '');
      const n = Math.max(k.length, im.lines.length);
      for (let l = 0; l < n; l++) {
        if (k[l] !== im.lines[l]) {
          res.diverged.push({ index, line: l, kernel: k[l], impl: im.lines[l] });
          return;
        }
      }
      res.agreed++;
      res.evictions += im.evictions;
      if (im.evictions) res.programsEvicting++;
    });
  }
  res.ms = Date.now() - t0;
  return res;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, d: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1]! : d;
  };
  const seed = arg('--seed', '1');
  const runs = Number(arg('--runs', '200'));
  const steps = Number(arg('--steps', '24'));
  const { KernelVm } = await import('./vm.ts');
  const vm = new KernelVm({ extraQemuArgs: ['-device', QXL_FUZZ_DEVICE] });
  try {
    const boot = await vm.start();
    const r = await runQxlFuzz(vm, seed, runs, steps);
    console.log(`qxl evictions, seed ${seed}: ${r.agreed}/${r.runs} programs agree (kernel ≡ impl, line for line); boot ${boot} ms, ${r.ms} ms for the programs (${((r.runs * 1000) / r.ms).toFixed(1)} programs/s)`);
    console.log(`notes: on the kernel ${r.kernelEvictingAllocs} allocations in ${r.kernelProgramsEvicting} programs succeeded only by evicting (no free hole was large enough); impl evicted ${r.evictions} bos in ${r.programsEvicting} of the agreeing programs (layouts matched after every step)`);
    for (const d of r.diverged.slice(0, 10)) console.log(`program ${d.index} line ${d.line}:\n  kernel: ${d.kernel}\n  impl:   ${d.impl}\n  steps: ${JSON.stringify(programAt(seed, d.index, steps))}`);
  } finally {
    await vm.stop();
  }
}
