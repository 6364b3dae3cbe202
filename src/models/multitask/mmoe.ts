import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { MultiGateMixture } from '../../basic/layers/mmoe';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** MMoE settings. */
export interface MMoEConfig extends MultiTaskConfig {
  /** Number of shared experts (default 4). */
  numExperts?: number;
  /** Shape of every expert (default { dims: [128, 64] }). */
  expert?: MlpConfig;
}

/**
 * Multi-gate Mixture-of-Experts (Ma et al., KDD 2018): K expert MLPs shared by all tasks, a softmax gate per task
 * over the experts, and a tower per task: y_t = tower_t( sum_k softmax(W_t x)_k e_k(x) ). Tasks that conflict can
 * weight different experts, so they share less than with a single shared bottom.
 */
export class MMoE extends MultiTaskModel {
  static readonly modelName = 'MMoE';
  private readonly mixture: MultiGateMixture;
  private readonly towers: Mlp[];

  constructor(config: MMoEConfig) {
    super(config);
    const expert = config.expert ?? { dims: [128, 64] };
    this.mixture = this.addChild('mmoe', new MultiGateMixture(this.inputDim, this.targets.length, { numExperts: config.numExperts ?? 4, expert }, this.initRng, 'MMoE'));
    this.towers = this.buildTowers(this.mixture.outputDim, config.tower);
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    return this.applyTowers(this.towers, this.mixture.apply(this.flatInput(inputs), ctx), ctx);
  }
}

models.register(MMoE.modelName, MMoE);
