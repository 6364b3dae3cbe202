import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { init, Module } from './module';

/** Complex field vectors in rectangular form: real and imaginary parts, each [B, F, D]. */
export interface ComplexFields {
  re: tf.Tensor3D;
  im: tf.Tensor3D;
}

/** Settings of {@link EulerInteractionLayer}. */
export interface EulerInteractionConfig {
  /** Add the implicit branch ReLU(W r + b), ReLU(W p + b) (default true). */
  implicit?: boolean;
}

/**
 * EulerNet's Euler interaction layer (Tian et al., SIGIR 2023). By Euler's formula a product of complex features
 * with learnable exponents becomes linear in polar form: with λ_j = log|ẽ_j| and θ_j = arg ẽ_j,
 *   ∏_j ẽ_j^{α_jk} = exp(Σ_j α_jk λ_j) · e^{i Σ_j α_jk θ_j}
 * so the explicit branch learns interaction orders α [F_in, F_out] (one per input field and output "order" k):
 *   λ'_k = Σ_j α_jk λ_j + δ_k,  θ'_k = Σ_j α_jk θ_j + δ'_k,   r_k = exp(λ'_k) cos θ'_k,  p_k = exp(λ'_k) sin θ'_k
 * and an implicit branch adds ReLU(W r + b), ReLU(W p + b) (one W shared by both parts) on the flattened input.
 * Complex fields [B, F_in, D] -> [B, F_out, D].
 */
export class EulerInteractionLayer extends Module {
  private readonly orders: tf.Variable;
  private readonly biasLambda: tf.Variable;
  private readonly biasTheta: tf.Variable;
  private readonly implicit: Dense | null;

  constructor(
    readonly inputFields: number,
    readonly outputFields: number,
    readonly dim: number,
    config: EulerInteractionConfig,
    rng: Rng,
  ) {
    super();
    if (!Number.isInteger(outputFields) || outputFields < 1) throw new Error(`EulerInteractionLayer: output field count must be a positive integer (got ${outputFields})`);
    // near one-hot columns summing to 1: each output order starts close to one input field (exponent ~1)
    const raw = init.normal(rng, [inputFields, outputFields], 1);
    const alpha = new Float32Array(inputFields * outputFields);
    for (let k = 0; k < outputFields; k++) {
      let max = -Infinity;
      for (let j = 0; j < inputFields; j++) max = Math.max(max, raw[j * outputFields + k]);
      let sum = 0;
      for (let j = 0; j < inputFields; j++) sum += alpha[j * outputFields + k] = Math.exp((raw[j * outputFields + k] - max) / 0.1);
      for (let j = 0; j < inputFields; j++) alpha[j * outputFields + k] /= sum;
    }
    this.orders = this.addParam('orders', [inputFields, outputFields], alpha, { regularize: false });
    this.biasLambda = this.addParam('biasLambda', [outputFields, dim], init.normal(rng, [outputFields, dim], 0.01), { regularize: false });
    this.biasTheta = this.addParam('biasTheta', [outputFields, dim], init.normal(rng, [outputFields, dim], 0.01), { regularize: false });
    this.implicit = config.implicit ?? true ? this.addChild('implicit', new Dense(inputFields * dim, outputFields * dim, rng, 'relu')) : null;
  }

  apply(x: ComplexFields): ComplexFields {
    const [B, F, D] = x.re.shape;
    if (F !== this.inputFields || D !== this.dim) throw new Error(`EulerInteractionLayer: expected [B, ${this.inputFields}, ${this.dim}], got [${x.re.shape}]`);
    const K = this.outputFields;
    const lambda = tf.mul(0.5, tf.log(tf.add(tf.add(tf.square(x.re), tf.square(x.im)), 1e-8)));
    const theta = tf.atan2(x.im, x.re);
    // Σ_j α_jk t_j for every (row, dim): [B, F, D] -> [B, D, F] x [F, K] -> [B, K, D]
    const mix = (t: tf.Tensor, bias: tf.Tensor) =>
      tf.add(tf.transpose(tf.matMul(tf.transpose(t, [0, 2, 1]).reshape([B * D, F]), this.orders).reshape([B, D, K]), [0, 2, 1]), bias);
    const modulus = tf.exp(mix(lambda, this.biasLambda));
    const phase = mix(theta, this.biasTheta);
    let re = tf.mul(modulus, tf.cos(phase));
    let im = tf.mul(modulus, tf.sin(phase));
    if (this.implicit) {
      re = tf.add(re, this.implicit.apply(x.re.reshape([B, F * D])).reshape([B, K, D]));
      im = tf.add(im, this.implicit.apply(x.im.reshape([B, F * D])).reshape([B, K, D]));
    }
    return { re: re as tf.Tensor3D, im: im as tf.Tensor3D };
  }
}
