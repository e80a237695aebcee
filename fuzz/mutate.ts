/**
 * Mutation (syzkaller's prog/mutation.go, in miniature): small operators driven by the call
 * descriptions, each keeping the program valid (every reference names an earlier call's
 * output of that op; `validate` holds): insert a call (generated against the resources live
 * at that point, constructors included), remove a call (its uses become invalid values),
 * splice another corpus program's calls after a prefix, mutate one argument (redrawn from
 * its description, or a boundary/±1/bit flip of an integer), and squash — two resources of
 * one kind merged into one (every later use of the second refers to the first: several
 * handles to one object, one fd for two objects' calls). Every choice is from `r`.
 */
import { CALLS, RESOURCES, type ArgDesc, type OpName, type ResourceKind } from '../ir/calls.ts';
import { lit, ref, removeCalls, type Arg, type Call, type Program } from '../ir/program.ts';
import { analyze, type GenOptions } from './analysis.ts';
import { boundaries } from './domain.ts';
import { continueProgram, ProgramBuilder } from './generate.ts';
import { chance, pick, weighted, type Rand } from './rand.ts';

export const MUTATORS = ['insert', 'remove', 'splice', 'argument', 'squash'] as const;
export type Mutator = (typeof MUTATORS)[number];

const WEIGHTS: readonly (readonly [Mutator, number])[] = [
  ['insert', 40],
  ['remove', 10],
  ['splice', 10],
  ['argument', 30],
  ['squash', 10],
];

/** Shifts references in `calls` (which follow position `at` of the new program): refs to
 * calls ≥ `from` move by `by`. */
function shift(calls: readonly Call[], from: number, by: number): Call[] {
  if (!by) return calls.slice();
  return calls.map((c) => ({ ...c, args: c.args.map((a) => (a.kind === 'ref' && a.call >= from ? ref(a.call + by, a.field) : a)) }));
}

const strip = (c: Call): Call => (c.expect ? { op: c.op, args: c.args } : c);

/** A position biased to the end (where new calls see the most resources). */
function position(r: Rand, n: number): number {
  if (n === 0) return 0;
  return chance(r, 0.5) ? n : r.int(n + 1);
}

/** Inserts one generated call (and any constructors it needs) at a position. */
export function insertCall(r: Rand, p: Program, o: GenOptions): Program {
  const at = position(r, p.calls.length);
  const head: Program = { meta: p.meta, calls: p.calls.slice(0, at) };
  const grown = continueProgram(r, head, o, 1);
  const added = grown.calls.length - at;
  return { meta: p.meta, calls: [...grown.calls, ...shift(p.calls.slice(at), at, added)] };
}

export function removeCall(r: Rand, p: Program): Program {
  if (p.calls.length <= 1) return p;
  return removeCalls(p, new Set([r.int(p.calls.length)]));
}

/** A prefix of `p`, then `other`'s calls (its references shifted past the prefix). */
export function splice(r: Rand, p: Program, other: Program, o: GenOptions): Program {
  const at = r.int(p.calls.length + 1);
  const calls = [...p.calls.slice(0, at), ...shift(other.calls.map(strip), 0, at)];
  return { meta: p.meta, calls: calls.slice(0, Math.max(o.maxCalls, at + 1)) };
}

function tweakInt(r: Rand, a: ArgDesc, v: bigint): bigint {
  const bits = BigInt(a.domain?.bits ?? 64);
  const mask = (1n << bits) - 1n;
  switch (r.int(4)) {
    case 0:
      return pick(r, boundaries(a));
    case 1:
      return (v + (chance(r, 0.5) ? 1n : -1n)) & mask;
    case 2:
      return (v ^ (1n << BigInt(r.int(Number(bits))))) & mask;
    default:
      return chance(r, 0.5) ? (v << 1n) & mask : v >> 1n;
  }
}

/** Redraws one argument of one call from its description. */
export function mutateArg(r: Rand, p: Program, o: GenOptions): Program {
  const candidates = p.calls.map((c, i) => [i, CALLS[c.op].args.length] as const).filter(([, n]) => n > 0);
  if (!candidates.length) return p;
  const [i] = pick(r, candidates);
  const c = p.calls[i];
  const descs = CALLS[c.op].args as readonly ArgDesc[];
  const j = r.int(descs.length);
  const d = descs[j];
  const old = c.args[j];
  if (d.kind === 'int' && old.kind === 'lit' && chance(r, 0.5)) {
    const args = c.args.slice();
    args[j] = lit(tweakInt(r, d, old.value));
    const calls = p.calls.slice();
    calls[i] = { op: c.op, args };
    return { meta: p.meta, calls };
  }
  if (d.kind !== 'int' && chance(r, 0.15)) {
    const args = c.args.slice();
    args[j] = lit(pick(r, RESOURCES[d.kind as ResourceKind].special));
    const calls = p.calls.slice();
    calls[i] = { op: c.op, args };
    return { meta: p.meta, calls };
  }
  // regenerate the call against the state at i; keep the other arguments
  const b = new ProgramBuilder(r, o, analyze(p.calls.slice(0, i), o));
  b.gen(c.op as OpName);
  const made = b.calls;
  const added = made.length - i - 1; // constructors inserted before the regenerated call
  const fresh = made[made.length - 1];
  const args = c.args.map((a, k) => (k === j ? fresh.args[j] : a.kind === 'ref' && a.call >= i ? ref(a.call + added, a.field) : a));
  const calls = [...made.slice(0, -1), { op: c.op, args }, ...shift(p.calls.slice(i + 1), i, added)];
  return { meta: p.meta, calls };
}

/** Two references of one resource kind: every use of the later one becomes the earlier. */
export function squash(r: Rand, p: Program): Program {
  // resources referenced, by kind: [producer call, field]
  const byKind = new Map<string, [number, string][]>();
  p.calls.forEach((c, i) =>
    CALLS[c.op].outs.forEach((out) => {
      if (out.kind === 'int') return;
      const xs = byKind.get(out.kind) ?? [];
      xs.push([i, out.name]);
      byKind.set(out.kind, xs);
    }),
  );
  const kinds = [...byKind.values()].filter((xs) => xs.length >= 2);
  if (!kinds.length) return p;
  const xs = pick(r, kinds);
  const a = r.int(xs.length - 1);
  const b = a + 1 + r.int(xs.length - a - 1);
  const [keepCall, keepField] = xs[a];
  const [goneCall, goneField] = xs[b];
  const calls = p.calls.map((c, i) =>
    i <= goneCall ? c : { ...c, args: c.args.map((x): Arg => (x.kind === 'ref' && x.call === goneCall && x.field === goneField ? ref(keepCall, keepField) : x)) },
  );
  return { meta: p.meta, calls };
}

export interface MutateContext {
  readonly o: GenOptions;
  /** another corpus program, for splice (absent: splice inserts instead) */
  other?(): Program | undefined;
}

/** One to a few mutations of `p`; the result is valid and no longer than maxCalls (+ its constructors). */
export function mutate(r: Rand, p: Program, ctx: MutateContext): Program {
  let q: Program = { meta: p.meta, calls: p.calls.map(strip) };
  const rounds = 1 + (chance(r, 0.3) ? r.int(3) : 0);
  for (let k = 0; k < rounds; k++) {
    const m = q.calls.length ? weighted(r, WEIGHTS) : 'insert';
    if (m === 'insert') q = q.calls.length >= ctx.o.maxCalls ? removeCall(r, q) : insertCall(r, q, ctx.o);
    else if (m === 'remove') q = removeCall(r, q);
    else if (m === 'splice') {
      const other = ctx.other?.();
      q = other ? splice(r, q, other, ctx.o) : insertCall(r, q, ctx.o);
    } else if (m === 'argument') q = mutateArg(r, q, ctx.o);
    else q = squash(r, q);
  }
  return q;
}
