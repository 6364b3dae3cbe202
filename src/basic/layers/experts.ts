import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { Dense } from './dense';
import { Mlp, MlpConfig } from './mlp';
import { ForwardContext, Module } from './module';

/**
 * A group of independent expert networks that all read the same input, as used by mixture-of-experts
 * multi-task models (MMoE, CGC / PLE, POSO-MMoE). Every expert is an MLP with the same shape, so their outputs
 * can be mixed by a gate.
 */
export class ExpertSet extends Module {
  private readonly experts: Mlp[] = [];
  /** Width of each expert's output. */
  readonly outputDim: number;

  /**
   * @param inputDim width of the input every expert reads
   * @param count number of experts (>= 1)
   * @param mlp shape of each expert; `dims` must be non-empty (an expert without hidden layers would be linear and
   *   all mixtures of linear experts collapse into one linear map)
   */
  constructor(
    readonly inputDim: number,
    readonly count: number,
    mlp: MlpConfig,
    rng: Rng,
    owner = 'ExpertSet',
  ) {
    super();
    if (!Number.isInteger(count) || count < 1) throw new Error(`${owner}: number of experts must be a positive integer (got ${count})`);
    if (!mlp || !Array.isArray(mlp.dims) || mlp.dims.length === 0) throw new Error(`${owner}: expert mlp.dims must list at least one layer width`);
    for (let k = 0; k < count; k++) this.experts.push(this.addChild(`${k}`, new Mlp(inputDim, mlp, rng, owner)));
    this.outputDim = this.experts[0].outputWidth;
  }

  /** Each expert's output [B, H], in expert order. */
  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D[] {
    return this.experts.map((e) => e.apply(x, ctx));
  }
}

/** A softmax gate: per row, a distribution over `numExperts` experts computed from the gate's input. */
export class ExpertGate extends Module {
  private readonly dense: Dense;

  constructor(
    readonly inputDim: number,
    readonly numExperts: number,
    rng: Rng,
  ) {
    super();
    this.dense = this.addChild('dense', new Dense(inputDim, numExperts, rng));
  }

  /** Mixing weights [B, numExperts], each row summing to 1. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.softmax(this.dense.apply(x) as tf.Tensor2D) as tf.Tensor2D;
  }
}

/**
 * Weighted sum of expert outputs: out[b] = sum_k weights[b, k] * experts[k][b]. Written as one broadcast product
 * and a reduction over the expert axis, which keeps the backward pass to element-wise kernels (no gather, no tile).
 */
export function mixExperts(experts: tf.Tensor2D[], weights: tf.Tensor2D): tf.Tensor2D {
  if (experts.length !== weights.shape[1]) throw new Error(`mixExperts: ${experts.length} experts but ${weights.shape[1]} gate weights`);
  if (experts.length === 1) return tf.mul(experts[0], weights) as tf.Tensor2D;
  const stacked = tf.stack(experts, 1) as tf.Tensor3D;
  return tf.sum(tf.mul(stacked, weights.expandDims(2)), 1) as tf.Tensor2D;
}
