import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { FeatureInput } from '../../basic/layers/feature-input';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** Logistic regression settings (only the common feature and target options). */
export type LRConfig = BaseModelConfig;

/**
 * Logistic regression on sparse ids and dense inputs: one scalar weight per id of every sparse feature and one
 * per dense input,
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> )
 * No embedding vectors are looked up. Sequence features are rejected; the model predicts one target.
 */
export class LR extends BaseModel {
  static readonly modelName = 'LR';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;

  constructor(config: LRConfig) {
    super(config);
    if (this.targets.length !== 1) throw new Error(`LR: predicts one target (got ${this.targets.length}); train one LR per target`);
    if (this.allFeatures().length === 0) throw new Error('LR needs at least one sparse or dense feature');
    this.input = this.addFeatureInput({ linear: true, embeddings: false });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
  }

  protected forward(inputs: ModelInputs): tf.Tensor2D {
    return this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
  }
}

models.register(LR.modelName, LR);
