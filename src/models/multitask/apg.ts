import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp } from '../../basic/layers/mlp';
import { ApgDense } from '../../basic/layers/apg';
import { Activation } from '../../basic/layers/activation';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';
import { conditionInput, conditionParts, ConditionPart } from './condition';

/** APG settings. */
export interface APGConfig extends MultiTaskConfig {
  /** Features the parameters are generated from, e.g. ['scenario'] or ['scenario', 'user_group']. */
  conditionFeatures: string[];
  /** Widths of the generated layers of the shared network (default [64, 32]). */
  dims?: number[];
  /** Rank r of each generated layer's r×r core (default 16). */
  rank?: number;
  activation?: Activation;
}

/**
 * APG (Yan et al., NeurIPS 2022) as a multi-task, multi-scenario model: a shared network of ApgDense layers whose
 * weights W(z) = U S(z) V are generated per row from the condition features z, then a tower per task:
 *   h_0 = x,  h_l = act(h_{l−1} U_l (I + G_l z) V_l + b_l),  y_t = tower_t(h_L).
 * Each scenario gets its own effective network while U, V and the towers are shared.
 */
export class APG extends MultiTaskModel {
  static readonly modelName = 'APG';
  private readonly parts: ConditionPart[];
  private readonly layers: ApgDense[];
  private readonly towers: Mlp[];

  constructor(config: APGConfig) {
    super(config);
    this.parts = conditionParts('APG', 'conditionFeatures', config.conditionFeatures, this.sparseFeatures, this.denseFeatures);
    const zDim = this.parts.reduce((a, p) => a + p.width, 0);
    const dims = config.dims ?? [64, 32];
    if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`APG: dims must be a non-empty list of positive integers (got ${JSON.stringify(config.dims)})`);
    let width = this.inputDim;
    this.layers = dims.map((units, l) => {
      const layer = this.addChild(`apg/${l}`, new ApgDense(width, units, zDim, config.rank ?? 16, this.initRng, config.activation ?? 'relu'));
      width = units;
      return layer;
    });
    this.towers = this.buildTowers(width, config.tower);
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const z = conditionInput(this.parts, inputs, (name) => this.sparseEmbedding(inputs, name));
    let h = this.flatInput(inputs);
    for (const layer of this.layers) h = layer.apply(h, z);
    return this.applyTowers(this.towers, this.targets.map(() => h), ctx);
  }
}

models.register(APG.modelName, APG);
