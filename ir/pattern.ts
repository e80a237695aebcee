/**
 * Memory content conventions shared with the C executor (executor/PROTOCOL.md):
 * the byte pattern a `write` call stores and the digest a `read` call returns.
 */

function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Byte i (0-based within one write call) of the pattern for `seed` (u32). */
export function patternByte(seed: number, i: number): number {
  return fmix32((seed ^ Math.imul(i, 0x9e3779b1)) >>> 0) & 0xff;
}

/** Fills `dst` with pattern bytes starting at pattern index `from`. */
export function fillPattern(dst: Uint8Array, seed: number, from: number): void {
  for (let k = 0; k < dst.length; k++) dst[k] = patternByte(seed, from + k);
}

export const FNV_BASIS = 0x811c9dc5;

/** FNV-1a 32-bit, continuing from `h` (start with FNV_BASIS). */
export function fnv1a(h: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193) >>> 0;
  return h >>> 0;
}

/** Digest of `n` zero bytes continuing from h (unbacked pages read as zeros). */
export function fnv1aZeros(h: number, n: number): number {
  for (let k = 0; k < n; k++) h = Math.imul(h, 0x01000193) >>> 0;
  return h >>> 0;
}
