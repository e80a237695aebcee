/** The random source every generator draws from: seeded, so every choice replays. */
import seedrandom from 'seedrandom';

export interface Rand {
  /** uniform integer in [0, n) */
  int(n: number): number;
}

/** Alea (seedrandom's): seeded from any string, about 8× cheaper than the default ARC4 to set
 * up and draw from — and every program gets a fresh generator from "seed:index". */
export function seededRand(seed: string | number): Rand {
  const r = seedrandom.alea(String(seed));
  return { int: (n) => Math.floor(r() * n) };
}

export const chance = (r: Rand, p: number): boolean => r.int(1_000_000) < p * 1_000_000;
export function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[r.int(xs.length)];
}
/** Picks by weight from [value, weight] pairs. */
export function weighted<T>(r: Rand, xs: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (let i = 0; i < xs.length; i++) total += xs[i][1];
  let k = r.int(total);
  for (let i = 0; i < xs.length; i++) if ((k -= xs[i][1]) < 0) return xs[i][0];
  return xs[xs.length - 1][0];
}
