/**
 * Minimization of a failing program (syzkaller's prog/minimization.go, in miniature):
 * first drop everything outside the failing call's resource closure, then remove chunks of
 * calls (halves, quarters, … single calls) from the back, keeping each removal that still
 * fails the same way. Removed calls' uses become invalid values (ir/program.ts removeCalls),
 * so every candidate stays runnable. The search is a generator that yields candidates and
 * receives verdicts, so the same steps drive a synchronous target and the kernel VM.
 */
import { dependencies, removeCalls, type Program } from '../ir/program.ts';

export type StillFails = (p: Program) => boolean;

/** Yields candidates; send back whether each still fails. Returns the smallest failing one. */
export function* minimizeSteps(p: Program, failingCall?: number): Generator<Program, Program, boolean> {
  let best = p;
  if (failingCall !== undefined && failingCall < p.calls.length) {
    const keep = dependencies(p, failingCall);
    const drop = new Set(p.calls.map((_, i) => i).filter((i) => !keep.has(i)));
    if (drop.size) {
      const cand = removeCalls(p, drop);
      if (yield cand) best = cand;
    }
  }
  for (let chunk = Math.max(1, best.calls.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let start = best.calls.length - chunk; start >= 0; start -= chunk) {
      const drop = new Set<number>();
      for (let i = start; i < start + chunk && i < best.calls.length; i++) drop.add(i);
      const cand = removeCalls(best, drop);
      if (cand.calls.length < best.calls.length && (yield cand)) best = cand;
    }
  }
  return best;
}

export function minimize(p: Program, stillFails: StillFails, failingCall?: number): Program {
  const steps = minimizeSteps(p, failingCall);
  let r = steps.next();
  while (!r.done) r = steps.next(stillFails(r.value));
  return r.value;
}

export async function minimizeAsync(p: Program, stillFails: (p: Program) => Promise<boolean>, failingCall?: number): Promise<Program> {
  const steps = minimizeSteps(p, failingCall);
  let r = steps.next();
  while (!r.done) r = steps.next(await stillFails(r.value));
  return r.value;
}
