import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, ACTIVATIONS, applyActivation } from './activation';
import { init, Module } from './module';

/** Settings of a compressed interaction network. */
export interface CinConfig {
  /** Feature maps per layer, H_1..H_L (default [128, 128]); L layers model crosses up to order L + 1. */
  layerSizes?: number[];
  /**
   * Send half of each hidden layer's maps to the next layer and half to the output (default true, as in the
   * xDeepFM reference code); the last layer always goes to the output whole. Needs even sizes before the last.
   */
  splitHalf?: boolean;
  /** Activation of the feature maps (default 'linear': the paper's equation 6 as written). */
  activation?: Activation;
}

/**
 * Compressed Interaction Network of xDeepFM (Lian et al., KDD 2018, eq. 6). With X^0 = the field embeddings
 * [B, m, D], each layer builds H_k feature maps from all products of its input maps with the raw fields,
 *   X^k_{h,*} = sum_{i <= H_{k-1}} sum_{j <= m} W^{k,h}_{ij} (X^{k-1}_{i,*} ⊙ X^0_{j,*})
 * so layer k holds (k+1)-th order vector-wise crosses. Each output map is sum-pooled over D; the pooled maps of all
 * layers are concatenated: output [B, outputWidth].
 */
export class Cin extends Module {
  readonly outputWidth: number;
  private readonly layers: Array<{ kernel: tf.Variable; bias: tf.Variable; size: number; next: number }> = [];
  private readonly activation: Activation;

  constructor(readonly numFields: number, cfg: CinConfig, rng: Rng) {
    super();
    const sizes = cfg.layerSizes ?? [128, 128];
    const split = cfg.splitHalf ?? true;
    this.activation = cfg.activation ?? 'linear';
    if (!ACTIVATIONS.includes(this.activation)) throw new Error(`CIN: activation must be one of ${ACTIVATIONS.join(', ')} (got '${cfg.activation}')`);
    if (!Array.isArray(sizes) || sizes.length === 0) throw new Error('CIN: layerSizes must be a non-empty array of feature-map counts');
    sizes.forEach((h, k) => {
      if (!Number.isInteger(h) || h < 1) throw new Error(`CIN: layerSizes[${k}] must be a positive integer (got ${h})`);
      if (split && k < sizes.length - 1 && h % 2 !== 0) throw new Error(`CIN: with splitHalf, layerSizes[${k}] must be even (got ${h}); use an even size or splitHalf: false`);
    });
    let prev = numFields;
    let width = 0;
    sizes.forEach((h, k) => {
      const fanIn = prev * numFields;
      const kernel = this.addParam(`${k}/kernel`, [fanIn, h], init.glorotUniform(rng, [fanIn, h], fanIn, h));
      const bias = this.addParam(`${k}/bias`, [h], init.constant([h], 0), { regularize: false });
      const last = k === sizes.length - 1;
      const next = split && !last ? h / 2 : h;
      this.layers.push({ kernel, bias, size: h, next });
      width += split && !last ? h - next : h;
      prev = next;
    });
    this.outputWidth = width;
  }

  apply(x0: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, m, D] = x0.shape;
      const pooled: tf.Tensor2D[] = [];
      let x: tf.Tensor3D = x0;
      this.layers.forEach(({ kernel, bias, size, next }, k) => {
        const H = x.shape[1];
        // z[b, d, (i, j)] = x[b, i, d] * x0[b, j, d]
        const z = tf.mul(x.expandDims(2), x0.expandDims(1)).reshape([B, H * m, D]).transpose([0, 2, 1]).reshape([B * D, H * m]) as tf.Tensor2D;
        let maps = tf.fused.matMul({ a: z, b: kernel as tf.Tensor2D, bias }).reshape([B, D, size]).transpose([0, 2, 1]) as tf.Tensor3D;
        maps = applyActivation(maps, this.activation) as tf.Tensor3D;
        const last = k === this.layers.length - 1;
        if (next < size && !last) {
          const [forward, out] = tf.split(maps, [next, size - next], 1) as tf.Tensor3D[];
          pooled.push(tf.sum(out, 2) as tf.Tensor2D);
          x = forward;
        } else {
          pooled.push(tf.sum(maps, 2) as tf.Tensor2D);
          x = maps;
        }
      });
      return (pooled.length === 1 ? pooled[0] : tf.concat(pooled, 1)) as tf.Tensor2D;
    });
  }
}
