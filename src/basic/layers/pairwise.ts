import * as tf from '@tensorflow/tfjs-core';

/** The field pairs (i, j), i < j, in row-major order: (0,1), (0,2), ..., (F-2, F-1). */
export function fieldPairs(numFields: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < numFields; i++) for (let j = i + 1; j < numFields; j++) pairs.push([i, j]);
  return pairs;
}

const selectors = new Map<number, { left: Float32Array; right: Float32Array; pairs: number }>();

/** One-hot [F, P] matrices picking the left and right field of every pair (cached per F). */
function pairSelectors(F: number): { left: Float32Array; right: Float32Array; pairs: number } {
  let s = selectors.get(F);
  if (!s) {
    const pairs = fieldPairs(F);
    const P = pairs.length;
    const left = new Float32Array(F * P);
    const right = new Float32Array(F * P);
    pairs.forEach(([i, j], p) => {
      left[i * P + p] = 1;
      right[j * P + p] = 1;
    });
    s = { left, right, pairs: P };
    selectors.set(F, s);
  }
  return s;
}

/**
 * The left and right members of every field pair, each [B, P, D] with P = F(F-1)/2. Selection is a matmul with a
 * one-hot matrix rather than a gather, because gather's gradient needs a scatter kernel the wasm backend lacks.
 */
export function pairMembers(fields: tf.Tensor3D): { left: tf.Tensor3D; right: tf.Tensor3D } {
  const [B, F, D] = fields.shape;
  if (F < 2) throw new Error(`pairwise interaction needs at least two fields (got ${F})`);
  return tf.tidy(() => {
    const { left, right, pairs: P } = pairSelectors(F);
    const byDim = fields.transpose([0, 2, 1]).reshape([B * D, F]) as tf.Tensor2D;
    const pick = (sel: Float32Array) => tf.matMul(byDim, tf.tensor2d(sel, [F, P])).reshape([B, D, P]).transpose([0, 2, 1]) as tf.Tensor3D;
    return { left: pick(left), right: pick(right) };
  });
}

/** Element-wise products e_i ⊙ e_j of every field pair i < j: [B, F, D] -> [B, F(F-1)/2, D]. */
export function pairwiseProducts(fields: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const { left, right } = pairMembers(fields);
    return tf.mul(left, right) as tf.Tensor3D;
  });
}
