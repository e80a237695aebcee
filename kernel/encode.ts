/**
 * Program → executor lines (executor/PROTOCOL.md): one call per line, positional arguments
 * as decimal literals or `r<k>.<field>` references. One-way: the readable form is ir/encoding.
 */
import type { Program } from '../ir/program.ts';

export function encodeProgram(p: Program): string[] {
  return p.calls.map((c) => [c.op, ...c.args.map((a) => (a.kind === 'ref' ? `r${a.call}.${a.field}` : BigInt.asIntN(64, a.value).toString()))].join(' '));
}

/** The device table lines for a list of device node paths. */
export function encodeDevices(devs: readonly { primary: string; render: string | null }[]): string[] {
  return devs.map((d, i) => `dev ${i} ${d.primary} ${d.render ?? '-'}`);
}
