import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { Mlp, MlpConfig } from './mlp';
import { ForwardContext, init, Module } from './module';

/**
 * A group of independent expert networks that all read the same input, as used by mixture-of-experts
 * multi-task models (MMoE, CGC / PLE, POSO-MMoE). Every expert is an MLP with the same shape, so their outputs
 * can be mixed by a gate.
 *
 * The experts' first layers are stored side by side as one [inputDim, count * width] layer: they read the same
 * input, and one wide matMul (plus its two backward products) costs far less on wasm than `count` narrow ones
 * with their per-kernel overhead. Batch norm, activation and dropout act per unit, so this is exactly `count`
 * separate layers; each expert's block is initialised with its own Glorot limit. Deeper layers run per expert.
 */
export class ExpertSet extends Module {
  private readonly first: Mlp;
  private readonly rest: Mlp[] = [];
  private readonly firstWidth: number;
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
    const [width, ...deeper] = mlp.dims;
    const layer = { activation: mlp.activation, dropout: mlp.dropout, batchNorm: mlp.batchNorm };
    this.first = this.addChild('first', new Mlp(inputDim, { ...layer, dims: [width * count] }, rng, owner));
    this.firstWidth = width;
    // Glorot for one expert (fan-out = its own width), not for the concatenated layer
    const kernel = this.first.namedParams().find(([name]) => name.endsWith('dense/kernel'))![1].variable;
    const values = init.glorotUniform(rng, [inputDim, width * count], inputDim, width);
    const t = tf.tensor2d(values, [inputDim, width * count]);
    kernel.assign(t);
    t.dispose();
    if (deeper.length || mlp.outputDim) {
      for (let k = 0; k < count; k++) this.rest.push(this.addChild(`${k}`, new Mlp(width, { ...mlp, dims: deeper }, rng, owner)));
      this.outputDim = this.rest[0].outputWidth;
    } else {
      this.outputDim = width;
    }
  }

  /** All experts' outputs stacked as [B, count, outputDim]. */
  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor3D {
    const h = this.first.apply(x, ctx);
    const B = x.shape[0];
    if (!this.rest.length) return h.reshape([B, this.count, this.firstWidth]) as tf.Tensor3D;
    const parts = this.count === 1 ? [h] : tf.split(h, this.count, 1);
    const outs = this.rest.map((mlp, k) => mlp.apply(parts[k] as tf.Tensor2D, ctx));
    const joined = outs.length === 1 ? outs[0] : tf.concat(outs, 1);
    return joined.reshape([B, this.count, this.outputDim]) as tf.Tensor3D;
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
 * Weighted sum of stacked expert outputs: out[b] = sum_k weights[b, k] * experts[b, k]. One broadcast product and a
 * reduction over the expert axis keep the backward pass to element-wise kernels (no gather, no tile).
 * @param experts [B, K, H]
 * @param weights [B, K]
 */
export function mixExperts(experts: tf.Tensor3D, weights: tf.Tensor2D): tf.Tensor2D {
  const [B, K, H] = experts.shape;
  if (K !== weights.shape[1]) throw new Error(`mixExperts: ${K} experts but ${weights.shape[1]} gate weights`);
  if (K === 1) return tf.mul(experts.reshape([B, H]), weights) as tf.Tensor2D;
  return tf.sum(tf.mul(experts, weights.expandDims(2)), 1) as tf.Tensor2D;
}
