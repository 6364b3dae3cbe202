import * as tf from '@tensorflow/tfjs';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { poolSequence } from '../../basic/layers/sequence-pooling';

/** Options shared by the multi-task models. */
export interface MultiTaskConfig extends BaseModelConfig {
  /** Per-task tower on top of the shared part; each ends in one output unit (default { dims: [64] }). */
  tower?: MlpConfig;
}

/**
 * Shared input plumbing of the multi-task models: every sparse feature's embedding, every sequence feature pooled
 * as declared, and the dense features, concatenated into one [B, inputDim] vector that all experts / towers read.
 * Sparse features are stacked per embedding width, so features of different widths can be mixed.
 */
export abstract class MultiTaskModel extends BaseModel {
  /** Width of the concatenated input vector. */
  protected readonly inputDim: number;
  private readonly stackKeys: string[] = [];
  private readonly stackSlot = new Map<string, { key: string; index: number }>();

  constructor(config: MultiTaskConfig) {
    super(config);
    if (this.allFeatures().length === 0) throw new Error(`${this.modelName()}: declare at least one feature`);
    const byDim = new Map<number, string[]>();
    for (const f of this.sparseFeatures) byDim.set(f.embeddingDim, [...(byDim.get(f.embeddingDim) ?? []), f.name]);
    let width = 0;
    for (const [dim, names] of byDim) {
      const key = `fields:${dim}`;
      this.requestEmbedding({ key, kind: 'stack', features: names });
      this.stackKeys.push(key);
      names.forEach((name, index) => this.stackSlot.set(name, { key, index }));
      width += dim * names.length;
    }
    for (const s of this.sequenceFeatures) {
      if (s.pooling === 'attention' || s.pooling === 'none') throw new Error(`${this.modelName()}: sequence feature '${s.name}' needs pooling mean, sum or max (got '${s.pooling}')`);
      this.requestEmbedding({ key: `seq:${s.name}`, kind: 'sequence', feature: s.name });
      width += s.embeddingDim;
    }
    this.inputDim = width + this.denseDim();
  }

  /** The concatenated input [B, inputDim]. */
  protected flatInput(inputs: ModelInputs): tf.Tensor2D {
    const B = inputs.batchSize;
    const parts: tf.Tensor2D[] = this.stackKeys.map((k) => {
      const e = inputs.embeddings[k] as tf.Tensor3D;
      return e.reshape([B, e.shape[1] * e.shape[2]]) as tf.Tensor2D;
    });
    for (const s of this.sequenceFeatures) {
      const key = `seq:${s.name}`;
      parts.push(poolSequence(inputs.embeddings[key] as tf.Tensor3D, inputs.masks[key], s.pooling));
    }
    if (inputs.dense) parts.push(inputs.dense);
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
  }

  /** One sparse feature's embedding [B, D], sliced out of its stack (no second lookup, gradients reach the same rows). */
  protected sparseEmbedding(inputs: ModelInputs, name: string): tf.Tensor2D {
    const slot = this.stackSlot.get(name);
    if (!slot) throw new Error(`${this.modelName()}: '${name}' is not a sparse feature of this model`);
    const e = inputs.embeddings[slot.key] as tf.Tensor3D;
    return e.slice([0, slot.index, 0], [-1, 1, -1]).reshape([inputs.batchSize, e.shape[2]]) as tf.Tensor2D;
  }

  /** One tower per target, each mapping a [B, inputDim] representation to one output column. */
  protected buildTowers(inputDim: number, tower: MlpConfig | undefined): Mlp[] {
    const cfg = tower ?? { dims: [64] };
    return this.targets.map((t, i) => this.addChild(`tower/${i}`, new Mlp(inputDim, { ...cfg, outputDim: 1 }, this.initRng, `${this.modelName()} tower '${t.name}'`)));
  }

  /** Apply each task's tower to its representation and stack the outputs to [B, T]. */
  protected applyTowers(towers: Mlp[], reps: tf.Tensor2D[], ctx: ForwardContext): tf.Tensor2D {
    const outs = towers.map((tower, t) => tower.apply(this.tapTaskInput(t, reps[t], ctx), ctx));
    return outs.length === 1 ? outs[0] : (tf.concat(outs, 1) as tf.Tensor2D);
  }
}
