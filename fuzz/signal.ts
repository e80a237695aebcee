/**
 * Signal (syzkaller's pkg/signal): a set of small integers a program reached. Two sources:
 * impl's coverage points (impl/cover.ts: (call op, decision point) pairs) where the target
 * has them, and a fallback from each call's (op, outcome) — ok, the errno, the signal — for
 * targets without coverage (the Debian kernel has no KCOV). Sets merge and diff; on disk they
 * are sorted arrays (campaign/corpus.ts).
 */
import { OPS, type OpName } from '../ir/calls.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';

export type Signal = Set<number>;

/** Fallback elements live above every coverage element (ops × 65 536 point ids). */
const FALLBACK_BASE = 1 << 30;
const OP_INDEX = new Map<OpName, number>(OPS.map((o, i) => [o, i]));

function outcomeCode(o: Outcome): number {
  switch (o.status) {
    case 'ok':
      return 0;
    case 'err':
      return 1 + Math.min(o.errno, 510);
    case 'sig':
      return o.signal === 'SIGSEGV' ? 600 : 601;
    default:
      return 700; // crash and anything else: one element per op
  }
}

/** (op, outcome) of every call that answered. */
export function outcomeSignal(p: Program, outcomes: readonly Outcome[], into: Signal = new Set()): Signal {
  for (let i = 0; i < outcomes.length && i < p.calls.length; i++) into.add(FALLBACK_BASE + (OP_INDEX.get(p.calls[i].op) ?? 0) * 1024 + outcomeCode(outcomes[i]));
  return into;
}

/** Adds every element of `b` to `a`; returns how many were new. */
export function mergeSignal(a: Signal, b: Iterable<number>): number {
  let n = 0;
  for (const x of b)
    if (!a.has(x)) {
      a.add(x);
      n++;
    }
  return n;
}

/** The elements of `s` that `base` lacks. */
export function diffSignal(base: ReadonlySet<number>, s: Iterable<number>): number[] {
  const out: number[] = [];
  for (const x of s) if (!base.has(x)) out.push(x);
  return out;
}

export const isFallback = (x: number): boolean => x >= FALLBACK_BASE;

/** A readable name for an element (stats): `op:ok`, `op:errno 22`, or a coverage point's name. */
export function describeSignal(x: number, pointName: (x: number) => string): string {
  if (!isFallback(x)) return `${OPS[Math.floor(x / 65536)] ?? '?'}@${pointName(x)}`;
  const y = x - FALLBACK_BASE;
  const op = OPS[Math.floor(y / 1024)] ?? '?';
  const c = y % 1024;
  return `${op}:${c === 0 ? 'ok' : c <= 511 ? `errno ${c - 1}` : c === 600 ? 'SIGSEGV' : c === 601 ? 'SIGBUS' : 'crash'}`;
}
