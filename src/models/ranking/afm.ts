import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { FeatureInput } from '../../basic/layers/feature-input';
import { AttentionalPairPooling } from '../../basic/layers/attentional-pair-pooling';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** AFM settings. */
export interface AFMConfig extends BaseModelConfig {
  /** Width of the attention network's hidden layer (default 16). */
  attentionDim?: number;
  /** Dense features also enter the pairwise products as fields x_k v_k (default false: first order only). */
  numericEmbedding?: boolean;
}

/**
 * Attentional factorization machine (Xiao et al., IJCAI 2017). The pairwise products of the field embeddings are
 * weighted by an attention network instead of counting equally as in FM:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + p^T sum_{i<j} a_ij (e_i ⊙ e_j) )
 *   a_ij = softmax_{ij}( h^T relu(W (e_i ⊙ e_j) + b) )
 * All embedded features share one embeddingDim; the model predicts one target.
 */
export class AFM extends BaseModel {
  static readonly modelName = 'AFM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly attention: AttentionalPairPooling;

  constructor(config: AFMConfig) {
    super(config);
    if (this.targets.length !== 1) throw new Error(`AFM: predicts one target (got ${this.targets.length})`);
    this.input = this.addFeatureInput({ fields: true, linear: true, numericEmbedding: config.numericEmbedding ?? false });
    if (this.input.numFields < 2) throw new Error(`AFM: needs at least two fields to form pairs (got ${this.input.numFields})`);
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    this.attention = this.addChild('attention', new AttentionalPairPooling(this.input.fieldDim, config.attentionDim ?? 16, this.initRng));
  }

  protected forward(inputs: ModelInputs): tf.Tensor2D {
    const firstOrder = this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
    return tf.add(firstOrder, this.attention.apply(this.input.fields(inputs))) as tf.Tensor2D;
  }
}

models.register(AFM.modelName, AFM);
