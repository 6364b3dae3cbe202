import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { init, Module } from './module';

/**
 * OneTrans' mixed parameterisation of a token-wise linear map (Zhang et al., 2025): the leading tokens (sequence
 * tokens, which are all alike) share one weight matrix, while each of the last `numSpecific` tokens (non-sequence
 * tokens, each standing for a different group of features) has its own:
 *   y_t = act(x_t W_S + b_S)            for the shared tokens t < T - N,
 *   y_t = act(x_t W_t + b_t)            for the last N tokens (one batched product over them).
 * Time-major [T, B, inputDim] -> [T, B, units]; T may shrink between calls (pyramid) but always keeps the last N.
 */
export class MixedDense extends Module {
  private readonly shared: Dense;
  private readonly kernels: tf.Variable;
  private readonly biases: tf.Variable | null;

  constructor(
    readonly inputDim: number,
    readonly units: number,
    readonly numSpecific: number,
    rng: Rng,
    readonly activation: 'linear' | 'relu' = 'linear',
    useBias = true,
    /** Start from zero weights (a residual branch that begins as the identity). */
    zeroInit = false,
  ) {
    super();
    if (!Number.isInteger(numSpecific) || numSpecific < 1) throw new Error(`MixedDense: numSpecific must be a positive integer (got ${numSpecific})`);
    this.shared = this.addChild('shared', new Dense(inputDim, units, rng, activation, useBias));
    const shape = [numSpecific, inputDim, units];
    this.kernels = this.addParam('specific/kernel', shape, zeroInit ? init.constant(shape, 0) : init.glorotUniform(rng, shape, inputDim, units));
    if (zeroInit) tf.tidy(() => this.shared.kernel.assign(tf.zerosLike(this.shared.kernel)));
    this.biases = useBias ? this.addParam('specific/bias', [numSpecific, 1, units], init.constant([numSpecific, 1, units], 0), { regularize: false }) : null;
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [T, B, D] = x.shape;
    const N = this.numSpecific;
    if (D !== this.inputDim || T < N) throw new Error(`MixedDense: expected [T >= ${N}, B, ${this.inputDim}], got [${x.shape}]`);
    const nShared = T - N;
    const tail = nShared === 0 ? x : (x.slice([nShared, 0, 0], [N, -1, -1]) as tf.Tensor3D);
    let specific: tf.Tensor3D = tf.matMul(tail, this.kernels as tf.Tensor3D);
    if (this.biases) specific = tf.add(specific, this.biases);
    if (this.activation === 'relu') specific = tf.relu(specific);
    if (nShared === 0) return specific;
    const head = this.shared.apply(x.slice([0, 0, 0], [nShared, -1, -1]).reshape([nShared * B, D])).reshape([nShared, B, this.units]);
    return tf.concat([head, specific], 0) as tf.Tensor3D;
  }
}
