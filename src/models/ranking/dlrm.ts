import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { dotInteraction, dotInteractionWidth } from '../../basic/layers/dot-interaction';
import { models } from '../../basic/model/model-registry';

/** DLRM settings. */
export interface DLRMConfig extends BaseModelConfig {
  /** Bottom MLP on the dense features; a last ReLU layer of the embedding width is appended (default { dims: [64] }). */
  bottomMlp?: MlpConfig;
  /** Top MLP on [bottom; pair dots] (default { dims: [256, 128] }). */
  topMlp?: MlpConfig;
  /** Also include each vector's dot with itself (default false). */
  selfInteraction?: boolean;
}

/**
 * DLRM (Naumov et al., 2019). Dense features go through a bottom MLP to a vector b of the embedding width; it joins
 * the field embeddings e_1..e_F (sparse and pooled sequence features), all pairwise dot products are taken, and a
 * top MLP scores them with b:
 *   b = MLP_bot(x),   z = [<t_i, t_j>]_{i<j} over t = (b, e_1, ..., e_F),   y = MLP_top([b; z])
 * Without dense features t = (e_1, ..., e_F) and y = MLP_top(z).
 */
export class DLRM extends BaseModel {
  static readonly modelName = 'DLRM';
  private readonly input: FeatureInput;
  private readonly bottom: Mlp | null;
  private readonly top: Mlp;
  private readonly selfInteraction: boolean;

  constructor(config: DLRMConfig) {
    super(config);
    this.input = this.addFeatureInput({ fields: true });
    const D = this.input.fieldDim;
    const denseWidth = this.denseDim();
    const bottom = config.bottomMlp ?? { dims: [64] };
    this.bottom = denseWidth > 0 ? this.addChild('bottom', new Mlp(denseWidth, { ...bottom, dims: [...bottom.dims, D], outputDim: undefined }, this.initRng, 'DLRM bottomMlp')) : null;
    this.selfInteraction = config.selfInteraction ?? false;
    const vectors = this.input.numFields + (this.bottom ? 1 : 0);
    if (vectors < 2) throw new Error('DLRM: needs at least two vectors to interact (sparse features, or one sparse feature and dense features)');
    const topIn = dotInteractionWidth(vectors, this.selfInteraction) + (this.bottom ? D : 0);
    this.top = this.addChild('top', new Mlp(topIn, { ...(config.topMlp ?? { dims: [256, 128] }), outputDim: this.targets.length }, this.initRng, 'DLRM topMlp'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const fields = this.input.fields(inputs);
    if (!this.bottom) return this.top.apply(dotInteraction(fields, this.selfInteraction), ctx);
    const b = this.bottom.apply(inputs.dense!, ctx);
    const vectors = tf.concat([b.expandDims(1), fields], 1) as tf.Tensor3D;
    return this.top.apply(tf.concat([b, dotInteraction(vectors, this.selfInteraction)], 1) as tf.Tensor2D, ctx);
  }
}

models.register(DLRM.modelName, DLRM);
