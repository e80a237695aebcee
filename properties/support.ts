/** What the properties share: model vs impl through the one harness, and its text. */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import type { Target, TargetConfig } from '../ir/target.ts';
import { pairing } from '../harness/pairing.ts';
import { describeFailure } from '../harness/render.ts';
import { judgeSync } from '../harness/run.ts';
import type { Verdict } from '../harness/verdict.ts';
import { implTarget } from '../impl/target.ts';
import type { FaultSet } from '../impl/faults.ts';
import { modelTarget } from '../model/model.ts';

export function checkModelImpl(p: Program, cfg: TargetConfig, faults?: FaultSet): Verdict {
  return judgeSync(pairing(modelTarget, implTarget(faults)), p, cfg).verdict;
}

/** impl without faults as the reference for impl with them (for switches of a device whose
 * model still disagrees elsewhere: the difference is then the switch's alone). */
export function checkImplImpl(p: Program, cfg: TargetConfig, faults: FaultSet): Verdict {
  return judgeSync(pairing(implTarget(), implTarget(faults)), p, cfg).verdict;
}

/** The failure report of a verdict ('' when it passed). */
export function failureText(p: Program, v: Verdict): string {
  if (v.status === 'fail') return describeFailure(p, v.finding, 'model', 'impl');
  return v.status === 'pass' ? '' : v.status;
}

export function outcomesOn(t: Target, p: Program, cfg: TargetConfig): readonly Outcome[] {
  return t.runSync!(p, cfg).outcomes;
}
