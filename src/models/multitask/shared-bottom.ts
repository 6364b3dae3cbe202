import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** Shared-Bottom settings. */
export interface SharedBottomConfig extends MultiTaskConfig {
  /** The bottom network every task shares (default { dims: [256, 128] }). */
  bottom?: MlpConfig;
}

/**
 * Shared-Bottom multi-task model (Caruana 1997; the baseline of Ma et al., KDD 2018): one bottom MLP shared by all
 * tasks, then a tower per task, y_t = tower_t(bottom(x)). Cheap and strong when tasks agree; when they conflict
 * every task has to squeeze into the same representation.
 */
export class SharedBottom extends MultiTaskModel {
  static readonly modelName = 'SharedBottom';
  private readonly bottom: Mlp;
  private readonly towers: Mlp[];

  constructor(config: SharedBottomConfig) {
    super(config);
    const bottom = config.bottom ?? { dims: [256, 128] };
    if (bottom.outputDim !== undefined) throw new Error('SharedBottom: bottom.outputDim is not used (the towers produce the outputs); remove it');
    this.bottom = this.addChild('bottom', new Mlp(this.inputDim, bottom, this.initRng, 'SharedBottom bottom'));
    this.towers = this.buildTowers(this.bottom.outputWidth, config.tower);
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const h = this.bottom.apply(this.flatInput(inputs), ctx);
    return this.applyTowers(this.towers, this.targets.map(() => h), ctx);
  }
}

models.register(SharedBottom.modelName, SharedBottom);
