/**
 * Minimization of a failing program (syzkaller's prog/minimization.go, in miniature):
 * first drop everything outside the failing call's resource closure, then remove calls one at
 * a time from the end, keeping each removal that still fails the same way. Removed calls'
 * uses become invalid values (ir/program.ts removeCalls), so every candidate stays runnable.
 */
import { dependencies, removeCalls, type Program } from '../ir/program.ts';

export type StillFails = (p: Program) => boolean;

export function minimize(p: Program, stillFails: StillFails, failingCall?: number): Program {
  let best = p;
  if (failingCall !== undefined && failingCall < p.calls.length) {
    const keep = dependencies(p, failingCall);
    const drop = new Set(p.calls.map((_, i) => i).filter((i) => !keep.has(i)));
    const cand = removeCalls(p, drop);
    if (drop.size && stillFails(cand)) best = cand;
  }
  // chunks first (halves, quarters, …), then single calls, back to front
  for (let chunk = Math.max(1, best.calls.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let start = best.calls.length - chunk; start >= 0; start -= chunk) {
      const drop = new Set<number>();
      for (let i = start; i < start + chunk && i < best.calls.length; i++) drop.add(i);
      const cand = removeCalls(best, drop);
      if (cand.calls.length < best.calls.length && stillFails(cand)) best = cand;
    }
  }
  return best;
}
