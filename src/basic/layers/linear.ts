import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';

/**
 * First-order (logistic-regression) part: a global bias, one scalar weight per sparse id (the 'linear' table
 * variant, stacked as [B, F, 1]) and a weight per dense input. Output [B, 1].
 */
export class LinearTerm extends Module {
  readonly bias: tf.Variable;
  readonly denseWeights: tf.Variable | null;

  constructor(readonly denseDim: number, rng: Rng) {
    super();
    this.bias = this.addParam('bias', [1], init.constant([1], 0), { regularize: false });
    this.denseWeights = denseDim > 0 ? this.addParam('dense_w', [denseDim, 1], init.normal(rng, [denseDim, 1], 0.01)) : null;
  }

  apply(sparseWeights: tf.Tensor3D | null, dense: tf.Tensor2D | null): tf.Tensor2D {
    let out: tf.Tensor = this.bias;
    if (sparseWeights) out = tf.add(out, tf.sum(sparseWeights, [1, 2]).expandDims(1));
    if (dense && this.denseWeights) out = tf.add(out, tf.matMul(dense, this.denseWeights as tf.Tensor2D));
    return out as tf.Tensor2D;
  }
}
