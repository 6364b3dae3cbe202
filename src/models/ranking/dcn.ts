import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { CrossNetwork } from '../../basic/layers/cross-network';
import { Dense } from '../../basic/layers/dense';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';

/** DCN (v1) settings. */
export interface DCNConfig extends BaseModelConfig {
  /** Number of cross layers (default 3). */
  numCrossLayers?: number;
  /** Deep part, run in parallel with the cross network (default { dims: [256, 128] }; dims [] gives the cross-only model). */
  mlp?: MlpConfig;
}

/**
 * Deep & Cross Network (Wang et al., ADKDD 2017). x_0 concatenates every sparse embedding, pooled sequence feature
 * and dense feature; L cross layers with one weight vector each,
 *   x_{l+1} = x_0 (x_l^T w_l) + b_l + x_l,
 * run beside an MLP, and a logistic layer combines both:
 *   y = sigmoid( w^T [x_L; MLP(x_0)] + b )
 * Embedded features may have different widths. DCNv2 replaces w_l by a matrix.
 */
export class DCN extends BaseModel {
  static readonly modelName = 'DCN';
  private readonly input: FeatureInput;
  private readonly cross: CrossNetwork;
  private readonly deep: Mlp | null;
  private readonly head: Dense;

  constructor(config: DCNConfig) {
    super(config);
    if (this.allFeatures().length === 0) throw new Error('DCN needs at least one feature');
    this.input = this.addFeatureInput();
    const d0 = this.input.flatWidth;
    this.cross = this.addChild('cross', new CrossNetwork(d0, { numLayers: config.numCrossLayers ?? 3, crossType: 'vector' }, this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = Array.isArray(mlp.dims) && mlp.dims.length === 0 ? null : this.addChild('deep', new Mlp(d0, { ...mlp, outputDim: undefined }, this.initRng, 'DCN'));
    this.head = this.addChild('head', new Dense(d0 + (this.deep?.outputWidth ?? 0), this.targets.length, this.initRng));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x0 = this.input.flat(inputs);
    const crossed = this.cross.apply(x0);
    const top = this.deep ? (tf.concat([crossed, this.deep.apply(x0, ctx)], 1) as tf.Tensor2D) : crossed;
    return this.head.apply(top) as tf.Tensor2D;
  }
}

models.register(DCN.modelName, DCN);
