/**
 * A program's verdict as data (fast-check's RunDetails; formatting is in render.ts). A
 * failure carries one finding and a signature — the call, the kind and the field or
 * invariant — that is the same every time the same bug is hit, whatever ran before.
 */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import type { Violation } from '../ir/target.ts';

export type Finding =
  /** the two targets answered one call differently */
  | { readonly kind: 'divergence'; readonly index: number; readonly field?: string; readonly reference: Outcome; readonly candidate: Outcome }
  /** a target's own self-check failed after call `index` (index = calls.length: at exit) */
  | { readonly kind: 'self-check'; readonly target: string; readonly index: number; readonly violations: readonly Violation[] }
  /** a `# =>` expectation in the program was not met */
  | { readonly kind: 'expectation'; readonly target: string; readonly index: number; readonly expected: Outcome; readonly got: Outcome }
  /** an exception escaped the target */
  | { readonly kind: 'crash'; readonly target: string; readonly index: number; readonly message: string }
  /** the target itself failed: no answer (hang), a kernel oops/taint, a dead guest */
  | { readonly kind: 'target'; readonly target: string; readonly status: 'hang' | 'oops' | 'died'; readonly index: number; readonly reason: string; readonly log?: string };

export type Verdict =
  | { readonly status: 'pass'; /** a known divergence this program hit (not a failure) */ readonly known?: string }
  | { readonly status: 'fail'; readonly finding: Finding }
  /** declined before running: a limit of the target (reason says which) */
  | { readonly status: 'not-run'; readonly reason: string }
  | { readonly status: 'interrupted' };

/** (call, kind, field/invariant): stable across runs, processes and workers. */
export function signature(p: Program, f: Finding): string {
  const op = f.index < p.calls.length ? p.calls[f.index].op : 'exit';
  switch (f.kind) {
    case 'divergence':
      return `divergence:${op}:${f.field ?? (f.reference.status === f.candidate.status ? 'outcome' : 'status')}`;
    case 'self-check':
      return `self-check:${op}:${[...new Set(f.violations.map((v) => v.invariant))].sort().join('+')}`;
    case 'expectation':
      return `expectation:${op}`;
    case 'crash':
      return `crash:${op}`;
    case 'target':
      return `${f.status}:${op}`;
  }
}
