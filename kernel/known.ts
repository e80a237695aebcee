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

const MAP_PRIVATE = 2n;
const PROT_WRITE = 2n;

export const KNOWN: readonly KnownDivergence[] = [
  {
    name: 'private-writable-overcommit',
    why:
      'mmap_region charges a private writable mapping against the commit limit ' +
      '(accountable_mapping, __vm_enough_memory) before f_op->mmap runs; with the VM\'s 1 GiB ' +
      'and no swap, a mapping near or above that size is ENOMEM instead of the driver\'s COW ' +
      'EINVAL. It depends on the machine\'s memory, not on DRM semantics.',
    matches(p, d) {
      const c = p.calls[d.index];
      if (c.op !== 'mmap' || d.right.status !== 'err' || d.right.errno !== 12) return false;
      const lit = (i: number) => (c.args[i].kind === 'lit' ? (c.args[i] as { value: bigint }).value : undefined);
      const flags = lit(4);
      const prot = lit(3);
      // the length may be a reference (an object's size): any private writable mapping the
      // model refused as COW is this case
      return flags === MAP_PRIVATE && prot !== undefined && (prot & PROT_WRITE) !== 0n && d.left.status === 'err' && d.left.errno === 22;
    },
  },
];

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
