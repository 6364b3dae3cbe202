import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Cin, CinConfig } from '../../basic/layers/cin';
import { Dense } from '../../basic/layers/dense';
import { LinearTerm } from '../../basic/layers/linear';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';

/** xDeepFM settings. */
export interface XDeepFMConfig extends BaseModelConfig {
  /** Compressed interaction network: layerSizes (default [128, 128]), splitHalf (default true), activation (default linear). */
  cin?: CinConfig;
  /** Deep part; default { dims: [256, 128] }. */
  mlp?: MlpConfig;
  /** Dense features also enter the CIN as fields x_k v_k (default false: linear term and MLP only). */
  numericEmbedding?: boolean;
}

/**
 * xDeepFM (Lian et al., KDD 2018): a linear part, a compressed interaction network for explicit vector-wise
 * crosses, and an MLP for implicit ones, summed into one logit:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + w_c^T CIN(X^0) + MLP([e_1; ...; e_F; x]) )
 * with X^0 = [e_1, ..., e_F] (all embedded features share one embeddingDim).
 */
export class XDeepFM extends BaseModel {
  static readonly modelName = 'xDeepFM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly cin: Cin;
  private readonly cinHead: Dense;
  private readonly deep: Mlp;

  constructor(config: XDeepFMConfig) {
    super(config);
    this.input = this.addFeatureInput({ fields: true, linear: true, numericEmbedding: config.numericEmbedding ?? false });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    this.cin = this.addChild('cin', new Cin(this.input.numFields, config.cin ?? {}, this.initRng));
    this.cinHead = this.addChild('cin_out', new Dense(this.cin.outputWidth, this.targets.length, this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = this.addChild('deep', new Mlp(this.input.flatWidth, { ...mlp, outputDim: this.targets.length }, this.initRng, 'xDeepFM'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const firstOrder = this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
    const explicit = this.cinHead.apply(this.cin.apply(this.input.fields(inputs)));
    const implicit = this.deep.apply(this.input.flat(inputs), ctx);
    return tf.add(tf.add(firstOrder, explicit), implicit) as tf.Tensor2D;
  }
}

models.register(XDeepFM.modelName, XDeepFM);
