/** Argument truncation: a 64-bit program value assigned to a uapi field, as C would. */
export const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
export const i32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
