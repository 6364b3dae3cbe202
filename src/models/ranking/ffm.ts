import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { FeatureInput } from '../../basic/layers/feature-input';
import { fieldAwareInteraction } from '../../basic/layers/field-aware-interaction';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** FFM settings (only the common feature and target options). */
export type FFMConfig = BaseModelConfig;

/**
 * Field-aware factorization machine (Juan et al., RecSys 2016). Every sparse feature i keeps one latent vector per
 * field, v_{i,f} (a parallel table of F x embeddingDim floats per id), and a pair meets through the vectors each
 * keeps for the other's field:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + sum_{i<j} <v_{i, f_j}, v_{j, f_i}> )
 * Dense features enter the first-order term only; sequence features are rejected; all sparse features share one
 * embeddingDim (the width of each per-field vector), so a row holds F x embeddingDim floats.
 */
export class FFM extends BaseModel {
  static readonly modelName = 'FFM';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly numFields: number;
  private readonly dim: number;

  constructor(config: FFMConfig) {
    super(config);
    if (this.targets.length !== 1) throw new Error(`FFM: predicts one target (got ${this.targets.length})`);
    this.numFields = this.sparseFeatures.length;
    if (this.numFields < 2) throw new Error(`FFM: needs at least two sparse features (got ${this.numFields})`);
    const dims = new Set(this.sparseFeatures.map((f) => f.embeddingDim));
    if (dims.size > 1) throw new Error(`FFM: every sparse feature must share one embeddingDim (got ${this.sparseFeatures.map((f) => `${f.name}=${f.embeddingDim}`).join(', ')})`);
    this.dim = this.sparseFeatures[0].embeddingDim;
    this.input = this.addFeatureInput({ linear: true, embeddings: false });
    this.requestEmbedding({ key: 'ffm', kind: 'stack', features: this.sparseFeatures.map((f) => f.name), variant: 'fieldAware', width: this.numFields * this.dim });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
  }

  protected forward(inputs: ModelInputs): tf.Tensor2D {
    const B = inputs.batchSize;
    const vectors = inputs.embeddings.ffm.reshape([B, this.numFields, this.numFields, this.dim]) as tf.Tensor4D;
    return tf.add(this.linear.apply(this.input.linearWeights(inputs), inputs.dense), fieldAwareInteraction(vectors)) as tf.Tensor2D;
  }
}

models.register(FFM.modelName, FFM);
