/**
 * The conformance check of one program: run it on the model and on impl (with the invariant
 * checkers after every call and the leak check at process exit) and compare call by call.
 */
import type { Program } from '../ir/program.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { TargetConfig } from '../ir/target.ts';
import { printCall, printOutcome, printText } from '../ir/encoding.ts';
import { modelTarget } from '../model/model.ts';
import { ImplSession } from '../impl/process.ts';
import { implTarget } from '../impl/target.ts';
import type { FaultSet } from '../impl/faults.ts';
import { checkInvariants, checkNoLeaks, type Violation } from '../properties/invariants/index.ts';
import { firstDivergence, meetsExpectation, type Divergence } from './compare.ts';
import { runProgram } from './run.ts';

export type Verdict =
  | { ok: true; calls: number }
  | { ok: false; calls: number; kind: 'divergence'; divergence: Divergence; model: Outcome[]; impl: Outcome[] }
  | { ok: false; calls: number; kind: 'invariant'; index: number; violations: Violation[] }
  | { ok: false; calls: number; kind: 'expectation'; index: number; expected: Outcome; got: Outcome; target: string }
  | { ok: false; calls: number; kind: 'crash'; index: number; target: string; message: string };

export function checkProgram(p: Program, cfg: TargetConfig, faults?: FaultSet): Verdict {
  const model = runProgram(modelTarget, p, cfg);
  let bad: { index: number; violations: Violation[] } | undefined;
  let session: ImplSession | undefined;
  const impl = runProgram(implTarget(faults), p, cfg, (i, _o, s) => {
    session = s as ImplSession;
    if (bad) return;
    const v = checkInvariants(session);
    if (v.length) bad = { index: i, violations: v };
  });
  // an exception escaping a target is a finding even if both sides threw alike
  for (const [target, outs] of [['model', model], ['impl', impl]] as const) {
    const i = outs.findIndex((o) => o.status === 'crash');
    if (i >= 0) return { ok: false, calls: p.calls.length, kind: 'crash', index: i, target, message: (outs[i] as { message: string }).message };
  }
  const div = firstDivergence(p, model, impl);
  if (div) return { ok: false, calls: p.calls.length, kind: 'divergence', divergence: div, model, impl };
  if (bad) return { ok: false, calls: p.calls.length, kind: 'invariant', ...bad };
  if (session) {
    session.teardown();
    const leaks = [...checkInvariants(session), ...checkNoLeaks(session)];
    if (leaks.length) return { ok: false, calls: p.calls.length, kind: 'invariant', index: p.calls.length, violations: leaks };
  }
  for (let i = 0; i < p.calls.length; i++) {
    const e = p.calls[i].expect;
    if (e && !meetsExpectation(e, model[i])) return { ok: false, calls: p.calls.length, kind: 'expectation', index: i, expected: e, got: model[i], target: 'model' };
  }
  return { ok: true, calls: p.calls.length };
}

/** A failure report: the program in text form and what went wrong where. */
export function describeFailure(p: Program, v: Verdict): string {
  if (v.ok) return 'ok';
  const lines = [printText(p).trimEnd()];
  if (v.kind === 'divergence') {
    const d = v.divergence;
    lines.push(`first divergence at call ${d.index}${d.field ? ` (field ${d.field})` : ''}: ${printCall(p.calls[d.index], d.index)}`);
    lines.push(`  model: ${printOutcome(d.left)}`);
    lines.push(`  impl:  ${printOutcome(d.right)}`);
  } else if (v.kind === 'invariant') {
    const where = v.index < p.calls.length ? `after call ${v.index}: ${printCall(p.calls[v.index], v.index)}` : 'after process exit';
    lines.push(`invariant violated ${where}`);
    for (const x of v.violations) lines.push(`  [${x.invariant}] ${x.message}`);
  } else if (v.kind === 'crash') {
    lines.push(`exception escaped ${v.target} at call ${v.index}: ${printCall(p.calls[v.index], v.index)}`);
    lines.push(`  ${v.message}`);
  } else {
    lines.push(`expectation failed at call ${v.index} on ${v.target}: ${printCall(p.calls[v.index], v.index)}`);
    lines.push(`  expected: ${printOutcome(v.expected)}`);
    lines.push(`  got:      ${printOutcome(v.got)}`);
  }
  return lines.join('\n');
}
