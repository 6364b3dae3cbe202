import * as tf from '@tensorflow/tfjs-core';
import { DenseFeature, SequenceFeature, SparseFeature } from '../features';
import { EmbeddingRequest } from '../embedding/embedding-collection';
import { Rng } from '../random';
import { init, Module } from './module';
import { poolSequence } from './sequence-pooling';

/** The declared features a model reads, and the way to ask for their embedding blocks. */
export interface FeatureInputHost {
  readonly sparseFeatures: SparseFeature[];
  readonly sequenceFeatures: SequenceFeature[];
  readonly denseFeatures: DenseFeature[];
  modelName(): string;
}

/** The per-batch tensors the input layer reads (a subset of `ModelInputs`). */
export interface FeatureInputBatch {
  batchSize: number;
  embeddings: Record<string, tf.Tensor>;
  masks: Record<string, tf.Tensor2D>;
  dense: tf.Tensor2D | null;
}

/** What a model needs from its inputs beyond the flat vector. */
export interface FeatureInputOptions {
  /**
   * Field-interaction models (FM, CIN, attention over fields, ...) read every feature as one field vector,
   * [B, F, D]: all embedded features must then share one embeddingDim.
   */
  fields?: boolean;
  /**
   * Numeric embedding: each dense input column k becomes a field x_k * v_k with its own learned vector v_k, so
   * field-interaction models see dense features too (needs `fields`). Off: dense features enter the flat vector only.
   */
  numericEmbedding?: boolean;
  /** First-order weights: the scalar 'linear' table variant of every sparse feature, stacked [B, F_sparse, 1]. */
  linear?: boolean;
  /**
   * 'pool' (default): each sequence feature is pooled as declared (mean, sum or max) into one field.
   * 'raw': the model reads sequences itself (`sequence()`), e.g. with target attention; they are left out of
   * `flat()` and `fields()`.
   */
  sequences?: 'pool' | 'raw';
  /**
   * false: no embedding vectors are looked up at all, only first-order weights (`linear`) and dense inputs, so
   * `flat()` is the dense block; for first-order models such as LR. Default true.
   */
  embeddings?: boolean;
}

/**
 * The input path every ranking and multi-task model shares: sparse embeddings (stacked per embedding width),
 * pooled sequence features, dense features and optional numeric embeddings, offered as
 *   flat(x)   = [e_1; ...; e_S; pool(s_1); ...; dense]          [B, flatWidth]
 *   fields(x) = stack(e_1, ..., e_S, pool(s_1), ..., x_k v_k)    [B, numFields, D]
 * so that a model file holds only its interaction.
 */
export class FeatureInput extends Module {
  /** Width of `flat()`. */
  readonly flatWidth: number;
  /** F of `fields()` (0 when fields were not asked for). */
  readonly numFields: number;
  /** D of `fields()`, the shared embedding width (0 when fields were not asked for). */
  readonly fieldDim: number;
  private readonly stacks: Array<{ key: string; dim: number; count: number }> = [];
  private readonly slots = new Map<string, { key: string; index: number }>();
  private readonly pooled: SequenceFeature[];
  private readonly numeric: tf.Variable | null = null;
  private readonly withLinear: boolean;
  private readonly denseWidth: number;

  constructor(
    private readonly host: FeatureInputHost,
    request: (r: EmbeddingRequest) => void,
    options: FeatureInputOptions,
    rng: Rng,
  ) {
    super();
    const name = host.modelName();
    const rawSequences = options.sequences === 'raw';
    this.pooled = rawSequences ? [] : host.sequenceFeatures;
    this.denseWidth = host.denseFeatures.reduce((s, f) => s + f.dim, 0);
    const embedded = options.embeddings ?? true;
    if (!embedded) {
      if (options.fields) throw new Error(`${name}: the field view needs embeddings (FeatureInput option embeddings: false)`);
      const seq = host.sequenceFeatures[0];
      if (seq) throw new Error(`${name}: sequence feature '${seq.name}' is not supported by this model (it reads first-order weights and dense inputs only); drop it or use a model with embeddings such as FM or DeepFM`);
    }
    const byDim = new Map<number, SparseFeature[]>();
    for (const f of embedded ? host.sparseFeatures : []) byDim.set(f.embeddingDim, [...(byDim.get(f.embeddingDim) ?? []), f]);
    for (const [dim, features] of byDim) {
      const key = `fields:d${dim}`;
      request({ key, kind: 'stack', features: features.map((f) => f.name) });
      this.stacks.push({ key, dim, count: features.length });
      features.forEach((f, index) => this.slots.set(f.name, { key, index }));
    }
    for (const s of host.sequenceFeatures) {
      if (!rawSequences && (s.pooling === 'attention' || s.pooling === 'none')) {
        throw new Error(`${name}: sequence feature '${s.name}' needs pooling 'mean', 'sum' or 'max' (got '${s.pooling}'); this model has no target item to attend with`);
      }
      request({ key: `seq:${s.name}`, kind: 'sequence', feature: s.name });
    }
    this.withLinear = options.linear === true && host.sparseFeatures.length > 0;
    if (this.withLinear) request({ key: 'linear', kind: 'stack', features: host.sparseFeatures.map((f) => f.name), variant: 'linear' });
    this.flatWidth =
      this.stacks.reduce((s, g) => s + g.dim * g.count, 0) + this.pooled.reduce((s, f) => s + f.embeddingDim, 0) + this.denseWidth;

    if (options.numericEmbedding && !options.fields) throw new Error(`${name}: numericEmbedding needs the field view (fields: true)`);
    if (options.fields) {
      const embedded = [...host.sparseFeatures, ...this.pooled];
      const dims = new Set(embedded.map((f) => f.embeddingDim));
      if (dims.size > 1) {
        const list = embedded.map((f) => `${f.name}=${f.embeddingDim}`).join(', ');
        throw new Error(`${name}: every embedded feature must share one embeddingDim for the field interactions (got ${list}); give them the same embeddingDim`);
      }
      if (embedded.length === 0) throw new Error(`${name}: needs at least one sparse or pooled sequence feature to form fields`);
      this.fieldDim = embedded[0].embeddingDim;
      if (options.numericEmbedding && this.denseWidth > 0) {
        this.numeric = this.addParam('numeric', [this.denseWidth, this.fieldDim], init.normal(rng, [this.denseWidth, this.fieldDim], 0.01));
      }
      this.numFields = embedded.length + (this.numeric ? this.denseWidth : 0);
    } else {
      this.fieldDim = 0;
      this.numFields = 0;
    }
  }

  /** Every input concatenated: [B, flatWidth]. */
  flat(x: FeatureInputBatch): tf.Tensor2D {
    const B = x.batchSize;
    const parts: tf.Tensor2D[] = this.stacks.map((g) => x.embeddings[g.key].reshape([B, g.count * g.dim]) as tf.Tensor2D);
    for (const s of this.pooled) parts.push(this.pool(x, s));
    if (x.dense) parts.push(x.dense);
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
  }

  /** Every feature as one field vector: [B, numFields, fieldDim] (sparse, pooled sequences, numeric embeddings). */
  fields(x: FeatureInputBatch): tf.Tensor3D {
    if (this.numFields === 0) throw new Error(`${this.host.modelName()}: the field view was not requested (FeatureInput option fields: true)`);
    const B = x.batchSize;
    const parts: tf.Tensor3D[] = this.stacks.map((g) => x.embeddings[g.key] as tf.Tensor3D);
    for (const s of this.pooled) parts.push(this.pool(x, s).expandDims(1) as tf.Tensor3D);
    if (this.numeric && x.dense) {
      // field k = x_k * v_k: [B, K, 1] * [1, K, D]
      parts.push(tf.mul(x.dense.reshape([B, this.denseWidth, 1]), this.numeric.expandDims(0)) as tf.Tensor3D);
    }
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor3D);
  }

  /** First-order weights of the sparse ids, [B, F_sparse, 1], or null without sparse features / `linear`. */
  linearWeights(x: FeatureInputBatch): tf.Tensor3D | null {
    return this.withLinear ? (x.embeddings.linear as tf.Tensor3D) : null;
  }

  /** One sparse feature's embedding [B, D], sliced out of its stack (same rows, so gradients reach them). */
  sparseEmbedding(x: FeatureInputBatch, name: string): tf.Tensor2D {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`${this.host.modelName()}: '${name}' is not a sparse feature of this model`);
    const e = x.embeddings[slot.key] as tf.Tensor3D;
    return e.slice([0, slot.index, 0], [-1, 1, -1]).reshape([x.batchSize, e.shape[2]]) as tf.Tensor2D;
  }

  /** A sequence feature as [B, L, D] with its float mask [B, L] (1 = real item). */
  sequence(x: FeatureInputBatch, name: string): { items: tf.Tensor3D; mask: tf.Tensor2D } {
    const key = `seq:${name}`;
    if (!x.embeddings[key]) throw new Error(`${this.host.modelName()}: '${name}' is not a sequence feature of this model`);
    return { items: x.embeddings[key] as tf.Tensor3D, mask: x.masks[key] };
  }

  private pool(x: FeatureInputBatch, s: SequenceFeature): tf.Tensor2D {
    const { items, mask } = this.sequence(x, s.name);
    return poolSequence(items, mask, s.pooling);
  }
}
