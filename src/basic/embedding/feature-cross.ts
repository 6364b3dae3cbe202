import { fmix32 } from './hashing';

/**
 * A raw id for the pair of ids (a, b), for hashing a crossed feature into a table: non-zero for every pair of
 * present ids, and 0 (padding, no weight) when either side is missing (0). Order matters: (a, b) != (b, a).
 */
export function crossKey(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  // two rounds of mixing so that pairs sharing one side land far apart; the result is kept in [1, 2^31)
  const h = fmix32((fmix32(a >>> 0) ^ Math.imul(b >>> 0, 0x9e3779b1)) >>> 0);
  return 1 + (h % 0x7ffffffe);
}
