import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, applyActivation } from './activation';
import { init, Module } from './module';

/** y = act(x W + b). */
export class Dense extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    readonly inputDim: number,
    readonly units: number,
    rng: Rng,
    readonly activation: Activation = 'linear',
    useBias = true,
  ) {
    super();
    if (!Number.isInteger(inputDim) || inputDim < 1) throw new Error(`Dense: inputDim must be a positive integer (got ${inputDim})`);
    if (!Number.isInteger(units) || units < 1) throw new Error(`Dense: units must be a positive integer (got ${units})`);
    this.kernel = this.addParam('kernel', [inputDim, units], init.glorotUniform(rng, [inputDim, units], inputDim, units));
    this.bias = useBias ? this.addParam('bias', [units], init.constant([units], 0), { regularize: false }) : null;
  }

  apply(x: tf.Tensor): tf.Tensor {
    const rank = x.rank;
    const x2 = rank === 2 ? (x as tf.Tensor2D) : x.reshape([-1, this.inputDim]) as tf.Tensor2D;
    // fused matMul runs bias and relu inside one XNNPACK call; tfjs can only differentiate it for linear/relu
    const fusable = this.activation === 'linear' || this.activation === 'relu';
    let y: tf.Tensor = tf.fused.matMul({
      a: x2,
      b: this.kernel as tf.Tensor2D,
      bias: this.bias ?? undefined,
      activation: fusable ? (this.activation as 'linear' | 'relu') : 'linear',
    });
    if (!fusable) y = applyActivation(y, this.activation);
    return rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.units]);
  }
}
