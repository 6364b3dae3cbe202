import { fmix32 } from './hashing';

/** crossKey's constants (also written into ONNX graphs, onnx/hash-ops.ts). */
export const CROSS_KEY = { multiplier: 0x9e3779b1, modulus: 0x7ffffffe } as const;

/**
 * A raw id for the pair of ids (a, b), for hashing a crossed feature into a table: non-zero for every pair of
 * present ids, and 0 (padding, no weight) when either side is missing (0). Order matters: (a, b) != (b, a).
 */
export function crossKey(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  // two rounds of mixing so that pairs sharing one side land far apart; the result is kept in [1, 2^31)
  const h = fmix32((fmix32(a >>> 0) ^ Math.imul(b >>> 0, CROSS_KEY.multiplier)) >>> 0);
  return 1 + (h % CROSS_KEY.modulus);
}
