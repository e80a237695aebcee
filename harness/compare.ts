/**
 * Call-by-call comparison of two targets' outcomes. Exact by default; with `rename`, the
 * opaque values of the chosen kinds (fds, offsets, …) only need to correspond through a
 * consistent one-to-one renaming, for targets whose allocators differ.
 */
import { outDesc, type ValueKind } from '../ir/calls.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { printOutcome } from '../ir/encoding.ts';

export interface CompareOptions {
  /** kinds compared up to renaming; 'fd' and 'dmabuf' share one namespace. */
  readonly rename?: ReadonlySet<ValueKind>;
}

export interface Divergence {
  readonly index: number;
  readonly field?: string;
  readonly left: Outcome;
  readonly right: Outcome;
}

const space = (k: ValueKind): string => (k === 'dmabuf' ? 'fd' : k);

class Renaming {
  private readonly fwd = new Map<string, bigint>();
  private readonly back = new Map<string, bigint>();
  /** Records a ↔ b in the kind's space; false if it contradicts an earlier pairing. */
  pair(kind: string, a: bigint, b: bigint): boolean {
    const fa = this.fwd.get(`${kind}:${a}`);
    const bb = this.back.get(`${kind}:${b}`);
    if (fa === undefined && bb === undefined) {
      this.fwd.set(`${kind}:${a}`, b);
      this.back.set(`${kind}:${b}`, a);
      return true;
    }
    return fa === b && bb === a;
  }
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return printOutcome(a) === printOutcome(b);
}

/** The first call where the two runs disagree, or null. */
export function firstDivergence(p: Program, left: readonly Outcome[], right: readonly Outcome[], opts: CompareOptions = {}): Divergence | null {
  const names = new Renaming();
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = left[i];
    const r = right[i];
    if (!l || !r) return { index: i, left: l ?? { status: 'crash', message: 'missing' }, right: r ?? { status: 'crash', message: 'missing' } };
    if (l.status !== r.status) return { index: i, left: l, right: r };
    if (l.status === 'ok' && r.status === 'ok') {
      const keys = new Set([...Object.keys(l.out), ...Object.keys(r.out)]);
      for (const k of keys) {
        const lv = l.out[k];
        const rv = r.out[k];
        if (lv === undefined || rv === undefined) return { index: i, field: k, left: l, right: r };
        const kind = outDesc(p.calls[i].op, k)?.kind ?? 'int';
        if (opts.rename?.has(kind)) {
          if (!names.pair(space(kind), lv, rv)) return { index: i, field: k, left: l, right: r };
        } else if (lv !== rv) return { index: i, field: k, left: l, right: r };
      }
    } else if (!sameOutcome(l, r)) return { index: i, left: l, right: r };
  }
  return null;
}

/** Whether an outcome meets an expectation; an expected `ok` checks only the fields it lists. */
export function meetsExpectation(expected: Outcome, got: Outcome): boolean {
  if (expected.status !== got.status) return false;
  if (expected.status === 'ok' && got.status === 'ok') return Object.entries(expected.out).every(([k, v]) => got.out[k] === v);
  return sameOutcome(expected, got);
}
