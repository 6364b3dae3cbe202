import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { biInteraction } from '../../basic/layers/bi-interaction';
import { LinearTerm } from '../../basic/layers/linear';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';

/** NFM settings. */
export interface NFMConfig extends BaseModelConfig {
  /** Layers above the bi-interaction pooling; default { dims: [64] } (the paper's best setting is one hidden layer). */
  mlp?: MlpConfig;
  /** Dense features also enter the bi-interaction as fields x_k v_k (default false: first order only). */
  numericEmbedding?: boolean;
}

/**
 * Neural factorization machine (He & Chua, SIGIR 2017). Bi-interaction pooling turns the field embeddings into one
 * D-vector of second-order products, on which an MLP models higher orders:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + MLP( sum_{i<j} e_i ⊙ e_j ) )
 * All embedded features share one embeddingDim. With several targets, each has its own MLP output unit.
 */
export class NFM extends BaseModel {
  static readonly modelName = 'NFM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly deep: Mlp;

  constructor(config: NFMConfig) {
    super(config);
    this.input = this.addFeatureInput({ fields: true, linear: true, numericEmbedding: config.numericEmbedding ?? false });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    const mlp = config.mlp ?? { dims: [64] };
    this.deep = this.addChild('deep', new Mlp(this.input.fieldDim, { ...mlp, outputDim: this.targets.length }, this.initRng, 'NFM'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const firstOrder = this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
    return tf.add(firstOrder, this.deep.apply(biInteraction(this.input.fields(inputs)), ctx)) as tf.Tensor2D;
  }
}

models.register(NFM.modelName, NFM);
