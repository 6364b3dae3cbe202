import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp } from '../../basic/layers/mlp';
import { CrossStitchNetwork, CrossStitchNetworkConfig } from '../../basic/layers/cross-stitch';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** Cross-Stitch settings. */
export interface CrossStitchConfig extends MultiTaskConfig {
  /** Every task's column: layer widths, activation, initial self weight of the units (default { dims: [64, 32] }). */
  column?: CrossStitchNetworkConfig;
}

/**
 * Cross-stitch networks (Misra et al., CVPR 2016): one network column per task; after every layer l a cross-stitch
 * unit mixes the columns, h̃_t^l = sum_s alpha_ts^l h_s^l, and the next layer of column t reads h̃_t^l. The alphas
 * learn how much each pair of tasks shares at each depth, from "separate networks" (identity) to "one network".
 */
export class CrossStitch extends MultiTaskModel {
  static readonly modelName = 'CrossStitch';
  private readonly network: CrossStitchNetwork;
  private readonly towers: Mlp[];

  constructor(config: CrossStitchConfig) {
    super(config);
    if (this.targets.length < 2) throw new Error('CrossStitch: needs at least two targets (one column per task)');
    this.network = this.addChild('network', new CrossStitchNetwork(this.inputDim, this.targets.length, config.column ?? { dims: [64, 32] }, this.initRng, 'CrossStitch'));
    this.towers = this.buildTowers(this.network.outputDim, config.tower ?? { dims: [16] });
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    return this.applyTowers(this.towers, this.network.apply(this.flatInput(inputs)), ctx);
  }
}

models.register(CrossStitch.modelName, CrossStitch);
