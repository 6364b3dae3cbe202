import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { LinearTerm } from '../../basic/layers/linear';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { SparseFeature } from '../../basic/features';
import { EmbeddingBlock } from '../../basic/embedding/embedding-collection';
import { crossKey } from '../../basic/embedding/feature-cross';
import { Dataset } from '../../basic/dataset/dataset';
import { models } from '../../basic/model/model-registry';

/** Wide & Deep settings. */
export interface WideDeepConfig extends BaseModelConfig {
  /**
   * Cross-product transformations of the wide part: pairs of sparse feature names, e.g. [['user', 'item']]. Each
   * pair's id combination is hashed into its own table of `crossBuckets` first-order weights.
   */
  crossFeatures?: Array<[string, string]>;
  /** Rows of each cross table (default 10007, including the padding row); collisions grow as it shrinks. */
  crossBuckets?: number;
  /** Deep part; default { dims: [256, 128] }. */
  mlp?: MlpConfig;
}

/**
 * Wide & Deep (Cheng et al., DLRS 2016). A wide linear model over the raw ids, dense inputs and hashed cross
 * products φ_k(x) = [id_a, id_b], jointly trained with an MLP over the embeddings:
 *   y = sigmoid( w_0 + sum_i w_{id_i} + <w_d, x> + sum_k w_{φ_k(x)} + MLP([e_1; ...; e_F; x]) )
 * The cross weights are row-sparse tables trained by the embedding optimizer, like the other first-order weights.
 */
export class WideDeep extends BaseModel {
  static readonly modelName = 'WideDeep';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly deep: Mlp;
  private readonly crosses: Array<{ name: string; a: string; b: string }>;

  constructor(config: WideDeepConfig) {
    super(config);
    if (this.targets.length !== 1) throw new Error(`WideDeep: predicts one target (got ${this.targets.length})`);
    const buckets = config.crossBuckets ?? 10007;
    if (!Number.isInteger(buckets) || buckets < 2) throw new Error(`WideDeep: crossBuckets must be an integer >= 2 (got ${config.crossBuckets})`);
    const sparse = new Set(this.sparseFeatures.map((f) => f.name));
    this.crosses = (config.crossFeatures ?? []).map((pair, k) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`WideDeep: crossFeatures[${k}] must be a pair of sparse feature names, e.g. ['user', 'item']`);
      for (const n of pair) {
        if (!sparse.has(n)) throw new Error(`WideDeep: crossFeatures[${k}] names '${n}', which is not a sparse feature of this model (sparse: ${[...sparse].join(', ')})`);
      }
      const name = `${pair[0]}_x_${pair[1]}`;
      const feature = new SparseFeature({ name, vocabSize: buckets, embeddingDim: 1, hashing: true, initializer: { type: 'zeros' } });
      this.embeddings.addDerivedFeature(feature);
      this.embeddings.tablesOf(feature);
      return { name, a: pair[0], b: pair[1] };
    });
    this.input = this.addFeatureInput({ linear: true });
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = this.addChild('deep', new Mlp(this.input.flatWidth, { ...mlp, outputDim: 1 }, this.initRng, 'WideDeep'));
  }

  /** One [B, 1, 1] block of cross weights per declared pair. */
  private crossBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    const B = indices.length;
    return this.crosses.map(({ name, a, b }) => {
      const colA = data.column(a).data as Int32Array;
      const colB = data.column(b).data as Int32Array;
      const ids = new Int32Array(B);
      for (let i = 0; i < B; i++) ids[i] = crossKey(colA[indices[i]], colB[indices[i]]);
      return this.embeddings.lookupIds(`wide:${name}`, name, ids, [B, 1]);
    });
  }

  protected extraBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    return this.crossBlocks(data, indices);
  }

  protected inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    return [...super.inferenceBlocks(data, indices), ...this.crossBlocks(data, indices)];
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    let wide: tf.Tensor2D = this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
    for (const { name } of this.crosses) wide = tf.add(wide, inputs.embeddings[`wide:${name}`].reshape([inputs.batchSize, 1])) as tf.Tensor2D;
    return tf.add(wide, this.deep.apply(this.input.flat(inputs), ctx)) as tf.Tensor2D;
  }
}

models.register(WideDeep.modelName, WideDeep);
