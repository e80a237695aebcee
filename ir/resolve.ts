/** Turning a call's arguments into integers, given the outcomes of the calls before it. */
import { invalidValue, outDesc } from './calls.ts';
import type { Call, Program } from './program.ts';
import type { Outcome } from './outcome.ts';

export function resolveArgs(p: Program, index: number, outcomes: readonly Outcome[]): bigint[] {
  const call: Call = p.calls[index];
  return call.args.map((a) => {
    if (a.kind === 'lit') return a.value;
    const producer = p.calls[a.call];
    const desc = producer && outDesc(producer.op, a.field);
    const o = outcomes[a.call];
    if (o && o.status === 'ok' && a.field in o.out) return o.out[a.field];
    return invalidValue(desc?.kind ?? 'int');
  });
}
