/**
 * Program representation: a list of calls whose arguments are literals or references to an
 * earlier call's output field (syzkaller's ResultArg). References keep the def-use graph in
 * the program, so removing a call can turn its uses into well-defined invalid values.
 */
import { CALLS, type OpName, type OutDesc, invalidValue, isOp, outDesc } from './calls.ts';
import type { Outcome } from './outcome.ts';
import type { DeviceName, DeviceParams } from './devices.ts';
import type { ProfileName } from './target.ts';

export type Arg = { readonly kind: 'lit'; readonly value: bigint } | { readonly kind: 'ref'; readonly call: number; readonly field: string };

export interface Call {
  readonly op: OpName;
  readonly args: readonly Arg[];
  /** Expected outcome (corpus regressions); absent = not checked. */
  readonly expect?: Outcome;
}

/** A program file's header: everything needed to replay it from the file alone. */
export interface ProgramMeta {
  /** Devices by index: open(dev=i) opens devices[i] (names from the registry, ir/devices.ts). */
  readonly devices?: readonly DeviceName[];
  /** per-device parameters by index (ir/devices.ts), when some device sets one */
  readonly deviceParams?: DeviceParams;
  readonly profile?: ProfileName;
  /** impl fault switches the program was found with (names checked by the tool, not by ir) */
  readonly faults?: readonly string[];
  /** the command that produced the file (informational) */
  readonly command?: string;
  /** the failure's signature, for saved failures (informational) */
  readonly signature?: string;
}

export interface Program {
  readonly meta: ProgramMeta;
  readonly calls: readonly Call[];
}

export const lit = (value: bigint | number): Arg => ({ kind: 'lit', value: BigInt(value) });
export const ref = (call: number, field: string): Arg => ({ kind: 'ref', call, field });

/** Structural problems of a program; empty when it is well formed. */
export function validate(p: Program): string[] {
  const errs: string[] = [];
  p.calls.forEach((c, i) => {
    if (!isOp(c.op)) {
      errs.push(`call ${i}: unknown op ${String(c.op)}`);
      return;
    }
    const want = CALLS[c.op].args.length;
    if (c.args.length !== want) errs.push(`call ${i}: ${c.op} takes ${want} args, has ${c.args.length}`);
    c.args.forEach((a, j) => {
      if (a.kind !== 'ref') return;
      if (!Number.isInteger(a.call) || a.call < 0 || a.call >= i) errs.push(`call ${i} arg ${j}: r${a.call} is not an earlier call`);
      else if (!outDesc(p.calls[a.call].op, a.field)) errs.push(`call ${i} arg ${j}: ${p.calls[a.call].op} has no output ${a.field}`);
    });
  });
  return errs;
}

/** The kind of value a reference denotes (for its invalid value). */
export function refDesc(p: Program, a: Extract<Arg, { kind: 'ref' }>): OutDesc | undefined {
  const producer = p.calls[a.call];
  return producer && outDesc(producer.op, a.field);
}

/**
 * Removes calls (by index) and rewrites references: uses of a removed call become that
 * field's invalid value, later references shift down. The result is always well formed.
 */
export function removeCalls(p: Program, drop: ReadonlySet<number>): Program {
  const newIndex: number[] = [];
  let n = 0;
  for (let i = 0; i < p.calls.length; i++) newIndex.push(drop.has(i) ? -1 : n++);
  const calls: Call[] = [];
  p.calls.forEach((c, i) => {
    if (drop.has(i)) return;
    const args = c.args.map((a): Arg => {
      if (a.kind !== 'ref') return a;
      const to = newIndex[a.call];
      if (to === undefined || to < 0) return lit(invalidValue(refDesc(p, a)?.kind ?? 'int'));
      return ref(to, a.field);
    });
    calls.push({ ...c, args });
  });
  return { meta: p.meta, calls };
}

/** Indices of the calls `target` depends on, transitively (resource closure), target included. */
export function dependencies(p: Program, target: number): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  while (stack.length) {
    const i = stack.pop()!;
    if (seen.has(i) || !p.calls[i]) continue;
    seen.add(i);
    for (const a of p.calls[i].args) if (a.kind === 'ref') stack.push(a.call);
  }
  return seen;
}
