import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { CrossNetwork, CrossNetworkConfig } from '../../basic/layers/cross-network';
import { FeatureInput } from '../../basic/layers/feature-input';
import { models } from '../../basic/model/model-registry';

/** DCN-V2 settings. */
export interface DCNv2Config extends BaseModelConfig {
  /** Cross network: numLayers (default 3), crossType 'full' (default) or 'mix', and the mix options lowRank, numExperts, lowRankActivation, useLowRankTransform. */
  cross?: CrossNetworkConfig;
  /** 'stacked' (cross network, then the MLP on its output; default) or 'parallel' (both on x_0, outputs concatenated). */
  structure?: 'stacked' | 'parallel';
  /** Deep part (default { dims: [256, 128] }); dims [] with 'stacked' gives the cross-only model. */
  mlp?: MlpConfig;
}

/**
 * DCN-V2 (Wang et al., KDD 2021). x_0 concatenates every sparse embedding, pooled sequence feature (mean, sum or
 * max) and dense feature; L cross layers x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l (full rank, or the low-rank
 * mixture of experts) model explicit crosses up to order L + 1, and an MLP adds implicit ones:
 *   stacked:  y = w^T MLP(Cross(x_0))
 *   parallel: y = w^T [Cross(x_0); MLP(x_0)]
 * Embedded features may have different widths.
 */
export class DCNv2 extends BaseModel {
  static readonly modelName = 'DCNv2';
  readonly structure: 'stacked' | 'parallel';
  private readonly input: FeatureInput;
  private readonly cross: CrossNetwork;
  private readonly deep: Mlp;
  private readonly head: Dense;

  constructor(config: DCNv2Config) {
    super(config);
    this.structure = config.structure ?? 'stacked';
    if (this.structure !== 'stacked' && this.structure !== 'parallel') throw new Error(`DCNv2: structure must be 'stacked' or 'parallel' (got '${this.structure as string}')`);
    if (this.allFeatures().length === 0) throw new Error('DCNv2 needs at least one feature');
    this.input = this.addFeatureInput();
    const d0 = this.input.flatWidth;
    this.cross = this.addChild('cross', new CrossNetwork(d0, config.cross ?? {}, this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = this.addChild('deep', new Mlp(d0, { ...mlp, outputDim: undefined }, this.initRng, 'DCNv2'));
    const headIn = this.structure === 'stacked' ? this.deep.outputWidth : d0 + this.deep.outputWidth;
    this.head = this.addChild('head', new Dense(headIn, this.targets.length, this.initRng));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x0 = this.input.flat(inputs);
    const top =
      this.structure === 'stacked'
        ? this.deep.apply(this.cross.apply(x0), ctx)
        : (tf.concat([this.cross.apply(x0), this.deep.apply(x0, ctx)], 1) as tf.Tensor2D);
    return this.head.apply(top) as tf.Tensor2D;
  }
}

models.register(DCNv2.modelName, DCNv2);
