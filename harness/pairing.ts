/**
 * How two targets are held to each other: the comparison, the known divergences between
 * them, and admission rules — limits of a target's machine that decide, before a program
 * runs, that its answers there would be the machine's rather than DRM's (harness/guest-memory.ts).
 * Rules name the targets they concern; nothing here asks which target it has beyond that.
 */
import type { Program } from '../ir/program.ts';
import type { Target, TargetConfig } from '../ir/target.ts';
import type { CompareOptions } from './compare.ts';
import { guestMemoryRule } from './guest-memory.ts';
import { knownBetween, type KnownDivergence } from './known.ts';

export interface AdmissionRule {
  readonly name: string;
  /** targets (by name) whose machine has this limit */
  readonly on: readonly string[];
  /** why `p` cannot run meaningfully there, or null */
  check(p: Program, cfg: TargetConfig): string | null;
}

export const ADMISSION: readonly AdmissionRule[] = [guestMemoryRule];

export interface Pairing {
  readonly reference: Target;
  readonly candidate?: Target;
  readonly compare: CompareOptions;
  readonly known: readonly KnownDivergence[];
  readonly admission: readonly AdmissionRule[];
}

export function pairing(reference: Target, candidate?: Target, compare: CompareOptions = {}): Pairing {
  const names = [reference.name, ...(candidate ? [candidate.name] : [])];
  const concerns = (on: readonly string[]) => names.some((n) => on.includes(n));
  return {
    reference,
    candidate,
    compare,
    known: candidate ? knownBetween(reference.name, candidate.name) : [],
    admission: ADMISSION.filter((r) => concerns(r.on)),
  };
}

/** Why the pairing declines `p` before running it, or null. */
export function admit(pr: Pairing, p: Program, cfg: TargetConfig): string | null {
  for (const r of pr.admission) {
    const why = r.check(p, cfg);
    if (why) return `${r.name}: ${why}`;
  }
  return null;
}
