/**
 * Known divergences between the model and the real kernel: each has a name, the reason it
 * stays (see KNOWN-DIVERGENCES.md at the repository root), and a predicate over the program
 * and the first divergence. Empty until the kernel shows one that should not be fixed.
 */
import { printCall, printOutcome } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import type { Divergence } from '../harness/compare.ts';

export interface KnownDivergence {
  readonly name: string;
  readonly why: string;
  matches(p: Program, d: Divergence): boolean;
}

export const KNOWN: readonly KnownDivergence[] = [];

export function knownDivergence(p: Program, d: Divergence): string | null {
  return KNOWN.find((k) => k.matches(p, d))?.name ?? null;
}

export function describeDivergence(p: Program, d: Divergence, target: string): string {
  return [
    `first divergence at call ${d.index}${d.field ? ` (field ${d.field})` : ''}: ${printCall(p.calls[d.index], d.index)}`,
    `  model:  ${printOutcome(d.left)}`,
    `  ${target}: ${printOutcome(d.right)}`,
  ].join('\n');
}
