/** Seeds of the independent hash functions used for hashed / multi-hashed ids (also written into ONNX graphs). */
export const HASH_SEEDS = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1, 0xd3a2646c, 0xfd7046c5, 0xb55a4f09];

/** murmur3's 32-bit finaliser: cheap and mixes every input bit into every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Bucket of raw id `v` under hash function `fn` in a table of `rows` rows: in [1, rows), with raw id 0 kept as
 * padding (0) so that "missing" stays missing after hashing.
 */
export function hashBucket(v: number, fn: number, rows: number): number {
  if (v === 0) return 0;
  return 1 + (fmix32((v ^ HASH_SEEDS[fn]) >>> 0) % (rows - 1));
}
