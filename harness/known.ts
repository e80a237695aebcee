/**
 * Known divergences: each has a name, the reason it stays (KNOWN-DIVERGENCES.md at the
 * repository root), the targets it concerns, and a predicate over the program and the first
 * divergence. A known divergence is counted (with the program's index), not failed.
 */
import type { Program } from '../ir/program.ts';
import type { Divergence } from './compare.ts';
import { Errno, MAP_PRIVATE, PROT_WRITE } from '../ir/uapi.ts';

export interface KnownDivergence {
  readonly name: string;
  readonly why: string;
  /** the targets whose answers show it (by Target.name) */
  readonly on: readonly string[];
  matches(p: Program, d: Divergence): boolean;
}


export const KNOWN: readonly KnownDivergence[] = [
  {
    name: 'private-writable-overcommit',
    on: ['kernel'],
    why:
      'mmap_region charges a private writable mapping against the commit limit ' +
      '(accountable_mapping, __vm_enough_memory) before f_op->mmap runs; with the VM\'s 1 GiB ' +
      'and no swap, a mapping near or above that size is ENOMEM instead of the driver\'s COW ' +
      'EINVAL. It depends on the machine\'s memory, not on DRM semantics.',
    matches(p, d) {
      const c = p.calls[d.index];
      if (c.op !== 'mmap' || d.right.status !== 'err' || d.right.errno !== Errno.ENOMEM) return false;
      const lit = (i: number) => (c.args[i].kind === 'lit' ? (c.args[i] as { value: bigint }).value : undefined);
      const flags = lit(4);
      const prot = lit(3);
      // the length may be a reference (an object's size): any private writable mapping the
      // model refused as COW is this case
      return flags === BigInt(MAP_PRIVATE) && prot !== undefined && (prot & BigInt(PROT_WRITE)) !== 0n && d.left.status === 'err' && d.left.errno === Errno.EINVAL;
    },
  },
];

/** The known divergences that apply between two targets. */
export function knownBetween(a: string, b: string): KnownDivergence[] {
  return KNOWN.filter((k) => k.on.includes(a) || k.on.includes(b));
}
