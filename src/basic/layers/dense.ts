import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, applyActivation } from './activation';
import { densePartsKernel, densePartsKernelAvailable } from '../backend/dense-parts-kernel';
import { init, Module } from './module';

/**
 * Initialisation of a dense layer: 'glorot' (uniform, zero bias; tfjs/Keras' default) or 'fanIn' (weights and bias
 * U(+-1/sqrt(fanIn)), PyTorch's nn.Linear default, ~2.5x smaller for a 128 -> 1 output layer).
 */
export type DenseInit = 'glorot' | 'fanIn';

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
    kernelInit: DenseInit = 'glorot',
  ) {
    super();
    if (!Number.isInteger(inputDim) || inputDim < 1) throw new Error(`Dense: inputDim must be a positive integer (got ${inputDim})`);
    if (!Number.isInteger(units) || units < 1) throw new Error(`Dense: units must be a positive integer (got ${units})`);
    const fanIn = kernelInit === 'fanIn';
    if (!fanIn && kernelInit !== 'glorot') throw new Error(`Dense: init must be 'glorot' or 'fanIn' (got '${String(kernelInit)}')`);
    this.kernel = this.addParam('kernel', [inputDim, units], fanIn ? init.fanInUniform(rng, [inputDim, units], inputDim) : init.glorotUniform(rng, [inputDim, units], inputDim, units));
    this.bias = useBias ? this.addParam('bias', [units], fanIn ? init.fanInUniform(rng, [units], inputDim) : init.constant([units], 0), { regularize: false }) : null;
  }

  apply(x: tf.Tensor): tf.Tensor {
    const rank = x.rank;
    const x2 = rank === 2 ? (x as tf.Tensor2D) : x.reshape([-1, this.inputDim]) as tf.Tensor2D;
    const y = this.product(x2, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D | null);
    return rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.units]);
  }

  /**
   * The output in column blocks of the given widths, i.e. tf.split(apply(x), sizes, 1) for x [rows, inputDim]: each
   * block is its own product with a column slice of the weights. The split copies the whole [rows, units] output and
   * its gradient is a concatenation of equal size; slicing the weights instead copies only [inputDim, size] per
   * block (for attention's q/k/v projections, 3 x 50 x 50 floats instead of 6,400 x 150 twice per step).
   */
  applyParts(x: tf.Tensor2D, sizes: number[]): tf.Tensor2D[] {
    if (sizes.reduce((a, b) => a + b, 0) !== this.units || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new Error(`Dense.applyParts: block widths [${sizes}] must be positive integers summing to the ${this.units} units`);
    }
    if (sizes.length === 1) return [this.apply(x) as tf.Tensor2D];
    if (densePartsKernelAvailable() && x.dtype === 'float32') {
      const parts = densePartsKernel(x, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D | null, sizes);
      return parts.map((y) => applyActivation(y, this.activation) as tf.Tensor2D);
    }
    let start = 0;
    return sizes.map((size) => {
      const kernel = tf.slice(this.kernel as tf.Tensor2D, [0, start], [this.inputDim, size]);
      const bias = this.bias ? tf.slice(this.bias as tf.Tensor1D, [start], [size]) : null;
      start += size;
      return this.product(x, kernel, bias);
    });
  }

  /** act(x kernel + bias) for x [rows, inputDim]. */
  private product(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor2D {
    // fused matMul runs bias and relu inside one XNNPACK call; tfjs can only differentiate it for linear/relu
    const fusable = this.activation === 'linear' || this.activation === 'relu';
    const y = tf.fused.matMul({ a: x, b: kernel, bias: bias ?? undefined, activation: fusable ? (this.activation as 'linear' | 'relu') : 'linear' });
    return (fusable ? y : applyActivation(y, this.activation)) as tf.Tensor2D;
  }
}
