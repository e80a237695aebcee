/**
 * Program → executor call lines (executor/PROTOCOL.md): positional arguments as decimal
 * literals or `r<k>.<field>` references. One-way: the readable form is ir/encoding.
 */
import type { Program } from '../ir/program.ts';

export function encodeProgram(p: Program): string[] {
  return p.calls.map((c) => [c.op, ...c.args.map((a) => (a.kind === 'ref' ? `r${a.call}.${a.field}` : BigInt.asIntN(64, a.value).toString()))].join(' '));
}
