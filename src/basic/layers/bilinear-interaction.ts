import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';

/** How the bilinear weights are shared: one W for all pairs, one per field i, or one per pair (i, j). */
export type BilinearType = 'field_all' | 'field_each' | 'field_interaction';
export const BILINEAR_TYPES: readonly BilinearType[] = ['field_all', 'field_each', 'field_interaction'];

/**
 * FiBiNET's bilinear interaction (Huang et al., RecSys 2019): for every field pair i < j,
 *   p_ij = (e_i W) ⊙ e_j        with W shared ('field_all'), W_i per field ('field_each') or W_ij per pair
 * ('field_interaction'). Fields [B, F, D] -> [B, F(F-1)/2 * D] (the pair vectors concatenated).
 * Pairs are formed with constant 0/1 selection matrices (a matMul), not a gather, whose gradient wasm lacks.
 */
export class BilinearInteraction extends Module {
  readonly numPairs: number;
  readonly outputDim: number;
  private readonly weight: tf.Variable;
  /** Host copies of the selection matrices [P, F]; small, so each forward pass uploads them inside its scope. */
  private readonly left: Float32Array;
  private readonly right: Float32Array;

  constructor(
    readonly numFields: number,
    readonly dim: number,
    readonly type: BilinearType,
    rng: Rng,
    owner = 'BilinearInteraction',
  ) {
    super();
    if (!BILINEAR_TYPES.includes(type)) throw new Error(`${owner}: bilinearType must be one of ${BILINEAR_TYPES.join(', ')} (got '${type}')`);
    if (!Number.isInteger(numFields) || numFields < 2) throw new Error(`${owner}: needs at least 2 fields for pairwise interactions (got ${numFields})`);
    const F = numFields;
    this.numPairs = (F * (F - 1)) / 2;
    this.outputDim = this.numPairs * dim;
    const left = new Float32Array(this.numPairs * F);
    const right = new Float32Array(this.numPairs * F);
    let p = 0;
    for (let i = 0; i < F; i++) {
      for (let j = i + 1; j < F; j++, p++) {
        left[p * F + i] = 1;
        right[p * F + j] = 1;
      }
    }
    this.left = left;
    this.right = right;
    const count = type === 'field_all' ? 1 : type === 'field_each' ? F : this.numPairs;
    this.weight = this.addParam('weight', [count, dim, dim], init.glorotUniform(rng, [count, dim, dim], dim, dim));
  }

  apply(fields: tf.Tensor3D): tf.Tensor2D {
    const [B, F, D] = fields.shape;
    if (F !== this.numFields || D !== this.dim) throw new Error(`BilinearInteraction: expected [B, ${this.numFields}, ${this.dim}], got [${fields.shape}]`);
    const P = this.numPairs;
    const fieldMajor = tf.transpose(fields, [1, 0, 2]) as tf.Tensor3D; // [F, B, D]
    const left = tf.tensor2d(this.left, [P, F]);
    const right = tf.tensor2d(this.right, [P, F]);
    const pick = (sel: tf.Tensor2D, t: tf.Tensor3D, n: number) => tf.matMul(sel, t.reshape([n, B * D])).reshape([P, B, D]) as tf.Tensor3D;
    let transformedLeft: tf.Tensor3D;
    if (this.type === 'field_all') {
      transformedLeft = tf.matMul(pick(left, fieldMajor, F).reshape([P * B, D]), this.weight.reshape([D, D])).reshape([P, B, D]) as tf.Tensor3D;
    } else if (this.type === 'field_each') {
      transformedLeft = pick(left, tf.matMul(fieldMajor, this.weight as tf.Tensor3D), F);
    } else {
      transformedLeft = tf.matMul(pick(left, fieldMajor, F), this.weight as tf.Tensor3D);
    }
    const pairs = tf.mul(transformedLeft, pick(right, fieldMajor, F));
    return tf.transpose(pairs, [1, 0, 2]).reshape([B, P * D]) as tf.Tensor2D;
  }
}
