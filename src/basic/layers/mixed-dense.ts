import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
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
  private readonly sharedKernel: tf.Variable;
  private readonly sharedBias: tf.Variable | null;
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
    const weights = (shape: number[]) => (zeroInit ? init.constant(shape, 0) : init.glorotUniform(rng, shape, inputDim, units));
    this.sharedKernel = this.addParam('shared/kernel', [inputDim, units], weights([inputDim, units]));
    this.sharedBias = useBias ? this.addParam('shared/bias', [units], init.constant([units], 0), { regularize: false }) : null;
    this.kernels = this.addParam('specific/kernel', [numSpecific, inputDim, units], weights([numSpecific, inputDim, units]));
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
    const head = tf.fused
      .matMul({ a: x.slice([0, 0, 0], [nShared, -1, -1]).reshape([nShared * B, D]) as tf.Tensor2D, b: this.sharedKernel as tf.Tensor2D, bias: this.sharedBias ?? undefined, activation: this.activation })
      .reshape([nShared, B, this.units]);
    return tf.concat([head, specific], 0) as tf.Tensor3D;
  }
}
