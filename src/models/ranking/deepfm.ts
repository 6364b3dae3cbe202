import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { fmInteraction } from '../../basic/layers/interaction';
import { LinearTerm } from '../../basic/layers/linear';
import { poolSequence } from '../../basic/layers/sequence-pooling';
import { models } from '../../basic/model/model-registry';

/** DeepFM settings. */
export interface DeepFMConfig extends BaseModelConfig {
  /** Deep part; default { dims: [256, 128], activation: 'relu', dropout: 0 }. */
  mlp?: MlpConfig;
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
  private readonly linear: LinearTerm;
  private readonly deep: Mlp;

  constructor(config: DeepFMConfig) {
    super(config);
    const fields = [...this.sparseFeatures, ...this.sequenceFeatures];
    if (fields.length === 0) throw new Error('DeepFM needs at least one sparse or sequence feature');
    const dims = new Set(fields.map((f) => f.embeddingDim));
    if (dims.size > 1) throw new Error(`DeepFM: all embedded features must share embeddingDim for the FM term (got ${[...dims].join(', ')})`);
    const D = fields[0].embeddingDim;
    if (this.sparseFeatures.length) {
      this.requestEmbedding({ key: 'fields', kind: 'stack', features: this.sparseFeatures.map((f) => f.name) });
      this.requestEmbedding({ key: 'linear', kind: 'stack', features: this.sparseFeatures.map((f) => f.name), variant: 'linear' });
    }
    for (const s of this.sequenceFeatures) {
      if (s.pooling === 'attention' || s.pooling === 'none') throw new Error(`DeepFM: sequence feature '${s.name}' needs pooling mean, sum or max (got '${s.pooling}')`);
      this.requestEmbedding({ key: `seq:${s.name}`, kind: 'sequence', feature: s.name });
    }
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    this.deep = this.addChild('deep', new Mlp(fields.length * D + this.denseDim(), { ...mlp, outputDim: this.targets.length }, this.initRng, 'DeepFM'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const parts: tf.Tensor3D[] = [];
    if (this.sparseFeatures.length) parts.push(inputs.embeddings.fields as tf.Tensor3D);
    for (const s of this.sequenceFeatures) {
      const key = `seq:${s.name}`;
      parts.push(poolSequence(inputs.embeddings[key] as tf.Tensor3D, inputs.masks[key], s.pooling).expandDims(1) as tf.Tensor3D);
    }
    const fields = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor3D);
    const [B, F, D] = fields.shape;
    const firstOrder = this.linear.apply(this.sparseFeatures.length ? (inputs.embeddings.linear as tf.Tensor3D) : null, inputs.dense);
    const secondOrder = fmInteraction(fields);
    const flat = fields.reshape([B, F * D]) as tf.Tensor2D;
    const deepIn = inputs.dense ? (tf.concat([flat, inputs.dense], 1) as tf.Tensor2D) : flat;
    const deepOut = this.deep.apply(deepIn, ctx);
    // the FM and linear terms are shared by every target; each target has its own deep output unit
    return tf.add(deepOut, tf.add(firstOrder, secondOrder)) as tf.Tensor2D;
  }
}

models.register(DeepFM.modelName, DeepFM);
