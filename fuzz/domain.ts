/**
 * The generic integer generator: an integer argument draws from its description's domain
 * (ir/calls/types.ts IntDomain) — typical values by weight, else boundary values derived from
 * the domain: the field width's wrap points, page multiples ±1 for byte counts, documented
 * limits ±1, the symbol set's unknown bits, and products with other arguments landing next to a
 * wrap point (drm_mode_create_dumb computes in u32).
 */
import type { ArgDesc, IntDomain, Product, Typical } from '../ir/calls.ts';
import { lit, type Arg } from '../ir/program.ts';
import { PAGE_SIZE } from '../ir/uapi.ts';
import { chance, pick, weighted, type Rand } from './rand.ts';

const PAGE = BigInt(PAGE_SIZE);
const U64 = (1n << 64n) - 1n;
/** Probability of a boundary draw when the domain does not say. */
export const DEFAULT_EDGE = 0.05;
/** Of the boundary draws of a domain with products, the share that are products. */
const PRODUCT_SHARE = 0.5;

const FALLBACK: IntDomain = { bits: 64, typical: [[0n, 1]] };
const cache = new WeakMap<ArgDesc, readonly bigint[]>();

/**
 * The wrap points of a `bits`-wide field: INT_MAX, INT_MIN, U32_MAX, and for a u64 field also
 * 2^32 (where a u32 truncation somewhere would show) and the 64-bit ones. A 32-bit field gets
 * nothing wider: a value past its width tests the executor's C truncation (PROTOCOL.md), not
 * the kernel — the garbage-argument property covers that.
 */
function wrapPoints(bits: 32 | 64): bigint[] {
  const u32 = [0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn];
  return bits === 32 ? u32 : [...u32, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, U64];
}

/** Byte counts: one and two pages ±1, and the last pages below each wrap (PAGE_ALIGN of
 * anything in (W − PAGE, W) wraps to 0). */
function pageEdges(bits: 32 | 64): bigint[] {
  const out = [PAGE - 1n, PAGE, PAGE + 1n, 2n * PAGE - 1n, 2n * PAGE + 1n];
  for (const w of bits === 32 ? [1n << 32n] : [1n << 32n, 1n << 64n]) out.push(w - PAGE, w - PAGE + 1n, w - 1n);
  if (bits === 64) out.push(1n << 32n, (1n << 32n) + 1n); // just past u32
  return out;
}

/** Unknown bits of a flag set (the lowest one, all known bits plus it, all ones) or the value
 * past an enum's last. */
function symbolEdges(a: ArgDesc): bigint[] {
  const s = a.symbols;
  if (!s) return [];
  const vals = Object.values(s.names);
  if (s.style === 'enum') return [vals.reduce((m, v) => (v > m ? v : m), 0n) + 1n];
  const known = vals.reduce((m, v) => m | v, 0n);
  let low = 1n;
  while (known & low) low <<= 1n;
  return [low, known, known | low];
}

/** Every boundary value of an integer argument, deduplicated, within [0, 2^64) and `max`. */
export function boundaries(a: ArgDesc): readonly bigint[] {
  const hit = cache.get(a);
  if (hit) return hit;
  const d = a.domain ?? FALLBACK;
  const vs = [0n, 1n, ...wrapPoints(d.bits), ...(d.bytes ? pageEdges(d.bits) : []), ...symbolEdges(a)];
  for (const t of d.limits ?? []) vs.push(t - 1n, t, t + 1n);
  const out = [...new Set(vs)].filter((v) => v >= 0n && v <= U64 && (d.max === undefined || v <= d.max)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  cache.set(a, out);
  return out;
}

function drawTypical(r: Rand, d: IntDomain): bigint {
  const t: Typical = weighted(r, d.typical);
  if (typeof t === 'bigint') return t;
  const [lo, hi] = t;
  return lo + BigInt(r.int(Number(hi - lo + 1n)));
}

/**
 * A value that puts this argument times the product's factors next to one of its targets:
 * ⌊(target + δ) / factors⌋ for δ in ±spread, so the product lands on both sides. Undefined
 * when a factor is not known yet or is 0. Factors are truncated to the field width first, as
 * the kernel sees them.
 */
export function productValue(r: Rand, d: IntDomain, p: Product, valueOf: (name: string) => bigint | undefined): bigint | undefined {
  let prod = 1n;
  for (const f of p.factors) {
    const raw = valueOf(f.arg);
    if (raw === undefined) return undefined;
    const v = BigInt.asUintN(d.bits, raw);
    prod *= f.ceilDiv ? (v + f.ceilDiv - 1n) / f.ceilDiv : v;
  }
  if (prod === 0n) return undefined;
  const spread = p.spread ?? 8;
  const target = pick(r, p.near) + BigInt(r.int(2 * spread + 1) - spread);
  return target <= 0n ? 0n : target / prod;
}

/**
 * Draws one integer argument. `values` gives the literal values of the call's arguments
 * drawn so far (for products); `objectSize` is the size of the object the call's resources
 * name, when known (an mmap of the whole object).
 */
/** The literal values of the call's arguments drawn so far. */
export interface Literals {
  literal(name: string): bigint | undefined;
}

export function drawInt(r: Rand, a: ArgDesc, values: Literals, objectSize?: Arg): Arg {
  const d = a.domain ?? FALLBACK;
  if (d.objectSize && objectSize && chance(r, d.objectSize)) return objectSize;
  if (chance(r, d.edge ?? DEFAULT_EDGE)) {
    if (d.products?.length && chance(r, PRODUCT_SHARE)) {
      const v = productValue(r, d, pick(r, d.products), (n) => values.literal(n));
      if (v !== undefined && v < 1n << BigInt(d.bits) && (d.max === undefined || v <= d.max)) return lit(v);
    }
    return lit(pick(r, boundaries(a)));
  }
  return lit(drawTypical(r, d));
}

/** The order to draw a call's integer arguments in: each after the arguments its products
 * multiply by (bpp before width before height). */
export function intOrder(args: readonly ArgDesc[]): number[] {
  const ints = args.map((a, j) => [a, j] as const).filter(([a]) => a.kind === 'int');
  const done = new Set<string>(args.filter((a) => a.kind !== 'int').map((a) => a.name));
  const order: number[] = [];
  while (order.length < ints.length) {
    const before = order.length;
    for (const [a, j] of ints) {
      if (order.includes(j)) continue;
      const deps = (a.domain?.products ?? []).flatMap((p) => p.factors.map((f) => f.arg));
      if (deps.every((n) => done.has(n) || n === a.name)) {
        order.push(j);
        done.add(a.name);
      }
    }
    if (order.length === before) throw new Error(`circular integer products in ${args.map((a) => a.name).join(', ')}`);
  }
  return order;
}
