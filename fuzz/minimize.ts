/**
 * Minimization of a failing program (syzkaller's prog/minimization.go and afl-tmin), as a
 * generator of candidates that any loop drives — a synchronous target or the kernel VM, where
 * each step is a run. The caller's verdict decides what "still fails" means; campaigns and
 * `check` send back whether the candidate fails with the same *signature* (call, kind,
 * field/invariant), so minimization cannot slide to a different bug. Passes:
 *
 *  1. drop the calls after the failing call;
 *  2. drop the calls outside the failing call's resource closure;
 *  3. remove calls one by one, from the back, to a fixpoint: at the end no single call can be
 *     removed — the result is 1-minimal;
 *  4. simplify integer arguments (0, 1, a page, half; fewer pages, simpler flags), then
 *     repeat 3 if anything changed.
 *
 * Removed calls' uses become invalid values (ir/program.ts removeCalls), so every candidate
 * stays runnable. A driver that stops early (a time budget) keeps the last failing candidate
 * and says the result is not known to be 1-minimal.
 */
import { CALLS, type ArgDesc } from '../ir/calls.ts';
import { dependencies, lit, removeCalls, type Program } from '../ir/program.ts';

export type StillFails = (p: Program) => boolean;

const PAGE = 4096n;

/** Simpler values to try for an integer argument, smallest first, all below `v`. */
function simpler(v: bigint, d: ArgDesc): bigint[] {
  if (v <= 0n) return [];
  const out = new Set<bigint>([0n, 1n]);
  if (d.domain?.objectSize !== undefined || v >= PAGE) out.add(PAGE);
  out.add(v >> 1n);
  // a flag set: drop the highest bit
  let hi = 1n;
  while (hi << 1n <= v) hi <<= 1n;
  out.add(v ^ hi);
  return [...out].filter((x) => x >= 0n && x < v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Yields candidates; send back whether each still fails. Returns the smallest failing one. */
export function* minimizeSteps(p: Program, failingCall?: number): Generator<Program, Program, boolean> {
  let best = p;
  const tryDrop = function* (drop: Set<number>): Generator<Program, boolean, boolean> {
    if (!drop.size) return false;
    const cand = removeCalls(best, drop);
    if (yield cand) {
      best = cand;
      return true;
    }
    return false;
  };
  // 1. trailing calls
  if (failingCall !== undefined && failingCall < best.calls.length - 1) {
    const drop = new Set<number>();
    for (let i = failingCall + 1; i < best.calls.length; i++) drop.add(i);
    yield* tryDrop(drop);
  }
  // 2. outside the failing call's resource closure
  if (failingCall !== undefined && failingCall < best.calls.length) {
    const keep = dependencies(best, failingCall);
    yield* tryDrop(new Set(best.calls.map((_, i) => i).filter((i) => !keep.has(i))));
  }
  for (let round = 0; ; round++) {
    // 3. one by one, to a fixpoint (halves first on long programs: fewer runs)
    if (best.calls.length > 16) {
      for (let chunk = best.calls.length >> 1; chunk >= 2; chunk >>= 1)
        for (let start = best.calls.length - chunk; start >= 0; start -= chunk) {
          const drop = new Set<number>();
          for (let i = start; i < start + chunk && i < best.calls.length; i++) drop.add(i);
          yield* tryDrop(drop);
        }
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = best.calls.length - 1; i >= 0; i--) if (i < best.calls.length && (yield* tryDrop(new Set([i])))) changed = true;
    }
    // 4. simpler integer arguments
    let simplified = false;
    for (let i = 0; i < best.calls.length; i++) {
      const descs = CALLS[best.calls[i].op].args as readonly ArgDesc[];
      for (let j = 0; j < descs.length; j++) {
        const a = best.calls[i].args[j];
        if (descs[j].kind !== 'int' || a.kind !== 'lit') continue;
        for (const v of simpler(a.value, descs[j])) {
          const calls = best.calls.slice();
          const args = calls[i].args.slice();
          args[j] = lit(v);
          calls[i] = { ...calls[i], args };
          const cand: Program = { meta: best.meta, calls };
          if (yield cand) {
            best = cand;
            simplified = true;
            break;
          }
        }
      }
    }
    if (!simplified || round > 8) break;
  }
  return best;
}

export interface MinimizeResult {
  readonly program: Program;
  /** every single-call removal was tried and failed to keep the failure */
  readonly oneMinimal: boolean;
  /** candidates run */
  readonly steps: number;
}

export interface MinimizeOptions {
  readonly failingCall?: number;
  /** performance.now() past which no more candidates run */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

const stopped = (o: MinimizeOptions) => o.signal?.aborted || (o.deadline !== undefined && performance.now() > o.deadline);

export function minimizeFull(p: Program, stillFails: StillFails, o: MinimizeOptions = {}): MinimizeResult {
  const steps = minimizeSteps(p, o.failingCall);
  let best = p;
  let n = 0;
  let r = steps.next();
  while (!r.done) {
    if (stopped(o)) return { program: best, oneMinimal: false, steps: n };
    n++;
    const fails = stillFails(r.value);
    if (fails) best = r.value;
    r = steps.next(fails);
  }
  return { program: r.value, oneMinimal: true, steps: n };
}

export async function minimizeFullAsync(p: Program, stillFails: (p: Program) => Promise<boolean>, o: MinimizeOptions = {}): Promise<MinimizeResult> {
  const steps = minimizeSteps(p, o.failingCall);
  let best = p;
  let n = 0;
  let r = steps.next();
  while (!r.done) {
    if (stopped(o)) return { program: best, oneMinimal: false, steps: n };
    n++;
    const fails = await stillFails(r.value);
    if (fails) best = r.value;
    r = steps.next(fails);
  }
  return { program: r.value, oneMinimal: true, steps: n };
}

export function minimize(p: Program, stillFails: StillFails, failingCall?: number): Program {
  return minimizeFull(p, stillFails, { failingCall }).program;
}

export async function minimizeAsync(p: Program, stillFails: (p: Program) => Promise<boolean>, failingCall?: number): Promise<Program> {
  return (await minimizeFullAsync(p, stillFails, { failingCall })).program;
}
