import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { FeatureInput } from '../../basic/layers/feature-input';
import { fmInteraction } from '../../basic/layers/interaction';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** FM settings. */
export interface FMConfig extends BaseModelConfig {
  /** Dense features also enter the pairwise term as fields x_k v_k (numeric embedding; default false: first order only). */
  numericEmbedding?: boolean;
}

/**
 * Factorization machine (Rendle, ICDM 2010). With field embeddings e_1..e_F (sparse features, pooled sequence
 * features, and with `numericEmbedding` the dense fields x_k v_k):
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + sum_{i<j} <e_i, e_j> )
 * All embedded features must share one embeddingDim; the model predicts one target.
 */
export class FM extends BaseModel {
  static readonly modelName = 'FM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;

  constructor(config: FMConfig) {
    super(config);
    if (this.targets.length !== 1) throw new Error(`FM: predicts one target (got ${this.targets.length})`);
    this.input = this.addFeatureInput({ fields: true, linear: true, numericEmbedding: config.numericEmbedding ?? false });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
  }

  protected forward(inputs: ModelInputs): tf.Tensor2D {
    return tf.add(this.linear.apply(this.input.linearWeights(inputs), inputs.dense), fmInteraction(this.input.fields(inputs))) as tf.Tensor2D;
  }
}

models.register(FM.modelName, FM);
