import * as tf from '@tensorflow/tfjs-core';
import { checkedConfig } from '../../basic/model/option-checks';
import { resolveStore } from '../../basic/model/node-adapters';
import { BaseModel, ModelInputs, SaveOptions } from '../../basic/model/base-model';
import { BaseModelConfig, DataInput, FitOptions, History } from '../../basic/model/types';
import { DenseFeature, Feature, SequenceFeature, SparseFeature } from '../../basic/features';
import { EmbeddingBlock } from '../../basic/embedding/embedding-collection';
import { ForwardContext } from '../../basic/layers/module';
import { poolSequence } from '../../basic/layers/sequence-pooling';
import { Rng } from '../../basic/random';
import { ModelStore } from '../../basic/store';
import { retrievalMetrics } from '../../basic/retrieval-metrics';
import { encodeConfig } from '../../basic/model/config-codec';
import { restoreModelState } from '../../basic/model/persistence';
import { ColumnarInput, Dataset } from '../../basic/dataset/dataset';
import { StreamFitOptions } from '../../basic/dataset/stream';
import type { BatchSource } from '../../basic/dataset/stream';
import { pairwiseLosses, PairwiseLossFn } from '../../loss/pairwise';
import { inBatchHitMask, l2Normalize, listwiseLosses, ListwiseLossFn, MASKED_LOGIT, sampledHitMask } from '../../loss/listwise';
import { catalogFromColumns, defaultCatalog, ItemCatalog, loadCatalogColumns, saveCatalog } from './item-catalog';
import { ExactItemIndex, IndexQuery, ItemIndex, ItemIndexKind, ItemVectors, readAndDispose } from './item-index';
import { NegativeSampler } from './negative-sampler';
import { EmbeddingExportManifest, EmbeddingMatrix, readEmbeddingsFrom, Similarity, writeEmbeddings } from './embedding-export';
import type { HnswItemIndex, HnswOptions, HnswParams } from './hnsw-index';

export type { EmbeddingExportManifest, EmbeddingMatrix, Similarity } from './embedding-export';
export type { ItemIndexKind } from './item-index';
export type { HnswOptions } from './hnsw-index';

/** How a match model is trained. */
export type MatchTrainingMode = 'pointwise' | 'pairwise' | 'listwise';
/** Where the negatives of pairwise and listwise training come from. */
export type NegativeSource = 'in-batch' | 'sampled';
/** Settings shared by every match (retrieval) model. */
export interface MatchModelConfig extends Omit<BaseModelConfig, 'sparseFeatures' | 'sequenceFeatures' | 'denseFeatures'> {
  /** Inputs of the user tower: sparse, sequence (e.g. the behaviour history) and dense features. */
  userFeatures: Feature[];
  /** Inputs of the item tower: sparse and dense features, one of them the item id. */
  itemFeatures: Feature[];
  /** The item id feature among itemFeatures (default: the first sparse item feature). */
  itemIdFeature?: string;
  /** 'dot' or 'cosine' (L2-normalised vectors); default depends on the model. */
  similarity?: Similarity;
  /** Logits are similarity / temperature (default 1 for dot, 0.05 for cosine). */
  temperature?: number;
  /**
   * 'pointwise': compiled loss (bce) on the labelled (user, item) rows; 'pairwise': a pairwise loss between each
   * positive row and negatives; 'listwise': softmax of each positive against negatives. Pairwise and listwise
   * treat every row as a positive and need no label column.
   */
  mode?: MatchTrainingMode;
  /** Negatives of pairwise / listwise training: the other items of the batch, or items sampled from the catalogue. */
  negatives?: NegativeSource;
  /**
   * Number of sampled negatives per batch, shared by all rows of the batch (default 512: on the synthetic
   * multi-interest task 512 instead of 128 raised recall@50 from 0.37 to 0.44 for YouTubeDNN and 0.42 to 0.50 for MIND).
   */
  numNegatives?: number;
  /** How negatives are sampled: uniformly over the catalogue, or by training-data popularity (default 'uniform'). */
  sampler?: 'uniform' | 'popularity';
  /** Exponent applied to item counts by the popularity sampler (default 0.75, as in word2vec). */
  samplerPower?: number;
  /** Listwise only: subtract log Q (expected count of the candidate under how it was drawn) from logits (default true for in-batch and popularity sampling). */
  logQCorrection?: boolean;
  /** Drop negatives that are the row's own positive item (default true). */
  removeAccidentalHits?: boolean;
  /** Pairwise loss by name: 'bpr' (default) or 'hinge'. */
  pairwiseLoss?: string;
  /** Parameters of the pairwise loss, e.g. { margin: 0.5 } for hinge. */
  pairwiseLossParams?: Record<string, number>;
  /** Listwise loss by name: 'softmax' (default) or 'sigmoid'. */
  listwiseLoss?: string;
}

/** Per-batch user-tower inputs. */
export interface UserTowerInputs {
  batchSize: number;
  /** User sparse features, [B, D_f] each. */
  sparse: Record<string, tf.Tensor2D>;
  /** User sequence features as [B, L, D] with a float mask [B, L]. */
  sequences: Record<string, { values: tf.Tensor3D; mask: tf.Tensor2D }>;
  /** User dense features concatenated in declaration order, or null. */
  dense: tf.Tensor2D | null;
}

/** Per-batch item-tower inputs (N items). */
export interface ItemTowerInputs {
  count: number;
  /** Item sparse features, [N, D_f] each. */
  sparse: Record<string, tf.Tensor2D>;
  /** Item dense features concatenated in declaration order, or null. */
  dense: tf.Tensor2D | null;
}

/** What a user tower produces: one vector [B, D], or several interests [B, K, D] with a [B, K] mask of those in use. */
export interface UserRepresentation {
  vectors: tf.Tensor2D | tf.Tensor3D;
  interestMask?: tf.Tensor2D;
}

/** Options of {@link MatchModel.recommend}. */
export interface RecommendOptions {
  /**
   * Items not to recommend: `true` excludes the items in each row's user sequence features that share the item
   * table (the history); a list per row gives them explicitly (added to nothing else).
   */
  excludeSeen?: boolean | ArrayLike<number>[];
  /** Users scored per matMul (default: as many as keep a score block near 4M floats, at most 256). */
  batchSize?: number;
  /**
   * 'exact' (default) scores every catalogue item; 'hnsw' searches an approximate nearest-neighbour graph (Node
   * only, usearch), built on first use with default settings or beforehand with {@link MatchModel.buildItemIndex}.
   */
  index?: ItemIndexKind;
}

/** Top-K results per input row, best first (rows may hold fewer than k when the catalogue runs out). */
export interface Recommendations {
  k: number;
  ids: Int32Array[];
  /** Logits (similarity / temperature), aligned with ids. */
  scores: Float32Array[];
}

/** Options of {@link MatchModel.evaluateRetrieval}. */
export interface RetrievalEvalOptions {
  /** Cutoffs (default [10, 50]). */
  ks?: number[];
  /** As in recommend (default true when the user tower has a history sharing the item table). */
  excludeSeen?: boolean | ArrayLike<number>[];
  /** Column whose equal values mark rows of one query (e.g. 'user_id'): their items form one relevant set. Default: each row is a query. */
  groupBy?: string;
  batchSize?: number;
  /** As in recommend (default 'exact'). */
  index?: ItemIndexKind;
}

/** Item vectors of the whole catalogue at one training step, cached for serving. */
interface CachedItemVectors extends ItemVectors {
  step: number;
  catalogVersion: number;
}

/** Negatives drawn for the current training step by extraBlocks, consumed by trainingLoss. */
interface PendingNegatives {
  ids: Int32Array;
  dense: Float32Array | null;
  logQ: Float32Array | null;
}

const SCORE_BLOCK = 1 << 22;
const ITEM_BATCH = 4096;

/**
 * Base of two-tower and multi-interest retrieval models. A user tower maps user features (profile, behaviour
 * history) to a vector (or K interest vectors), an item tower maps item features to a vector, and
 *   score(u, i) = sim(u, i) / temperature,   sim = dot or cosine,
 * with multi-interest users scored by their best interest. Training modes:
 * - pointwise: the compiled loss (bce) on labelled (user, item, label) rows;
 * - pairwise: BPR or hinge between each row's positive item and negatives;
 * - listwise: softmax of the positive against negatives, with log-Q popularity correction and masking of
 *   accidental hits (a negative that is the row's own positive).
 * Negatives are the other items of the batch ('in-batch') or items sampled from the catalogue ('sampled',
 * uniform or by popularity, shared by the rows of a batch and looked up through `embeddings.lookupIds`).
 *
 * Serving: `recommend` scores every catalogue item exactly (matMul of user vectors with chunks of the item matrix,
 * top-K selection on the host); `evaluateRetrieval` computes recall / hit / NDCG / MRR @K over the full catalogue
 * with seen items excluded; user and item vectors can be exported with a JSON manifest.
 */
export abstract class MatchModel extends BaseModel {
  /** Registry name (abstract base). */
  static readonly modelName: string = 'MatchModel';

  /** Inputs of the user tower, as configured. */
  readonly userFeatures: Feature[];
  /** Inputs of the item tower, as configured. */
  readonly itemFeatures: Feature[];
  /** The item id feature (catalogue ids, negatives, accidental hits). */
  readonly itemIdFeature: SparseFeature;
  /** Resolved settings (see {@link MatchModelConfig} for meaning and defaults). */
  readonly similarity: Similarity;
  readonly temperature: number;
  readonly mode: MatchTrainingMode;
  readonly negatives: NegativeSource;
  readonly numNegatives: number;
  readonly sampler: 'uniform' | 'popularity';
  readonly samplerPower: number;
  readonly logQCorrection: boolean;
  readonly removeAccidentalHits: boolean;
  protected readonly userSparse: SparseFeature[];
  protected readonly userSequences: SequenceFeature[];
  protected readonly userDense: DenseFeature[];
  protected readonly itemSparse: SparseFeature[];
  protected readonly itemDense: DenseFeature[];
  private readonly matchConfig: MatchModelConfig;
  private readonly pairwiseFn: PairwiseLossFn;
  private readonly listwiseFn: ListwiseLossFn;
  private readonly listwiseName: string;
  private catalog: ItemCatalog | null = null;
  private catalogIsCustom = false;
  private catalogVersion = 0;
  private readonly negativeSampler: NegativeSampler;
  private itemVectorCache: CachedItemVectors | null = null;
  /** Indexes built over itemVectorCache (dropped with it). */
  private indexes: Partial<Record<ItemIndexKind, ItemIndex>> = {};
  /** Settings of the last HNSW build, reused when the graph is rebuilt after training. */
  private hnswOptions: HnswOptions | null = null;
  private pending: PendingNegatives | null = null;

  constructor(config: MatchModelConfig) {
    const name = new.target.modelName;
    const { user, item } = splitFeatures(name, config);
    super(
      checkedConfig(name, config, {
        ...config,
        sparseFeatures: [...user.sparse, ...item.sparse],
        sequenceFeatures: user.sequences,
        denseFeatures: [...user.dense, ...item.dense],
      } as BaseModelConfig),
    );
    this.matchConfig = config;
    this.userFeatures = config.userFeatures;
    this.itemFeatures = config.itemFeatures;
    this.userSparse = user.sparse;
    this.userSequences = user.sequences;
    this.userDense = user.dense;
    this.itemSparse = item.sparse;
    this.itemDense = item.dense;
    const idName = config.itemIdFeature ?? item.sparse[0]?.name;
    const id = item.sparse.find((f) => f.name === idName);
    if (!id) throw new Error(`${name}: itemIdFeature '${idName}' must be one of the sparse itemFeatures (${item.sparse.map((f) => f.name).join(', ') || 'none'})`);
    this.itemIdFeature = id;
    this.similarity = config.similarity ?? 'dot';
    if (this.similarity !== 'dot' && this.similarity !== 'cosine') throw new Error(`${name}: similarity must be 'dot' or 'cosine' (got '${config.similarity}')`);
    this.temperature = config.temperature ?? (this.similarity === 'cosine' ? 0.05 : 1);
    if (!(this.temperature > 0 && Number.isFinite(this.temperature))) throw new Error(`${name}: temperature must be a finite number > 0 (got ${config.temperature})`);
    this.mode = config.mode ?? 'listwise';
    if (!['pointwise', 'pairwise', 'listwise'].includes(this.mode)) throw new Error(`${name}: mode must be 'pointwise', 'pairwise' or 'listwise' (got '${config.mode}')`);
    this.negatives = config.negatives ?? 'in-batch';
    if (this.negatives !== 'in-batch' && this.negatives !== 'sampled') throw new Error(`${name}: negatives must be 'in-batch' or 'sampled' (got '${config.negatives}')`);
    this.numNegatives = config.numNegatives ?? 512;
    if (!Number.isInteger(this.numNegatives) || this.numNegatives < 1) throw new Error(`${name}: numNegatives must be a positive integer (got ${config.numNegatives})`);
    this.sampler = config.sampler ?? 'uniform';
    if (this.sampler !== 'uniform' && this.sampler !== 'popularity') throw new Error(`${name}: sampler must be 'uniform' or 'popularity' (got '${config.sampler}')`);
    this.samplerPower = config.samplerPower ?? 0.75;
    if (!(this.samplerPower >= 0)) throw new Error(`${name}: samplerPower must be >= 0 (got ${config.samplerPower})`);
    this.negativeSampler = new NegativeSampler(this.sampler, this.samplerPower);
    this.logQCorrection = config.logQCorrection ?? true;
    this.removeAccidentalHits = config.removeAccidentalHits ?? true;
    this.pairwiseFn = pairwiseLosses.resolve(config.pairwiseLoss ?? 'bpr')(config.pairwiseLossParams ?? {});
    this.listwiseName = config.listwiseLoss ?? 'softmax';
    this.listwiseFn = listwiseLosses.resolve(this.listwiseName)();
    for (const f of this.userSparse) this.requestEmbedding({ key: `u:${f.name}`, kind: 'stack', features: [f.name] });
    for (const f of this.userSequences) this.requestEmbedding({ key: `s:${f.name}`, kind: 'sequence', feature: f.name });
    for (const f of this.itemSparse) this.requestEmbedding({ key: `i:${f.name}`, kind: 'stack', features: [f.name] });
  }

  // ---------------------------------------------------------------- towers (subclasses)

  /** Map user inputs to a vector [B, D] or interests [B, K, D] (+ mask). */
  protected abstract userTower(inputs: UserTowerInputs, ctx: ForwardContext): UserRepresentation;

  /** Map item inputs to vectors [N, D]. */
  protected abstract itemTower(inputs: ItemTowerInputs, ctx: ForwardContext): tf.Tensor2D;

  /**
   * One query vector per row for scoring `items` [B, D] (already normalised for cosine) during training.
   * Multi-interest models override it (MIND: label-aware attention); the default picks, per row, the interest that
   * scores the item best, which is also how serving scores multi-interest users.
   */
  protected trainingQuery(user: UserRepresentation, items: tf.Tensor2D): tf.Tensor2D {
    return bestInterest(user, items);
  }

  // ---------------------------------------------------------------- tower plumbing

  /** Concatenated width of user sparse embeddings, pooled sequences and dense features, optionally skipping some features. */
  protected userFlatWidth(skip: readonly string[] = []): number {
    let w = 0;
    for (const f of this.userSparse) if (!skip.includes(f.name)) w += f.embeddingDim;
    for (const f of this.userSequences) if (!skip.includes(f.name)) w += f.embeddingDim;
    for (const f of this.userDense) if (!skip.includes(f.name)) w += f.dim;
    return w;
  }

  /**
   * User sparse embeddings, sequences pooled by their declared pooling (mean, sum or max) and dense features,
   * concatenated in that order to [B, userFlatWidth(skip)], or null when nothing is left.
   */
  protected userFlat(u: UserTowerInputs, skip: readonly string[] = []): tf.Tensor2D | null {
    const parts: tf.Tensor2D[] = [];
    for (const f of this.userSparse) if (!skip.includes(f.name)) parts.push(u.sparse[f.name]);
    for (const f of this.userSequences) {
      if (skip.includes(f.name)) continue;
      const { values, mask } = u.sequences[f.name];
      parts.push(poolSequence(values, mask, f.pooling));
    }
    if (u.dense && this.userDense.some((f) => !skip.includes(f.name))) {
      if (skip.length === 0 || this.userDense.every((f) => !skip.includes(f.name))) parts.push(u.dense);
      else {
        let off = 0;
        for (const f of this.userDense) {
          if (!skip.includes(f.name)) parts.push(u.dense.slice([0, off], [-1, f.dim]));
          off += f.dim;
        }
      }
    }
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
  }

  /** Check at construction that every pooled user sequence uses a mask pooling. */
  protected checkPooledSequences(skip: readonly string[] = []): void {
    for (const f of this.userSequences) {
      if (skip.includes(f.name)) continue;
      if (!['mean', 'sum', 'max'].includes(f.pooling)) throw new Error(`${this.modelName()}: sequence feature '${f.name}' needs pooling mean, sum or max (got '${f.pooling}')`);
    }
  }

  private denseOf(data: Dataset, rows: ArrayLike<number>, feats: DenseFeature[]): tf.Tensor2D | null {
    if (!feats.length) return null;
    return tf.tensor2d(gatherDense(data, rows, feats), [rows.length, feats.reduce((s, f) => s + f.dim, 0)]);
  }

  private userInputsFrom(embeddings: Record<string, tf.Tensor>, masks: Record<string, tf.Tensor2D>, data: Dataset, rows: ArrayLike<number>): UserTowerInputs {
    const B = rows.length;
    const sparse: Record<string, tf.Tensor2D> = {};
    for (const f of this.userSparse) sparse[f.name] = embeddings[`u:${f.name}`].reshape([B, -1]) as tf.Tensor2D;
    const sequences: Record<string, { values: tf.Tensor3D; mask: tf.Tensor2D }> = {};
    for (const f of this.userSequences) sequences[f.name] = { values: embeddings[`s:${f.name}`] as tf.Tensor3D, mask: masks[`s:${f.name}`] };
    return { batchSize: B, sparse, sequences, dense: this.denseOf(data, rows, this.userDense) };
  }

  private itemInputsFrom(embeddings: Record<string, tf.Tensor>, prefix: string, count: number, dense: tf.Tensor2D | null): ItemTowerInputs {
    const sparse: Record<string, tf.Tensor2D> = {};
    for (const f of this.itemSparse) sparse[f.name] = embeddings[`${prefix}${f.name}`].reshape([count, -1]) as tf.Tensor2D;
    return { count, sparse, dense };
  }

  private normalize<T extends tf.Tensor>(x: T): T {
    return this.similarity === 'cosine' ? l2Normalize(x) : x;
  }

  private normalizeUser(u: UserRepresentation): UserRepresentation {
    return this.similarity === 'cosine' ? { vectors: l2Normalize(u.vectors), interestMask: u.interestMask } : u;
  }

  // ---------------------------------------------------------------- training

  /** Pair logits [B, 1]: training uses `trainingQuery`, inference the best interest (as in serving). */
  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const user = this.normalizeUser(this.userTower(this.userInputsFrom(inputs.embeddings, inputs.masks, inputs.data, inputs.indices), ctx));
    const items = this.normalize(this.itemTower(this.itemInputsFrom(inputs.embeddings, 'i:', inputs.batchSize, this.denseOf(inputs.data, inputs.indices, this.itemDense)), ctx));
    const q = ctx.training ? this.trainingQuery(user, items) : bestInterest(user, items);
    return tf.div(tf.sum(tf.mul(q, items), 1, true), this.temperature) as tf.Tensor2D;
  }

  protected extraBlocks(_data: Dataset, _indices: Int32Array, _ctx: ForwardContext): EmbeddingBlock[] {
    this.pending = null;
    if (this.mode === 'pointwise' || this.negatives !== 'sampled') return [];
    const catalog = this.requireCatalog('sampling negatives');
    const withLogQ = this.mode === 'listwise' && this.logQCorrection;
    const { positions, ids, logQ } = this.negativeSampler.draw(catalog, this.seed, this.internals().globalStep, this.numNegatives, withLogQ);
    const { blocks, dense } = this.catalogBlocks(catalog, positions, 'n:');
    this.pending = { ids, dense, logQ };
    return blocks;
  }

  protected trainingLoss(inputs: ModelInputs, labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    if (this.mode === 'pointwise') return super.trainingLoss(inputs, labels, ctx);
    const B = inputs.batchSize;
    const user = this.normalizeUser(this.userTower(this.userInputsFrom(inputs.embeddings, inputs.masks, inputs.data, inputs.indices), ctx));
    const pos = this.normalize(this.itemTower(this.itemInputsFrom(inputs.embeddings, 'i:', B, this.denseOf(inputs.data, inputs.indices, this.itemDense)), ctx));
    const q = this.trainingQuery(user, pos);
    const idCol = inputs.data.column(this.itemIdFeature.name).data as Int32Array;
    const posIds = new Int32Array(B);
    for (let i = 0; i < B; i++) posIds[i] = idCol[inputs.indices[i]];
    // scaling the [B, D] queries is cheaper than dividing the [B, C] logits (a scalar broadcast on wasm)
    const qs = this.temperature === 1 ? q : (tf.mul(q, 1 / this.temperature) as tf.Tensor2D);
    // positives, validity and log-Q terms are known on the host: build them there as [B, C] arrays
    let logits: tf.Tensor2D;
    let C: number;
    let positives: Float32Array;
    let valid: Float32Array | null = null;
    let adjust: Float32Array | null = null;
    if (this.negatives === 'in-batch') {
      C = B;
      logits = tf.matMul(qs, pos, false, true) as tf.Tensor2D;
      positives = new Float32Array(B * B);
      for (let i = 0; i < B; i++) positives[i * B + i] = 1;
      if (this.removeAccidentalHits) valid = inBatchHitMask(posIds);
      if (this.mode === 'listwise' && this.logQCorrection) {
        // an item enters a batch about as often as it occurs in the training data
        const lq = this.negativeSampler.logFrequency(this.requireCatalog('log-Q correction'), posIds);
        adjust = new Float32Array(B * B);
        for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) adjust[i * B + j] = -lq[j];
      }
    } else {
      const pending = this.pending;
      if (!pending) throw new Error(`${this.modelName()}: no sampled negatives for this step (extraBlocks was not called)`);
      this.pending = null;
      const N = pending.ids.length;
      C = N + 1;
      const negDense = pending.dense ? tf.tensor2d(pending.dense, [N, this.itemDense.reduce((s, f) => s + f.dim, 0)]) : null;
      const neg = this.normalize(this.itemTower(this.itemInputsFrom(inputs.embeddings, 'n:', N, negDense), ctx));
      logits = tf.concat([tf.sum(tf.mul(qs, pos), 1, true), tf.matMul(qs, neg, false, true)], 1) as tf.Tensor2D;
      positives = new Float32Array(B * C);
      for (let i = 0; i < B; i++) positives[i * C] = 1;
      if (this.removeAccidentalHits) {
        const hits = sampledHitMask(posIds, pending.ids);
        valid = new Float32Array(B * C);
        for (let i = 0; i < B; i++) {
          valid[i * C] = 1;
          valid.set(hits.subarray(i * N, (i + 1) * N), i * C + 1);
        }
      }
      if (pending.logQ) {
        const lqPos = this.negativeSampler.sampledLogQ(this.requireCatalog('log-Q correction'), posIds, N);
        adjust = new Float32Array(B * C);
        for (let i = 0; i < B; i++) {
          adjust[i * C] = -lqPos[i];
          for (let n = 0; n < N; n++) adjust[i * C + 1 + n] = -pending.logQ[n];
        }
      }
    }
    const positivesT = tf.tensor2d(positives, [B, C]);
    if (this.mode === 'listwise') {
      // the softmax loss takes masked candidates as MASKED_LOGIT; fold the mask into the host-side adjustment
      const fold = valid !== null && this.listwiseName === 'softmax';
      if (fold) {
        adjust ??= new Float32Array(B * C);
        for (let i = 0; i < adjust.length; i++) if (valid![i] === 0) adjust[i] = MASKED_LOGIT;
      }
      if (adjust) logits = tf.add(logits, tf.tensor2d(adjust, [B, C])) as tf.Tensor2D;
      return this.listwiseFn(logits, positivesT, valid && !fold ? tf.tensor2d(valid, [B, C]) : undefined);
    }
    // pairwise: the positive column against every other valid column
    const weights = new Float32Array(B * C);
    for (let i = 0; i < weights.length; i++) weights[i] = positives[i] === 1 || (valid && valid[i] === 0) ? 0 : 1;
    const posScore = tf.sum(tf.mul(logits, positivesT), 1, true);
    return this.pairwiseFn(posScore, logits, tf.tensor2d(weights, [B, C]));
  }

  /**
   * Item frequencies for the popularity sampler and the log-Q correction, by item id (`counts[j]` for ids[j], or
   * for id j when `ids` is omitted). Without this, `fit` counts the training data's item column.
   */
  setItemPopularity(counts: ArrayLike<number>, ids?: ArrayLike<number>): void {
    this.negativeSampler.setPopularity(this.requireCatalog('setItemPopularity'), counts, ids);
  }

  private countItems(data: Dataset): void {
    const catalog = this.catalog ?? this.defaultCatalog();
    if (catalog) this.negativeSampler.count(catalog, data, this.itemIdFeature.name);
  }

  /** Pairwise / listwise rows are all positives: a missing label column is filled with ones. */
  bindData(data: DataInput, withLabels: boolean): Dataset {
    if (!withLabels || this.mode === 'pointwise' || hasColumns(data, this.targets.map((t) => t.name))) return super.bindData(data, withLabels);
    const ds = super.bindData(data, false);
    for (const t of this.targets) if (!ds.columns.has(t.name)) ds.columns.set(t.name, { kind: 'float', data: new Float32Array(ds.numRows).fill(1), width: 1 });
    return ds;
  }

  /** Train; item counts for popularity sampling / log-Q come from this data unless set with setItemPopularity. */
  async fit(train: DataInput, opts: FitOptions = {}): Promise<History> {
    const ds = this.bindData(train, true);
    if (!this.negativeSampler.fromUser && this.needsCounts()) {
      this.negativeSampler.clearCounted();
      this.countItems(ds);
    }
    try {
      return await super.fit(ds, opts);
    } finally {
      this.clearIndex();
    }
  }

  /** Train on a stream; item counts (when needed and not set) accumulate over the batches seen so far. */
  async fitStream(source: BatchSource, opts: StreamFitOptions = {}): Promise<History> {
    const streaming = !this.negativeSampler.fromUser && this.needsCounts();
    // chunks are bound once here (bound datasets pass through the trainer's binding unchanged) to count their items
    const counted: BatchSource = streaming
      ? {
          description: source.description,
          numRows: source.numRows,
          chunks: (epoch: number) =>
            countingChunks(source.chunks(epoch), (chunk) => {
              const ds = this.bindData(chunk as DataInput, true);
              this.countItems(ds);
              return ds;
            }),
        }
      : source;
    try {
      return await super.fitStream(counted, opts);
    } finally {
      this.clearIndex();
    }
  }

  private needsCounts(): boolean {
    if (this.mode === 'pointwise') return false;
    if (this.negatives === 'sampled') return this.sampler === 'popularity';
    return this.mode === 'listwise' && this.logQCorrection;
  }

  // ---------------------------------------------------------------- catalogue

  /**
   * The items to recommend and to sample negatives from: columns of every item feature, one row per item. Needed
   * when the item tower reads more than the id; otherwise ids 1..vocabSize-1 of the id feature are the default.
   */
  setItemCatalog(items: ColumnarInput | Dataset): void {
    this.catalog = catalogFromColumns(items, this.itemFeatures, this.itemIdFeature, ++this.catalogVersion);
    this.catalogIsCustom = true;
    // counts are indexed by catalogue position, so earlier ones (counted or set) no longer line up
    this.negativeSampler.reset();
    this.clearIndex();
  }

  /** Item ids of the catalogue in index order. */
  catalogIds(): Int32Array {
    return this.requireCatalog('catalogIds').ids;
  }

  private defaultCatalog(): ItemCatalog | null {
    return defaultCatalog(this.itemIdFeature, this.itemSparse.length === 1 && this.itemDense.length === 0);
  }

  private requireCatalog(what: string): ItemCatalog {
    if (!this.catalog) this.catalog = this.defaultCatalog();
    if (!this.catalog) {
      throw new Error(`${this.modelName()}: ${what} needs the item catalogue: the item tower reads ${this.itemFeatures.map((f) => f.name).join(', ')}${this.itemIdFeature.hashing ? ' (hashed ids)' : ''}, so call setItemCatalog(columns) first`);
    }
    return this.catalog;
  }

  /** Embedding blocks (keys `${prefix}${feature}`) and dense values of the catalogue rows `positions`. */
  private catalogBlocks(catalog: ItemCatalog, positions: Int32Array, prefix: string): { blocks: EmbeddingBlock[]; dense: Float32Array | null } {
    const n = positions.length;
    const blocks = this.itemSparse.map((f) => {
      const vals = new Int32Array(n);
      if (catalog.data) {
        const col = catalog.data.column(f.name).data as Int32Array;
        for (let i = 0; i < n; i++) vals[i] = col[positions[i]];
      } else for (let i = 0; i < n; i++) vals[i] = catalog.ids[positions[i]];
      return this.embeddings.lookupIds(`${prefix}${f.name}`, f.name, vals, [n]);
    });
    const dense = this.itemDense.length && catalog.data ? gatherDense(catalog.data, positions, this.itemDense) : null;
    return { blocks, dense };
  }

  // ---------------------------------------------------------------- serving

  /** Drop the cached item matrix (rebuilt on next use). Call after editing weights by hand. */
  clearIndex(): void {
    for (const index of Object.values(this.indexes)) index?.dispose();
    this.indexes = {};
    this.itemVectorCache = null;
  }

  private inferCtx(): ForwardContext {
    return { training: false, rng: new Rng(0), deferred: [] };
  }

  /** The catalogue's item vectors at the current step (computed once per step and catalogue). */
  private itemVectors(): CachedItemVectors {
    const catalog = this.requireCatalog('recommend');
    const step = this.internals().globalStep;
    const cached = this.itemVectorCache;
    if (cached && cached.step === step && cached.catalogVersion === catalog.version) return cached;
    this.clearIndex();
    const n = catalog.ids.length;
    let dim = 0;
    let matrix = new Float32Array(0);
    const ctx = this.inferCtx();
    for (let start = 0; start < n; start += ITEM_BATCH) {
      const m = Math.min(ITEM_BATCH, n - start);
      const positions = Int32Array.from({ length: m }, (_, i) => start + i);
      const { blocks, dense } = this.catalogBlocks(catalog, positions, 'c:');
      const vals = readAndDispose(
        tf.tidy(() => {
          const emb: Record<string, tf.Tensor> = {};
          blocks.forEach((b) => (emb[b.key] = b.tensor()));
          const d = dense ? tf.tensor2d(dense, [m, dense.length / m]) : null;
          return this.normalize(this.itemTower(this.itemInputsFrom(emb, 'c:', m, d), ctx));
        }),
      );
      if (start === 0) {
        dim = vals.length / m;
        matrix = new Float32Array(n * dim);
      }
      matrix.set(vals, start * dim);
    }
    this.itemVectorCache = { step, catalogVersion: catalog.version, ids: catalog.ids, dim, matrix };
    return this.itemVectorCache;
  }

  /** The index of `kind` over the current item vectors, built when missing or stale. */
  private itemIndex(kind: ItemIndexKind): ItemIndex {
    const vectors = this.itemVectors();
    const have = this.indexes[kind];
    if (have) return have;
    let index: ItemIndex;
    if (kind === 'exact') index = new ExactItemIndex(vectors);
    else if (kind === 'hnsw') index = hnswAdapter().HnswItemIndex.build(vectors, this.hnswOptions ?? {});
    else throw new Error(`${this.modelName()}: index must be 'exact' or 'hnsw' (got '${kind as string}')`);
    this.indexes[kind] = index;
    return index;
  }

  /**
   * Build an approximate nearest-neighbour index (HNSW, via the usearch package; Node only) over the catalogue's
   * item vectors, for `recommend(..., { index: 'hnsw' })`. Optional: recommend builds one with default settings on
   * first use. After further training the graph is rebuilt with the same settings. Returns the build time.
   */
  buildItemIndex(opts: HnswOptions = {}): { buildMs: number; size: number; params: HnswParams } {
    const params = hnswAdapter().resolveHnswParams(opts);
    this.hnswOptions = { ...opts };
    this.indexes.hnsw?.dispose();
    delete this.indexes.hnsw;
    this.itemVectors();
    const t0 = Date.now();
    const index = this.itemIndex('hnsw');
    return { buildMs: Date.now() - t0, size: index.size, params };
  }

  /** User representations of rows `rows` of bound user data, inside the caller's tidy scope. */
  private userRepresentation(ds: Dataset, rows: Int32Array): UserRepresentation {
    const embeddings: Record<string, tf.Tensor> = {};
    const masks: Record<string, tf.Tensor2D> = {};
    const B = rows.length;
    for (const f of this.userSparse) embeddings[`u:${f.name}`] = this.embeddings.lookup({ key: `u:${f.name}`, kind: 'stack', features: [f.name] }, ds, rows).tensor();
    for (const f of this.userSequences) {
      const block = this.embeddings.lookup({ key: `s:${f.name}`, kind: 'sequence', feature: f.name }, ds, rows);
      embeddings[`s:${f.name}`] = block.tensor();
      masks[`s:${f.name}`] = tf.tensor2d(block.mask!, [B, f.maxLen]);
    }
    return this.normalizeUser(this.userTower(this.userInputsFrom(embeddings, masks, ds, rows), this.inferCtx()));
  }

  private bindUsers(users: DataInput): Dataset {
    return Dataset.bind(users, this.userFeatures);
  }

  /** Items of row `r` that share the item table in user sequence features (the behaviour history). */
  private historyOf(ds: Dataset, r: number): number[] {
    const out: number[] = [];
    for (const f of this.userSequences) {
      if (f.tableName !== this.itemIdFeature.tableName) continue;
      const col = ds.column(f.name);
      const len = col.lengths ? col.lengths[r] : col.width;
      for (let j = 0; j < len; j++) {
        const v = col.data[r * col.width + j];
        if (v !== 0) out.push(v);
      }
    }
    return out;
  }

  /** Per row of `users`, the items `excludeSeen` removes (as in recommend), or null. */
  protected exclusionLists(users: DataInput, excludeSeen: boolean | ArrayLike<number>[] | undefined): Array<Set<number> | null> {
    const ds = this.bindUsers(users);
    return this.exclusionSets(ds, Int32Array.from({ length: ds.numRows }, (_, i) => i), excludeSeen);
  }

  private exclusionSets(ds: Dataset, rows: Int32Array, exclude: boolean | ArrayLike<number>[] | undefined): Array<Set<number> | null> {
    if (!exclude) return Array.from(rows, () => null);
    if (exclude === true) {
      if (!this.userSequences.some((f) => f.tableName === this.itemIdFeature.tableName)) {
        throw new Error(`${this.modelName()}: excludeSeen: true needs a user sequence feature sharing the item table '${this.itemIdFeature.tableName}'; pass the seen items per row instead`);
      }
      return Array.from(rows, (r) => new Set(this.historyOf(ds, r)));
    }
    if (exclude.length !== ds.numRows) throw new Error(`${this.modelName()}: excludeSeen has ${exclude.length} lists but there are ${ds.numRows} rows`);
    return Array.from(rows, (r) => new Set(Array.from(exclude[r])));
  }

  /**
   * Exact top-k items of the whole catalogue for each row of `users` (user feature columns), scoring all items in
   * batches and selecting on the host; multi-interest users are scored by their best interest (which is the same
   * as merging per-interest top-k lists by score).
   */
  async recommend(users: DataInput, k: number, opts: RecommendOptions = {}): Promise<Recommendations> {
    if (!Number.isInteger(k) || k < 1) throw new Error(`recommend: k must be a positive integer (got ${k})`);
    const ds = this.bindUsers(users);
    const rows = Int32Array.from({ length: ds.numRows }, (_, i) => i);
    return this.recommendRows(ds, rows, k, this.exclusionSets(ds, rows, opts.excludeSeen), opts.batchSize, opts.index);
  }

  private recommendRows(ds: Dataset, rows: Int32Array, k: number, exclude: Array<Set<number> | null>, batchSize?: number, kind: ItemIndexKind = 'exact'): Recommendations {
    const index = this.itemIndex(kind);
    const widest = index instanceof ExactItemIndex ? index.widestBlock : 1;
    let ub = batchSize ?? Math.max(1, Math.min(256, Math.floor(SCORE_BLOCK / Math.max(1, widest))));
    if (!Number.isInteger(ub) || ub < 1) throw new Error(`recommend: batchSize must be a positive integer (got ${batchSize})`);
    ub = Math.min(ub, rows.length);
    const ids: Int32Array[] = [];
    const scores: Float32Array[] = [];
    const inv = 1 / this.temperature;
    for (let start = 0; start < rows.length; start += ub) {
      const batch = rows.subarray(start, Math.min(rows.length, start + ub));
      const b = batch.length;
      let query: IndexQuery | null = null;
      tf.tidy(() => {
        const rep = this.userRepresentation(ds, batch);
        const K = rep.vectors.rank === 3 ? rep.vectors.shape[1] : 1;
        const vectors = tf.keep(rep.vectors.reshape([b * K, index.dim]) as tf.Tensor2D);
        query = { vectors, rows: b, interests: K, interestMask: rep.interestMask ? tf.keep(rep.interestMask) : null };
      });
      if (!query) throw new Error('unreachable');
      const q: IndexQuery = query;
      try {
        const hits = index.search(q, k, exclude.slice(start, start + b), inv);
        ids.push(...hits.ids);
        scores.push(...hits.scores);
      } finally {
        q.vectors.dispose();
        q.interestMask?.dispose();
      }
    }
    return { k, ids, scores };
  }

  /**
   * Recall@K, hit@K, NDCG@K and MRR@K over the full catalogue for labelled positives: each row of `data` holds
   * user features and the item id of a held-out positive; rows with the same `groupBy` value form one query
   * (scored with the first row's user features). Seen items are excluded from the ranking by default when the
   * user tower has a history sharing the item table.
   */
  async evaluateRetrieval(data: DataInput, opts: RetrievalEvalOptions = {}): Promise<Record<string, number>> {
    const ks = opts.ks ?? [10, 50];
    if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`evaluateRetrieval: ks must be positive integers (got ${JSON.stringify(opts.ks)})`);
    const ds = Dataset.bind(data, [...this.userFeatures, this.itemIdFeature]);
    const itemCol = ds.column(this.itemIdFeature.name).data as Int32Array;
    let groups: ArrayLike<number> | null = null;
    if (opts.groupBy) {
      if (ds.columns.has(opts.groupBy)) groups = ds.column(opts.groupBy).data;
      else {
        const raw = data instanceof Dataset || Array.isArray(data) ? undefined : (data as Record<string, ArrayLike<number>>)[opts.groupBy];
        if (!raw) throw new Error(`evaluateRetrieval: groupBy column '${opts.groupBy}' is not in the data`);
        if (raw.length !== ds.numRows) throw new Error(`evaluateRetrieval: groupBy column '${opts.groupBy}' has ${raw.length} rows, expected ${ds.numRows}`);
        groups = raw;
      }
    }
    const firstRow: number[] = [];
    const relevant: number[][] = [];
    const queryOf = new Map<number, number>();
    for (let r = 0; r < ds.numRows; r++) {
      const g = groups ? groups[r] : r;
      let q = queryOf.get(g);
      if (q === undefined) {
        q = firstRow.length;
        queryOf.set(g, q);
        firstRow.push(r);
        relevant.push([]);
      }
      relevant[q].push(itemCol[r]);
    }
    const rows = Int32Array.from(firstRow);
    const hasHistory = this.userSequences.some((f) => f.tableName === this.itemIdFeature.tableName);
    const excludeOpt = opts.excludeSeen ?? hasHistory;
    let exclude: Array<Set<number> | null>;
    if (Array.isArray(excludeOpt)) {
      if (excludeOpt.length !== ds.numRows) throw new Error(`evaluateRetrieval: excludeSeen has ${excludeOpt.length} lists but there are ${ds.numRows} rows`);
      exclude = firstRow.map(() => new Set<number>());
      for (let r = 0; r < ds.numRows; r++) for (const id of Array.from(excludeOpt[r])) exclude[queryOf.get(groups ? groups[r] : r)!]!.add(id);
    } else exclude = this.exclusionSets(ds, rows, excludeOpt as boolean);
    const recs = this.recommendRows(ds, rows, Math.max(...ks), exclude, opts.batchSize, opts.index);
    return retrievalMetrics(recs.ids, relevant, ks);
  }

  // ---------------------------------------------------------------- embeddings export

  /** User vectors for rows of `users` ([N, D], or [N, K, D] plus the interest mask for multi-interest models). */
  async userEmbeddings(users: DataInput, opts: { batchSize?: number } = {}): Promise<EmbeddingMatrix> {
    const ds = this.bindUsers(users);
    const bs = opts.batchSize ?? 1024;
    let values = new Float32Array(0);
    let mask: Float32Array | undefined;
    let shape: number[] = [];
    for (let start = 0; start < ds.numRows; start += bs) {
      const rows = Int32Array.from({ length: Math.min(bs, ds.numRows - start) }, (_, i) => start + i);
      const rep = tf.tidy(() => {
        const r = this.userRepresentation(ds, rows);
        return r.interestMask ? [r.vectors, r.interestMask] : [r.vectors];
      });
      const s = rep[0].shape;
      const v = readAndDispose(rep[0]);
      const m = rep[1] ? readAndDispose(rep[1]) : undefined;
      if (start === 0) {
        shape = [ds.numRows, ...s.slice(1)];
        values = new Float32Array(shape.reduce((a, b) => a * b, 1));
        if (m) mask = new Float32Array(ds.numRows * s[1]);
      }
      values.set(v, (start * v.length) / rows.length);
      if (m && mask) mask.set(m, start * s[1]);
    }
    return { values, shape, interestMask: mask };
  }

  /** The item vectors of the whole catalogue ([N, D], normalised for cosine models) with their ids. */
  itemEmbeddings(): EmbeddingMatrix {
    const items = this.itemVectors();
    return { values: items.matrix.slice(), shape: [items.ids.length, items.dim], ids: items.ids.slice() };
  }

  /** Write the catalogue's item vectors and ids under `name` (files `${name}.bin`, `${name}.ids.bin`, manifest `${name}.json`). */
  async exportItemEmbeddings(target: string | ModelStore, name = 'item_embeddings'): Promise<EmbeddingExportManifest> {
    return this.writeEmbeddings(await resolveStore(target), name, 'item', this.itemEmbeddings());
  }

  /** Write the vectors of the given users under `name` (as exportItemEmbeddings; multi-interest users also get their mask). */
  async exportUserEmbeddings(users: DataInput, target: string | ModelStore, name = 'user_embeddings'): Promise<EmbeddingExportManifest> {
    return this.writeEmbeddings(await resolveStore(target), name, 'user', await this.userEmbeddings(users));
  }

  private async writeEmbeddings(store: ModelStore, name: string, kind: 'item' | 'user', m: EmbeddingMatrix): Promise<EmbeddingExportManifest> {
    return writeEmbeddings(store, name, kind, m, { modelName: this.modelName(), similarity: this.similarity, temperature: this.temperature });
  }

  // ---------------------------------------------------------------- persistence

  /** Serializable constructor config (the match config as given, features as plain specs). */
  configForSave(): unknown {
    return encodeConfig(this.matchConfig);
  }

  /** Save as BaseModel.save does, plus the item catalogue and HNSW index when set (one transaction). */
  protected async writeSave(store: ModelStore, opts: SaveOptions = {}): Promise<void> {
    await super.writeSave(store, opts);
    if (this.catalogIsCustom && this.catalog) await saveCatalog(store, this.catalog, this.itemFeatures);
    const hnsw = this.indexes.hnsw as HnswItemIndex | undefined;
    if (hnsw) await hnswAdapter().saveHnsw(store, hnsw);
  }

  /** Load a saved match model (and its item catalogue and HNSW index, when saved). */
  static async load<M extends BaseModel>(this: { modelName: string }, source: string | ModelStore): Promise<M> {
    const store = await resolveStore(source);
    const model = await restoreModelState(store, this.modelName === 'MatchModel' ? null : this.modelName);
    if (!(model instanceof MatchModel)) throw new Error(`saved model is a ${model.modelName()}, not a match model`);
    const columns = await loadCatalogColumns(store);
    if (columns) model.setItemCatalog(columns);
    await model.restoreHnsw(store);
    return model as unknown as M;
  }

  private async restoreHnsw(store: ModelStore): Promise<void> {
    const { loadHnsw, readHnswManifest } = hnswAdapter();
    const saved = await readHnswManifest(store);
    if (!saved) return;
    this.hnswOptions = { ...saved.params };
    this.indexes.hnsw = await loadHnsw(store, saved, this.itemVectors());
  }

  /** Release tfjs memory, including the cached item matrix. */
  dispose(): void {
    this.clearIndex();
    super.dispose();
  }
}

/** Read an embedding export written by `exportItemEmbeddings` / `exportUserEmbeddings`, verifying checksums. */
export async function readEmbeddings(target: string | ModelStore, name: string): Promise<{ manifest: EmbeddingExportManifest } & EmbeddingMatrix> {
  return readEmbeddingsFrom(await resolveStore(target), name);
}

// ---------------------------------------------------------------- helpers

/** Per row, the interest vector that scores `items` [B, D] best (masked interests never win); identity for [B, D] users. */
export function bestInterest(user: UserRepresentation, items: tf.Tensor2D): tf.Tensor2D {
  if (user.vectors.rank === 2) return user.vectors as tf.Tensor2D;
  return tf.tidy(() => {
    const V = user.vectors as tf.Tensor3D;
    const [B, K, D] = V.shape;
    // one interest is the answer (tf.oneHot also refuses depth 1)
    if (K === 1) return V.reshape([B, D]) as tf.Tensor2D;
    let s = tf.sum(tf.mul(V, items.reshape([B, 1, -1])), 2);
    if (user.interestMask) s = tf.add(s, tf.mul(tf.sub(user.interestMask, 1), 1e30));
    const pick = tf.oneHot(tf.argMax(s, 1), K).toFloat().reshape([B, K, 1]);
    return tf.sum(tf.mul(pick, V), 1) as tf.Tensor2D;
  });
}

function splitFeatures(name: string, config: MatchModelConfig) {
  if (!config || !Array.isArray(config.userFeatures) || config.userFeatures.length === 0) throw new Error(`${name}: userFeatures must list at least one feature`);
  if (!Array.isArray(config.itemFeatures) || config.itemFeatures.length === 0) throw new Error(`${name}: itemFeatures must list at least one feature (the item id)`);
  for (const key of ['sparseFeatures', 'sequenceFeatures', 'denseFeatures'] as const) {
    if ((config as unknown as Record<string, unknown>)[key] !== undefined) throw new Error(`${name}: use userFeatures / itemFeatures instead of ${key}`);
  }
  const user = { sparse: [] as SparseFeature[], sequences: [] as SequenceFeature[], dense: [] as DenseFeature[] };
  const item = { sparse: [] as SparseFeature[], dense: [] as DenseFeature[] };
  config.userFeatures.forEach((f, i) => {
    if (f instanceof SparseFeature) user.sparse.push(f);
    else if (f instanceof SequenceFeature) user.sequences.push(f);
    else if (f instanceof DenseFeature) user.dense.push(f);
    else throw new Error(`${name}: userFeatures[${i}] must be a SparseFeature, SequenceFeature or DenseFeature`);
  });
  config.itemFeatures.forEach((f, i) => {
    if (f instanceof SparseFeature) item.sparse.push(f);
    else if (f instanceof DenseFeature) item.dense.push(f);
    else if (f instanceof SequenceFeature) throw new Error(`${name}: itemFeatures[${i}] ('${f.name}') is a SequenceFeature; item towers take sparse and dense features`);
    else throw new Error(`${name}: itemFeatures[${i}] must be a SparseFeature or DenseFeature`);
  });
  return { user, item };
}

function gatherDense(data: Dataset, rows: ArrayLike<number>, feats: DenseFeature[]): Float32Array {
  const width = feats.reduce((s, f) => s + f.dim, 0);
  const out = new Float32Array(rows.length * width);
  let off = 0;
  for (const f of feats) {
    const src = data.column(f.name).data;
    for (let i = 0; i < rows.length; i++) {
      const s = rows[i] * f.dim;
      for (let j = 0; j < f.dim; j++) out[i * width + off + j] = src[s + j];
    }
    off += f.dim;
  }
  return out;
}

function hasColumns(data: DataInput, names: string[]): boolean {
  if (data instanceof Dataset) return names.every((n) => data.columns.has(n));
  if (Array.isArray(data)) return data.length > 0 && names.every((n) => n in (data[0] as object));
  return names.every((n) => n in (data as object));
}

async function* countingChunks<T, U>(chunks: AsyncIterable<T>, onChunk: (chunk: T) => U): AsyncGenerator<U> {
  for await (const c of chunks) yield onChunk(c);
}

/** The HNSW adapter loads a native package: required on first use so the core stays loadable in browsers. */
function hnswAdapter(): typeof import('./hnsw-index') {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('./hnsw-index') as typeof import('./hnsw-index');
}
