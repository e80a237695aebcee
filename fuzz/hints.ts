/**
 * The few generation rules the call descriptions cannot state (syzkaller keeps such quirks in
 * target hooks): which device an open names and the file limit, mmap of a dma-buf (a plain
 * offset, not a fake one), and PRIME imports aimed at another device. Everything else —
 * owners, sizes, constructors, integer domains, primary-node fds — comes from the tables.
 */
import { CALLS, type ArgDesc, type OpName, type Uapi } from '../ir/calls.ts';
import { lit, type Arg } from '../ir/program.ts';
import { resOf, type Res } from './analysis.ts';
import type { Filled, ProgramBuilder } from './generate.ts';
import { chance, pick, weighted } from './rand.ts';

/** What a constructed resource must be. */
export interface Need {
  /** an fd on a primary node (for ioctls without DRM_RENDER_ALLOW) */
  readonly primary?: boolean;
  /** an fd on this device (a foreign importer) */
  readonly dev?: bigint;
  /** the buffer (a handle) a call inserted to move it names (MOVES) */
  readonly buffer?: Res;
}

/** The call being generated: its arguments so far and the resources they name. */
export interface CallCtx {
  readonly op: OpName;
  readonly need?: Need;
  readonly args: (Arg | undefined)[];
  readonly res: (Res | undefined)[];
  at(name: string): number;
}

export interface CallHint {
  /** A call that cannot be made now, and the one made instead. */
  instead?(g: ProgramBuilder): OpName | undefined;
  /** Runs before the generic argument filling; may fill some arguments itself. */
  before?(g: ProgramBuilder, c: CallCtx): void;
  /** Per-argument fillers; undefined falls back to the generic one. */
  args?: Readonly<Record<string, (g: ProgramBuilder, c: CallCtx) => Filled | undefined>>;
}

const maxFiles = (g: ProgramBuilder) => g.o.maxFiles ?? 3;
const fdArg = { name: 'fd', kind: 'fd' } as const;

/** An fd on another device than `dev` (a foreign importer): an existing one, or a new open()
 * of the next device; past the file limit, any fd. */
function fdOfOtherDevice(g: ProgramBuilder, dev: bigint): Filled {
  const devices = BigInt(g.o.devices);
  const others = g.st.pool.filter((f) => f.kind === 'fd' && f.dev !== undefined && f.dev !== dev && f.dev < devices);
  if (others.length && !chance(g.r, 0.2)) {
    const x = pick(g.r, others);
    return { arg: x.arg, res: x };
  }
  if (!g.canMake('open')) return g.fill(fdArg);
  const made = g.construct('fd', { dev: (dev + 1n) % devices });
  return made ? { arg: made.arg, res: made } : g.fill(fdArg);
}

/**
 * Call weights where a device offers a uapi, over the descriptions' own (the larger wins):
 * amdgpu's buffers live in TTM, where a CPU access is a fault (ttm_bo_vm_fault) and, after
 * the bo moved, a refault to its new placement — so on amdgpu the calls that map and touch a
 * buffer weigh more than on shmem devices, whose pages never move.
 */
export const UAPI_WEIGHTS: Partial<Record<Uapi, Partial<Record<OpName, number>>>> = {
  amdgpu: { read: 66, write: 66, mmap: 18, amdgpu_gem_mmap: 14, amdgpu_bo_pin: 6, amdgpu_gem_op: 6, amdgpu_gem_create: 90, amdgpu_cs: 24 },
};

/**
 * Drivers whose ioctls go mostly to an fd of a device that has the driver, where the program's
 * devices are mixed (generate.ts fdOpts; else the fd is any recent one, and on the others the
 * ioctl is EINVAL in dispatch): amdgpu's buffers must exist for its TTM to evict, move and
 * refault with a second device in the program. (vgem and nvdla are not listed: their mixed
 * programs — vgem+cirrus is judged against Linux — keep the streams they were measured with.)
 */
export const DRIVER_FDS: readonly Uapi[] = ['amdgpu'];

/** Share of CPU accesses that repeat an earlier access's mapping and offset. */
const REACCESS = 0.35;
/** Where a call may move buffers (MOVES): the share of CPU accesses that touch again a buffer
 * accessed before — through the same mapping, at the same offset — after a call that may have
 * moved it (one made since, or one inserted now). */
const REFAULT = 0.95;
/** With no cleanly mapped access before (handleOf, sharedFor): the share of accesses that
 * still draw a refault (REFAULT) of another one. */
const DIRTY = 0.1;
/** Share of refaults that rely on a call since the earlier access (it may not have moved the
 * buffer: a CS leaves a bo where it prefers) rather than insert a fresh one. */
const AGAIN = 0.1;
/** Share of the other accesses (no refault) that go through a cleanly made mapping, if any. */
const CLEAN_MAP = 0.9;
/** Share of the buffer arguments of MOVES calls that name a buffer accessed through a mapping. */
const MOVE_MAPPED = 0.5;

/**
 * Calls that may move a buffer object, the argument naming it, and how often each is the one
 * inserted between two accesses. A move zaps every CPU mapping of the bo
 * (ttm_bo_unmap_virtual from ttm_bo_handle_move_mem), so the next access through one refaults
 * (ttm_bo_vm_fault_reserved) to the new placement: a CS validates its list into the preferred
 * domains and evicts others to make room (amdgpu_cs_bo_validate); a pin validates into a
 * CONTIGUOUS placement of its domain (amdgpu_bo_pin_restricted); SET_PLACEMENT changes where
 * the next validation puts the bo (amdgpu_gem_op_ioctl).
 */
interface Move {
  readonly op: OpName;
  readonly arg: string;
  /** the call that acts on what this one set, inserted after it for the same buffer */
  readonly then?: OpName;
}
const MOVES: readonly (readonly [Move, number])[] = [
  // a CS moves a bo only when it is not where it prefers: it is not inserted, SET_PLACEMENT's is
  [{ op: 'amdgpu_cs', arg: 'bo0' }, 0],
  // and unpinned after (a scanout's pin and release), so that later calls can move it again
  [{ op: 'amdgpu_bo_pin', arg: 'handle', then: 'amdgpu_bo_unpin' }, 4],
  [{ op: 'amdgpu_gem_op', arg: 'handle', then: 'amdgpu_cs' }, 1],
];
const MOVE_ARG = new Map<OpName, number>(MOVES.map(([m]) => [m.op, CALLS[m.op].args.findIndex((a) => a.name === m.arg)]));

/** The handle a resource was made from — a handle itself, else the one its producing call
 * consumed (an offset from GEM_MMAP or MAP_DUMB, a mapping from that offset's mmap, a dma-buf
 * from its export), a few steps back at most — and whether every call on the way named its
 * resources by reference (no special values) and mapped the whole object (a length drawn as
 * the object's size): a mapping likely to work. */
function handleOf(g: ProgramBuilder, x: Res, depth = 0): { readonly handle: Res; readonly clean: boolean } | undefined {
  if (x.kind === 'handle') return { handle: x, clean: cpuMappable(g, x) };
  if (x.kind === 'fd' || depth > 3) return undefined;
  const call = g.st.calls[x.arg.call];
  const descs: readonly ArgDesc[] = CALLS[call.op].args;
  let clean = true;
  let found: { readonly handle: Res; readonly clean: boolean } | undefined;
  for (let j = 0; j < call.args.length; j++) {
    const a = call.args[j];
    const d = descs[j];
    if (d.kind === 'int') {
      if (d.domain?.objectSize && !(x.size && sameArg(a, x.size))) clean = false;
      continue;
    }
    if (a.kind !== 'ref') clean = false;
    const y = resOf(g.st, a);
    if (!found && y && y.kind !== 'fd') found = handleOf(g, y, depth + 1);
  }
  return found && { handle: found.handle, clean: clean && found.clean };
}
/** Not a buffer made without CPU access: GEM_CREATE with NO_CPU_ACCESS, or on-chip domains
 * (GDS/GWS/OA add it) — GEM_MMAP refuses it (EPERM, amdgpu_gem_mmap_ioctl). */
function cpuMappable(g: ProgramBuilder, h: Res): boolean {
  const call = g.st.calls[h.arg.call];
  if (call.op !== 'amdgpu_gem_create') return true;
  const [domains, flags] = [call.args[3], call.args[4]];
  return domains.kind === 'lit' && (domains.value & 0x38n) === 0n && flags.kind === 'lit' && (flags.value & 2n) === 0n;
}
const sameArg = (a: Arg, b: Arg): boolean => (a.kind === 'lit' ? b.kind === 'lit' && a.value === b.value : b.kind === 'ref' && a.call === b.call && a.field === b.field);

/** An earlier read or write through a mapping of a buffer: where, what it touched, and
 * whether the mapping was made cleanly (handleOf). */
interface Access {
  readonly at: number;
  readonly map: Res;
  readonly handle: Res;
  readonly clean: boolean;
}
function accesses(g: ProgramBuilder): Access[] {
  const out: Access[] = [];
  const calls = g.st.calls;
  for (let i = 0; i < calls.length; i++) {
    if (calls[i].op !== 'read' && calls[i].op !== 'write') continue;
    const map = resOf(g.st, calls[i].args[0]);
    const h = map && handleOf(g, map);
    // not one past the buffer's end, nor of no bytes (it cannot have faulted)
    const [off, len] = [calls[i].args[1], calls[i].args[2]];
    if (!map || !h || !movable(g, h.handle) || (off.kind === 'lit' && map.size?.kind === 'lit' && off.value >= map.size.value)) continue;
    out.push({ at: i, map, handle: h.handle, clean: h.clean && sharedFor(g, map, calls[i].op) && !(len.kind === 'lit' && len.value === 0n) });
  }
  return out;
}

/** Whether a mapping was made by an mmap with MAP_SHARED (or MAP_SHARED_VALIDATE) and a prot
 * that allows `op`: a read needs PROT_READ, a write PROT_WRITE (else SIGSEGV; a TTM COW
 * mapping is refused, amdgpu_gem_object_mmap). */
function sharedFor(g: ProgramBuilder, m: Res, op: OpName): boolean {
  const call = g.st.calls[m.arg.call];
  if (call.op !== 'mmap') return false;
  const [prot, flags] = [call.args[3], call.args[4]];
  const need = op === 'write' ? 2n : 1n;
  return prot.kind === 'lit' && (prot.value & need) !== 0n && prot.value < 8n && flags.kind === 'lit' && (flags.value === 1n || flags.value === 3n);
}

/** A cleanly mapped access (handleOf, sharedFor), when there is one. */
function pickAccess(g: ProgramBuilder, xs: readonly Access[]): Access {
  const clean = xs.filter((a) => a.clean);
  return pick(g.r, clean.length ? clean : xs);
}

/** Whether the buffer's device has a call that may move it (MOVES). */
const movable = (g: ProgramBuilder, h: Res): boolean => MOVES.some(([m]) => g.offersOn(h.dev, m.op));

/** Whether a call since the access names its buffer where it may move it. */
function movedSince(g: ProgramBuilder, a: Access): boolean {
  const calls = g.st.calls;
  for (let i = a.at + 1; i < calls.length; i++) {
    const j = MOVE_ARG.get(calls[i].op);
    if (j !== undefined && resOf(g.st, calls[i].args[j]) === a.handle) return true;
  }
  return false;
}

/** Where calls may move buffers: a refault — an access again, through the same mapping and at
 * the same offset, to a buffer a call since may have moved (and when none has, one is inserted
 * now, naming it). True when it filled the access. */
function refault(g: ProgramBuilder, c: CallCtx): boolean {
  const movers = MOVES.filter(([m, w]) => w > 0 && g.offers(m.op));
  if (!movers.length) return false;
  const all = accesses(g);
  // cleanly mapped accesses whose mapping allows this access too (a write through a PROT_READ
  // mapping: SIGSEGV); others now and then
  const clean = all.filter((a) => a.clean && sharedFor(g, a.map, c.op));
  const earlier = clean.length ? clean : chance(g.r, DIRTY) ? all : [];
  if (!earlier.length || !chance(g.r, REFAULT)) return false;
  const moved = earlier.filter((a) => movedSince(g, a));
  const prev = moved.length && chance(g.r, AGAIN) ? pick(g.r, moved) : pick(g.r, earlier);
  if (!moved.includes(prev)) {
    const m = weighted(g.r, movers);
    g.gen(m.op, { buffer: prev.handle });
    if (m.then) g.gen(m.then, { buffer: prev.handle });
  }
  const call = g.st.calls[prev.at];
  c.args[c.at('map')] = call.args[0];
  c.res[c.at('map')] = prev.map;
  c.args[c.at('offset')] = call.args[1];
  // the same bytes again
  c.args[c.at('len')] = call.args[2];
  return true;
}

/** Where buffers move (MOVES): a share of the other accesses go through a cleanly made
 * mapping (handleOf), so that a later move has translations to zap. True when it filled the map. */
function cleanMap(g: ProgramBuilder, c: CallCtx): boolean {
  if (!MOVES.some(([m]) => g.offers(m.op)) || !chance(g.r, CLEAN_MAP)) return false;
  const maps = (g.st.byKind.map ?? []).filter((m) => {
    const h = sharedFor(g, m, c.op) ? handleOf(g, m) : undefined;
    return h?.clean && movable(g, h.handle);
  });
  if (!maps.length) return false;
  const m = maps[maps.length - 1 - Math.min(maps.length - 1, g.r.int(2))];
  c.args[c.at('map')] = m.arg;
  c.res[c.at('map')] = m;
  // a page of the buffer (its size, when it is a literal)
  const pages = m.size?.kind === 'lit' ? Number((m.size.value + 4095n) / 4096n) : 0;
  if (pages > 0 && pages < 1 << 20) c.args[c.at('offset')] = lit(BigInt(g.r.int(Math.min(pages, 16))) * 4096n);
  return true;
}

/** A third of the reads and writes touch again a page an earlier access touched (and, where
 * buffers move, most of them after a move: refault): with calls between them that move the
 * buffer, the second access is a refault — how a stale PTE (a move that did not zap,
 * ttm_bo_unmap_virtual) or lost contents show. */
const reaccess: CallHint = {
  before(g, c) {
    if (refault(g, c) || cleanMap(g, c) || !chance(g.r, REACCESS)) return;
    const calls = g.st.calls;
    const earlier: number[] = [];
    for (let i = 0; i < calls.length; i++) if (calls[i].op === 'read' || calls[i].op === 'write') earlier.push(i);
    if (!earlier.length) return;
    const prev = calls[pick(g.r, earlier)];
    const m = prev.args[0];
    const res = resOf(g.st, m);
    if (!res) return;
    c.args[c.at('map')] = m;
    c.res[c.at('map')] = res;
    c.args[c.at('offset')] = prev.args[1];
  },
};

/** The buffer argument of a call that may move it: the one it was inserted for, else now and
 * then one accessed through a mapping, so the move zaps translations a later access refaults. */
const moveMapped = (g: ProgramBuilder, c: CallCtx): Filled | undefined => {
  const h = c.need?.buffer ?? (chance(g.r, MOVE_MAPPED) ? pickOr(g, accesses(g)) : undefined);
  return h ? { arg: h.arg, res: h } : undefined;
};
/** A domain the buffer was not created in (VRAM, GTT or CPU), for a call inserted to move it:
 * a pin there, or SET_PLACEMENT there and a CS, moves it unless it went there meanwhile or
 * there is no room (amdgpu_bo_pin_restricted, amdgpu_cs_bo_validate). Undefined for other
 * calls (the generic draw). */
const elsewhere = (g: ProgramBuilder, c: CallCtx): Filled | undefined => {
  const h = c.need?.buffer;
  if (!h) return undefined;
  const made = g.st.calls[h.arg.call];
  const d = made.op === 'amdgpu_gem_create' && made.args[3].kind === 'lit' ? made.args[3].value : made.op === 'create_dumb' ? 4n : undefined;
  const others = [4n, 2n, 1n].filter((x) => d === undefined || (x & d) === 0n);
  return { arg: lit(others.length ? pick(g.r, others) : pick(g.r, [4n, 2n, 1n])) };
};
const alone = (_g: ProgramBuilder, c: CallCtx): Filled | undefined => (c.need?.buffer ? { arg: lit(0) } : undefined);
const pickOr = (g: ProgramBuilder, xs: readonly Access[]): Res | undefined => (xs.length ? pickAccess(g, xs).handle : undefined);

export const HINTS: Partial<Record<OpName, CallHint>> = {
  // inserted to move a buffer (after its SET_PLACEMENT): the list names it alone (0 = no entry)
  amdgpu_cs: { args: { bo0: moveMapped, bo1: alone, bo2: alone } },
  amdgpu_bo_pin: { args: { handle: moveMapped, domain: elsewhere } },
  amdgpu_bo_unpin: { args: { handle: (_g, c) => (c.need?.buffer ? { arg: c.need.buffer.arg, res: c.need.buffer } : undefined) } },
  // inserted to move a buffer: SET_PLACEMENT (the CS after it validates there)
  amdgpu_gem_op: { args: { handle: moveMapped, op: (_g, c) => (c.need?.buffer ? { arg: lit(1) } : undefined), value: elsewhere } },
  read: reaccess,
  write: reaccess,
  open: {
    // the program's file budget (the generator's option), else a buffer instead
    instead: (g) => ((g.st.made.open ?? 0) >= maxFiles(g) ? 'create_dumb' : undefined),
    args: {
      // an existing device mostly; now and then an index past the last (drm_minor_acquire: ENODEV → ENOENT)
      dev: (g, c) => ({
        arg: lit(c.need?.dev ?? (chance(g.r, 0.04) ? BigInt(g.o.devices + g.r.int(3)) : BigInt(g.r.int(Math.max(1, g.o.devices))))),
      }),
      node: (_g, c) => (c.need?.primary ? { arg: lit(0) } : undefined),
    },
  },
  mmap: {
    // a fifth of the mappings map a dma-buf: its mmap takes a plain offset into the buffer
    // (dma_buf_mmap_internal), so the offset is a small literal, not a fake offset
    before(g, c) {
      if (!chance(g.r, 0.2)) return;
      const d = g.recent(['dmabuf']);
      if (!d) return;
      c.args[c.at('fd')] = d.arg;
      c.res[c.at('fd')] = d;
      const offset = pick(g.r, [0n, 0n, 0n, 4096n, 8192n, 1n]);
      c.args[c.at('offset')] = lit(offset);
      // at a page offset, the rest of the buffer mostly (dma_buf_mmap_internal refuses
      // pgoff + pages > size; the whole size would always be refused there)
      const size = d.size?.kind === 'lit' ? ((d.size.value + 4095n) / 4096n) * 4096n : undefined;
      if (offset >= 4096n && size !== undefined && size > offset && chance(g.r, 0.7)) c.args[c.at('length')] = lit(size - offset);
    },
  },
  prime_fd_to_handle: {
    args: {
      // with several devices, half the imports go to another device (foreign imports:
      // drm_gem_prime_import attaches instead of taking the same object)
      fd: (g, c) => {
        const src = c.res[c.at('dmabuf')];
        if (g.o.devices > 1 && src?.kind === 'dmabuf' && src.dev !== undefined && chance(g.r, 0.5)) return fdOfOtherDevice(g, src.dev);
        return undefined;
      },
    },
  },
};
