/**
 * The few generation rules the call descriptions cannot state (syzkaller keeps such quirks in
 * target hooks): which device an open names and the file limit, mmap of a dma-buf (a plain
 * offset, not a fake one), and PRIME imports aimed at another device. Everything else —
 * owners, sizes, constructors, integer domains, primary-node fds — comes from the tables.
 */
import type { OpName } from '../ir/calls.ts';
import { lit, type Arg } from '../ir/program.ts';
import { resOf, type Res } from './analysis.ts';
import type { Filled, ProgramBuilder } from './generate.ts';
import { chance, pick } from './rand.ts';

/** What a constructed resource must be. */
export interface Need {
  /** an fd on a primary node (for ioctls without DRM_RENDER_ALLOW) */
  readonly primary?: boolean;
  /** an fd on this device (a foreign importer) */
  readonly dev?: bigint;
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

/** Share of CPU accesses that repeat an earlier access's mapping and offset. */
const REACCESS = 0.35;

/** A third of the reads and writes touch again a page an earlier access touched: with calls
 * between them that move the buffer, the second access is a refault — how a stale PTE (a move
 * that did not zap, ttm_bo_unmap_virtual) or lost contents show. */
const reaccess: CallHint = {
  before(g, c) {
    if (!chance(g.r, REACCESS)) return;
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

export const HINTS: Partial<Record<OpName, CallHint>> = {
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
