import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { FeatureInput } from '../../basic/layers/feature-input';

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
  private readonly input: FeatureInput;

  constructor(config: MultiTaskConfig) {
    super(config);
    if (this.allFeatures().length === 0) throw new Error(`${this.modelName()}: declare at least one feature`);
    this.input = this.addFeatureInput();
    this.inputDim = this.input.flatWidth;
  }

  /** The concatenated input [B, inputDim]. */
  protected flatInput(inputs: ModelInputs): tf.Tensor2D {
    return this.input.flat(inputs);
  }

  /** One sparse feature's embedding [B, D], sliced out of its stack (no second lookup, gradients reach the same rows). */
  protected sparseEmbedding(inputs: ModelInputs, name: string): tf.Tensor2D {
    return this.input.sparseEmbedding(inputs, name);
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
