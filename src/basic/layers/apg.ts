import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, applyActivation } from './activation';
import { Dense } from './dense';
import { init, Module } from './module';

/**
 * Adaptive parameter generation layer (Yan et al., APG, NeurIPS 2022): a dense layer whose weights are generated
 * per row from a condition vector z (scenario, user group), in the paper's low-rank, decomposed form
 *   W(z) = U · S(z) · V,  S(z) = I + reshape(G z) ∈ R^{r×r},   h = act(x W(z) + b),
 * with U [in, r], V [r, out] shared and only the r×r core generated. G starts at zero, so an untrained layer is the
 * static factorised layer x U V + b and the condition's influence grows with training.
 */
export class ApgDense extends Module {
  private readonly U: tf.Variable;
  private readonly V: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly generator: Dense;

  constructor(readonly inputDim: number, readonly units: number, readonly conditionDim: number, readonly rank: number, rng: Rng, readonly activation: Activation = 'relu') {
    super();
    if (!Number.isInteger(rank) || rank < 1) throw new Error(`ApgDense: rank must be a positive integer (got ${rank})`);
    this.U = this.addParam('U', [inputDim, rank], init.glorotUniform(rng, [inputDim, rank], inputDim, rank));
    this.V = this.addParam('V', [rank, units], init.glorotUniform(rng, [rank, units], rank, units));
    this.bias = this.addParam('bias', [units], init.constant([units], 0), { regularize: false });
    this.generator = this.addChild('generator', new Dense(conditionDim, rank * rank, rng));
    for (const [, p] of this.generator.namedParams()) p.variable.assign(tf.zerosLike(p.variable));
  }

  apply(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor2D {
    const B = x.shape[0];
    const r = this.rank;
    const core = tf.add(this.generator.apply(z).reshape([B, r, r]), tf.eye(r)); // [B, r, r]
    const low = tf.matMul(x, this.U as tf.Tensor2D).reshape([B, 1, r]);
    const mixed = tf.matMul(low as tf.Tensor3D, core as tf.Tensor3D).reshape([B, r]) as tf.Tensor2D;
    const y = tf.add(tf.matMul(mixed, this.V as tf.Tensor2D), this.bias) as tf.Tensor2D;
    return applyActivation(y, this.activation) as tf.Tensor2D;
  }
}
