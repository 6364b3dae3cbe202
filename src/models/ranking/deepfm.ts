import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { fmInteraction } from '../../basic/layers/interaction';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** DeepFM settings. */
export interface DeepFMConfig extends BaseModelConfig {
  /**
   * Deep part; default { dims: [256, 128], activation: 'relu', dropout: 0, init: 'fanIn' }. DeepFM defaults to
   * PyTorch's fan-in initialisation: with Glorot's larger output weights the deep part's share of each shared
   * embedding row's gradient swamps the FM term's (docs/embedding-optimizer.md).
   */
  mlp?: MlpConfig;
  /** Keep the FM second-order term (default true); false with `firstOrder: false` leaves the deep part alone (an ablation). */
  fm?: boolean;
  /** Keep the first-order term w_0 + sum_i w_{id_i} + <w_d, x> (default true). */
  firstOrder?: boolean;
}

/**
 * DeepFM (Guo et al., IJCAI 2017). With field embeddings e_1..e_F (sparse features, and pooled sequence
 * features) and dense inputs x:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x>           first order
 *               + sum_{i<j} <e_i, e_j>                      FM second order
 *               + MLP([e_1; ...; e_F; x]) )                 deep part
 * The FM and deep parts share the embeddings. All embedded features must have the same embeddingDim.
 */
export class DeepFM extends BaseModel {
  static readonly modelName = 'DeepFM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm | null;
  private readonly deep: Mlp;
  private readonly useFm: boolean;

  constructor(config: DeepFMConfig) {
    super(config);
    for (const key of ['fm', 'firstOrder'] as const) {
      if (config[key] !== undefined && typeof config[key] !== 'boolean') throw new Error(`DeepFM: ${key} must be true or false (got ${String(config[key])})`);
    }
    this.useFm = config.fm ?? true;
    const firstOrder = config.firstOrder ?? true;
    this.input = this.addFeatureInput({ fields: this.useFm, linear: firstOrder });
    const mlp: MlpConfig = { init: 'fanIn', ...(config.mlp ?? { dims: [256, 128] }) };
    this.linear = firstOrder ? this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng)) : null;
    this.deep = this.addChild('deep', new Mlp(this.input.flatWidth, { ...mlp, outputDim: this.targets.length }, this.initRng, 'DeepFM'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    let out: tf.Tensor = this.deep.apply(this.input.flat(inputs), ctx);
    // the FM and linear terms are shared by every target; each target has its own deep output unit
    if (this.linear) out = tf.add(out, this.linear.apply(this.input.linearWeights(inputs), inputs.dense));
    if (this.useFm) out = tf.add(out, fmInteraction(this.input.fields(inputs)));
    return out as tf.Tensor2D;
  }
}

models.register(DeepFM.modelName, DeepFM);
