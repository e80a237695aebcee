/**
 * Judging one program: the results of a reference target and a candidate (model vs impl,
 * model vs kernel, impl vs kernel — the same code for every pair) become one Verdict. Order:
 * a failed target (hang, oops, dead guest), an escaped exception, the first divergence (unless
 * it is a known one), a self-check report, then the program's own `# =>` expectations.
 */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import type { ProgramResult, TargetConfig } from '../ir/target.ts';
import { firstDivergence, meetsExpectation, type CompareOptions } from './compare.ts';
import type { KnownDivergence } from './known.ts';
import type { Finding, Verdict } from './verdict.ts';

export interface Side {
  readonly name: string;
  readonly result: ProgramResult;
}

export interface JudgeOptions {
  /** the configuration the program ran under (known divergences may replay it) */
  readonly cfg: TargetConfig;
  readonly compare?: CompareOptions;
  /** divergences that are counted, not failed (KNOWN-DIVERGENCES.md) */
  readonly known?: readonly KnownDivergence[];
}

function targetFailure(p: Program, s: Side): Finding | undefined {
  const r = s.result;
  if (r.status === 'hang' || r.status === 'oops' || r.status === 'died')
    return { kind: 'target', target: s.name, status: r.status, index: Math.min(r.outcomes.length, p.calls.length), reason: r.reason ?? r.status, ...(r.log ? { log: r.log } : {}) };
  const i = r.outcomes.findIndex((o) => o.status === 'crash');
  if (i >= 0) return { kind: 'crash', target: s.name, index: i, message: (r.outcomes[i] as Extract<Outcome, { status: 'crash' }>).message };
  return undefined;
}

function expectationFailure(p: Program, s: Side): Finding | undefined {
  for (let i = 0; i < p.calls.length; i++) {
    const e = p.calls[i].expect;
    const got = s.result.outcomes[i];
    if (e && got && !meetsExpectation(e, got)) return { kind: 'expectation', target: s.name, index: i, expected: e, got };
  }
  return undefined;
}

/** One program's verdict; `candidate` absent judges a single target (self-checks, expectations). */
export function judge(p: Program, o: JudgeOptions, reference: Side, candidate?: Side): Verdict {
  const sides = candidate ? [reference, candidate] : [reference];
  if (sides.some((s) => s.result.status === 'interrupted')) return { status: 'interrupted' };
  const declined = sides.find((s) => s.result.status === 'not-run');
  if (declined) return { status: 'not-run', reason: `${declined.name}: ${declined.result.reason ?? 'not run'}` };
  for (const s of sides) {
    const f = targetFailure(p, s);
    if (f) return { status: 'fail', finding: f };
  }
  let known: string | undefined;
  if (candidate) {
    const d = firstDivergence(p, reference.result.outcomes, candidate.result.outcomes, o.compare);
    if (d) {
      known = o.known?.find((k) => k.matches(p, d, o.cfg))?.name;
      if (!known) return { status: 'fail', finding: { kind: 'divergence', index: d.index, field: d.field, reference: d.left, candidate: d.right } };
    }
  }
  for (const s of sides) {
    const r = s.result.selfCheck[0];
    if (r) return { status: 'fail', finding: { kind: 'self-check', target: s.name, index: r.index, violations: r.violations } };
  }
  // a known divergence makes later outcomes incomparable: expectations are not judged then
  if (!known)
    for (const s of sides) {
      const f = expectationFailure(p, s);
      if (f) return { status: 'fail', finding: f };
    }
  return known ? { status: 'pass', known } : { status: 'pass' };
}
