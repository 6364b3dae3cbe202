import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import { checkedConfig } from '../../basic/model/option-checks';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig, CompileOptions, DataInput, FitOptions, History } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { detachedMax, SequenceBatch } from '../../basic/layers/attention';
import { fusedOpsEnabled } from '../../basic/layers/fused-mode';
import { EmbeddingBlock } from '../../basic/embedding/embedding-collection';
import { SequenceFeature } from '../../basic/features';
import { Rng } from '../../basic/random';
import { RankingAccumulator } from '../../basic/sequence-metrics';
import { DataError, Dataset } from '../../basic/dataset/dataset';
import { sampledSoftmaxRows } from '../../loss/listwise';
import { softplus } from '../../loss/softplus';
import { l2Normalize } from './common';
import { alignToSequence, lengthBucketedBatches, lengthSortedChunks, maxLength, rawColumn, sequenceLengths, timeMajorIds } from './batching';

/** Settings shared by next-item models (HSTU, SASRec). */
export interface SequentialRecommenderConfig extends Omit<BaseModelConfig, 'targets'> {
  /** Name of the item-history SequenceFeature (default: the only sequence feature). Its table is the item catalogue. */
  historyFeature?: string;
  /**
   * Optional column of per-item timestamps, laid out like the history column (lists per row, or flat
   * rows x maxLen). Enables HSTU's temporal attention bias; gaps are bucketed on a log2 scale of this unit
   * (seconds recommended). Ignored by SASRec.
   */
  timestampColumn?: string;
  /**
   * Optional column with the time of each row's request, i.e. when the next item is to be predicted (in
   * leave-one-out evaluation, the held-out item's timestamp). With `timestampColumn` it gives the temporal
   * bias the gap since the latest history item, as during training; without it that gap is taken as 0.
   * Read by evaluate / predictTargets / recommend / userEmbeddings, ignored by SASRec.
   */
  targetTimeColumn?: string;
  /** Column holding the true next item in `evaluate` / `predict` data (default 'target_item'). */
  targetColumn?: string;
  /** Uniformly sampled negatives per batch, shared by all positions (default 128). */
  numNegatives?: number;
  /** Extra negatives drawn from the batch's own next items, i.e. by popularity, with a log-Q correction (default 0). */
  inBatchNegatives?: number;
  /** Softmax temperature on cosine similarities (default 0.05; cosine scoring only). */
  temperature?: number;
  /**
   * How a sequence output o and an item embedding e are scored: 'cosine' (default), cos(o, e) / temperature;
   * 'dot', the plain dot product o . e of the unnormalised vectors, as in the SASRec paper (item norms can then
   * carry popularity).
   */
  scoring?: 'cosine' | 'dot';
  /**
   * Per-position training objective over the true next item's score s+ and the negatives' scores s-:
   * 'softmax' (default), sampled softmax cross-entropy log(e^s+ + sum e^s-) - s+; 'bce', binary cross-entropy
   * -log sigmoid(s+) - sum log(1 - sigmoid(s-)), the SASRec paper's loss (with negativesPerPosition 1 and
   * numNegatives 0).
   */
  objective?: 'softmax' | 'bce';
  /**
   * Negatives drawn for each position on its own (default 0), uniformly among the items that do not occur in the
   * row's history, as in the SASRec paper (one per position). They are scored in addition to the `numNegatives`
   * shared ones; set numNegatives to 0 to use only these.
   */
  negativesPerPosition?: number;
  /** Stacked attention blocks (default 2). */
  blocks?: number;
  /** Attention heads (default 1). */
  heads?: number;
  /** Dropout rate (default 0.2). */
  dropout?: number;
  /** Group training rows of similar length into batches (default true). */
  lengthBuckets?: boolean;
}

/** Options of {@link SequentialRecommender.evaluate}. */
export interface NextItemEvalOptions {
  batchSize?: number;
  /** Cut-offs for HR@k and NDCG@k (default [10, 50]). */
  ks?: number[];
  /**
   * Remove the row's history items from the ranking (the target stays). Default false: the full catalogue is
   * ranked and nothing is excluded, so repeat consumption counts, matching the HSTU paper's protocol.
   */
  excludeHistory?: boolean;
}

/** Top-k recommendations: row-major [rows x k] item ids and their scores (cosine / temperature, or dot products). */
export interface Recommendations {
  items: Int32Array;
  scores: Float32Array;
  k: number;
}

const NEXT_ITEM = 'next_item';
/** Internal column names for values bound alongside the history. */
const TIME_COL = '__hist_time';
const REQUEST_TIME_COL = '__request_time';
/** Attention-score entries one inference chunk may hold (16 MB of float32 per score tensor). */
const ATTENTION_BUDGET = 4_194_304;
/** Entries of the [rows x catalogue] score matrix one inference chunk may hold (16 MB of float32). */
const CATALOGUE_SCORE_BUDGET = 4_194_304;
const TARGET_COL = '__next_item_target';

interface PendingStep {
  ids: Int32Array;
  L: number;
  B: number;
  negatives: Int32Array;
  /** Per-position negatives [(L-1) x B x negativesPerPosition] (0 on padding positions), or null. */
  positionNegatives: Int32Array | null;
  /** log of the expected number of draws of each negative (only with in-batch negatives). */
  logQNeg: Float32Array | null;
  logQPos: Float32Array | null;
}

/**
 * Base of autoregressive next-item models over one item-history feature. One data row is one user's sequence
 * (oldest first). Training predicts item t+1 from the prefix up to t at every position, with a sampled softmax
 * over cosine similarities between the sequence output and item embeddings (the history feature's own table)
 * at a temperature. Subclasses only define `encode`, the causal sequence encoder.
 *
 * Evaluation ranks the full catalogue (ids 1..vocabSize-1 of the history table) for the row's `targetColumn`
 * and reports HR@k, NDCG@k, MRR and `loss`, the full-softmax cross-entropy of the target.
 */
export abstract class SequentialRecommender extends BaseModel {
  readonly history: SequenceFeature;
  readonly dim: number;
  readonly numNegatives: number;
  readonly inBatchNegatives: number;
  /** Divides the scores: the cosine temperature, 1 with dot-product scoring. */
  readonly temperature: number;
  readonly scoring: 'cosine' | 'dot';
  readonly objective: 'softmax' | 'bce';
  readonly negativesPerPosition: number;
  readonly blocks: number;
  readonly heads: number;
  readonly dropout: number;
  readonly timestampColumn: string | null;
  readonly targetTimeColumn: string | null;
  readonly targetColumn: string;
  private readonly lengthBuckets: boolean;
  private pending: PendingStep | null = null;

  constructor(config: SequentialRecommenderConfig) {
    const targets = [{ name: NEXT_ITEM, type: 'regression' as const }];
    // saved configs carry the fixed target; any other value is a user option the model would ignore
    const own = JSON.stringify((config as { targets?: unknown }).targets) === JSON.stringify(targets) ? { ...config, targets: undefined } : config;
    super(checkedConfig(new.target.modelName, own, { ...config, targets }));
    const name = this.modelName();
    const seqs = this.sequenceFeatures;
    const histName = config.historyFeature ?? (seqs.length === 1 ? seqs[0].name : undefined);
    if (!histName) throw new Error(`${name}: set historyFeature to the item-history SequenceFeature (got ${seqs.length} sequence features)`);
    const hist = seqs.find((s) => s.name === histName);
    if (!hist) throw new Error(`${name}: historyFeature '${histName}' is not among sequenceFeatures (${seqs.map((s) => s.name).join(', ') || 'none'})`);
    if (this.sparseFeatures.length || this.denseFeatures.length || seqs.length > 1) {
      throw new Error(`${name}: next-item models read only the item history '${histName}'; use HSTURanker for contextual features`);
    }
    this.history = hist;
    this.dim = hist.embeddingDim;
    this.numNegatives = config.numNegatives ?? 128;
    this.inBatchNegatives = config.inBatchNegatives ?? 0;
    this.scoring = config.scoring ?? 'cosine';
    if (this.scoring !== 'cosine' && this.scoring !== 'dot') throw new Error(`${name}: scoring must be 'cosine' or 'dot' (got '${config.scoring}')`);
    if (this.scoring === 'dot' && config.temperature !== undefined) throw new Error(`${name}: temperature applies to scoring 'cosine' only; remove it or use scoring 'cosine'`);
    this.temperature = this.scoring === 'dot' ? 1 : config.temperature ?? 0.05;
    this.objective = config.objective ?? 'softmax';
    if (this.objective !== 'softmax' && this.objective !== 'bce') throw new Error(`${name}: objective must be 'softmax' or 'bce' (got '${config.objective}')`);
    this.negativesPerPosition = config.negativesPerPosition ?? 0;
    this.blocks = config.blocks ?? 2;
    this.heads = config.heads ?? 1;
    this.dropout = config.dropout ?? 0.2;
    this.timestampColumn = config.timestampColumn ?? null;
    this.targetTimeColumn = config.targetTimeColumn ?? null;
    if (this.targetTimeColumn && !this.timestampColumn) throw new Error(`${name}: targetTimeColumn needs timestampColumn`);
    this.targetColumn = config.targetColumn ?? 'target_item';
    this.lengthBuckets = config.lengthBuckets ?? true;
    for (const [field, v] of [
      ['numNegatives', this.numNegatives],
      ['inBatchNegatives', this.inBatchNegatives],
      ['negativesPerPosition', this.negativesPerPosition],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name}: ${field} must be a non-negative integer (got ${v})`);
    }
    if (this.numNegatives + this.inBatchNegatives + this.negativesPerPosition < 1) throw new Error(`${name}: numNegatives + inBatchNegatives + negativesPerPosition must be at least 1`);
    if (this.inBatchNegatives > 0 && this.negativesPerPosition > 0) {
      throw new Error(`${name}: inBatchNegatives (log-Q corrected) and negativesPerPosition (uniform) cannot be combined; set one of them to 0`);
    }
    if (this.negativesPerPosition > 0 && hist.vocabSize < 3) throw new Error(`${name}: negativesPerPosition needs at least 2 items in '${hist.name}' (vocabSize ${hist.vocabSize})`);
    if (!(this.temperature > 0)) throw new Error(`${name}: temperature must be > 0 (got ${config.temperature})`);
    if (!Number.isInteger(this.blocks) || this.blocks < 1) throw new Error(`${name}: blocks must be a positive integer (got ${config.blocks})`);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${name}: dropout must be in [0, 1) (got ${config.dropout})`);
    // created now (not on first lookup) so that a freshly constructed model can load saved tables
    this.embeddings.tablesOf(hist);
  }

  /**
   * The causal encoder: time-major item embeddings [L, B, D] (zeros on padding) -> outputs [L, B, D], where the
   * output at position t summarises items 0..t of its row and nothing else.
   */
  protected abstract encode(items: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D;

  /**
   * The item representation fed to the encoder and scored against: from the id embeddings `embedded` [..., D] of
   * the items `ids` (same layout, zeros for padding). Default: the id embeddings; HLLM adds supplied content.
   */
  protected itemVectors(embedded: tf.Tensor, ids: Int32Array): tf.Tensor {
    void ids;
    return embedded;
  }

  /** As BaseModel.compile; the compiled metrics are not used (evaluate reports ranking metrics). */
  compile(options: CompileOptions = {}): this {
    return super.compile({ ...options, metrics: options.metrics ?? [] });
  }

  /** As BaseModel.fit; refuses data in which no history has a next item (the loss would be 0 and nothing learnt). */
  async fit(train: DataInput, opts: FitOptions = {}): Promise<History> {
    const ds = this.bindData(train, true);
    const lengths = sequenceLengths(ds.column(this.history.name));
    let longest = 0;
    for (let i = 0; i < lengths.length; i++) longest = Math.max(longest, lengths[i]);
    if (longest < 2) {
      throw new DataError(
        `${this.modelName()}: no training row of '${this.history.name}' has 2 or more items (longest: ${longest} over ${ds.numRows} rows), so there is no next-item pair to learn from; give each row its whole history, oldest first`,
      );
    }
    return super.fit(ds, opts);
  }

  /** Bind features, plus the timestamp and target columns when present. */
  bindData(data: DataInput, withLabels: boolean): Dataset {
    void withLabels;
    const ds = super.bindData(data, false);
    const n = ds.numRows;
    const L = this.history.maxLen;
    if (this.timestampColumn && !ds.columns.has(TIME_COL)) {
      const raw = rawColumn(data, this.timestampColumn);
      if (raw === null) throw new DataError(`timestamps: bind a Dataset through this model (column '${this.timestampColumn}' cannot be aligned afterwards)`);
      if (raw === undefined) throw new DataError(`missing column '${this.timestampColumn}' (timestampColumn)`);
      const aligned = alignToSequence(this.history.name, rawColumn(data, this.history.name)!, this.timestampColumn, raw, n, L);
      // gaps relative to each row's first item keep float32 exact enough for log-scale buckets
      const rel = new Float32Array(n * L);
      for (let i = 0; i < n; i++) for (let t = 0; t < L; t++) rel[i * L + t] = aligned[i * L + t] - aligned[i * L];
      ds.columns.set(TIME_COL, { kind: 'float', data: rel, width: L });
      const request = this.targetTimeColumn ? rawColumn(data, this.targetTimeColumn) : undefined;
      if (request) {
        const times = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const v = Number(request[i]);
          if (!Number.isFinite(v)) throw new DataError(`column '${this.targetTimeColumn}' row ${i}: request time ${String(request[i])} is not a finite number`);
          times[i] = v - aligned[i * L];
        }
        ds.columns.set(REQUEST_TIME_COL, { kind: 'float', data: times, width: 1 });
      }
    }
    if (!ds.columns.has(TARGET_COL)) {
      const raw = rawColumn(data, this.targetColumn);
      if (raw) {
        const ids = new Int32Array(n);
        const V = this.history.vocabSize;
        for (let i = 0; i < n; i++) {
          const v = raw[i];
          if (!Number.isInteger(v) || (v as number) < 1 || (!this.history.hashing && (v as number) >= V)) {
            throw new DataError(`column '${this.targetColumn}' row ${i}: next item ${JSON.stringify(v)} is not an id in 1..${V - 1}`);
          }
          ids[i] = v as number;
        }
        ds.columns.set(TARGET_COL, { kind: 'int', data: ids, width: 1 });
      }
    }
    // the base training step reads one label column per target; next-item labels are the sequence itself
    if (!ds.columns.has(NEXT_ITEM)) ds.columns.set(NEXT_ITEM, { kind: 'float', data: new Float32Array(n), width: 1 });
    return ds;
  }

  /** Length-bucketed training batches (see lengthBucketedBatches), unless lengthBuckets is false. */
  protected trainBatches(data: Dataset, batchSize: number, opts: { shuffle: boolean; rng: Rng; dropLast?: boolean }): Iterable<Int32Array> {
    if (!this.lengthBuckets) return super.trainBatches(data, batchSize, opts);
    return lengthBucketedBatches(sequenceLengths(data.column(this.history.name)), batchSize, opts);
  }

  /** History ids of rows `indices`, time-major and truncated to the longest row. */
  private historyOf(data: Dataset, indices: Int32Array): { ids: Int32Array; lengths: Int32Array; L: number } {
    const col = data.column(this.history.name);
    const all = sequenceLengths(col);
    const lengths = Int32Array.from(indices, (r) => all[r]);
    const L = Math.max(1, maxLength(all, indices));
    return { ids: timeMajorIds(col, indices, L), lengths, L };
  }

  /** Layout (and timestamps) of rows `indices`. */
  private sequenceBatch(data: Dataset, indices: Int32Array, L: number, lengths: Int32Array): SequenceBatch {
    let timestamps: Float64Array | null = null;
    const tcol = data.columns.get(TIME_COL);
    if (tcol) {
      const W = tcol.width;
      timestamps = new Float64Array(indices.length * L);
      indices.forEach((r, b) => {
        for (let t = 0; t < Math.min(L, W); t++) timestamps![b * L + t] = tcol.data[r * W + t];
      });
    }
    const rcol = data.columns.get(REQUEST_TIME_COL);
    const targetTimes = rcol ? Float64Array.from(indices, (r) => rcol.data[r]) : null;
    return new SequenceBatch({ length: L, lengths, timestamps, targetTimes });
  }

  protected extraBlocks(data: Dataset, indices: Int32Array, ctx: ForwardContext): EmbeddingBlock[] {
    const { ids, L } = this.historyOf(data, indices);
    const B = indices.length;
    const V = this.history.vocabSize;
    const nu = this.numNegatives;
    const nb = this.inBatchNegatives;
    const negatives = new Int32Array(nu + nb);
    for (let i = 0; i < nu; i++) negatives[i] = 1 + ctx.rng.int(V - 1);
    let logQNeg: Float32Array | null = null;
    let logQPos: Float32Array | null = null;
    if (nb > 0) {
      // next items of the batch (positions 1..L-1), drawn uniformly: popular items are drawn more often
      const next: number[] = [];
      const counts = new Map<number, number>();
      for (let i = B; i < L * B; i++) {
        if (ids[i] === 0) continue;
        next.push(ids[i]);
        counts.set(ids[i], (counts.get(ids[i]) ?? 0) + 1);
      }
      if (next.length === 0) next.push(1 + ctx.rng.int(V - 1));
      for (let i = 0; i < nb; i++) negatives[nu + i] = next[ctx.rng.int(next.length)];
      // expected draws per item; subtracting its log makes the sampled softmax an unbiased estimate of the full one
      const q = (id: number) => Math.log(nu / (V - 1) + (nb * (counts.get(id) ?? 0)) / Math.max(1, next.length));
      logQNeg = Float32Array.from(negatives, q);
      logQPos = new Float32Array((L - 1) * B);
      for (let i = 0; i < (L - 1) * B; i++) logQPos[i] = ids[i + B] === 0 ? 0 : q(ids[i + B]);
    }
    const positionNegatives = this.negativesPerPosition > 0 && L > 1 ? this.drawPositionNegatives(ids, L, B, ctx.rng) : null;
    this.pending = { ids, L, B, negatives, positionNegatives, logQNeg, logQPos };
    const blocks = [this.embeddings.lookupIds('history', this.history.name, ids, [L, B])];
    if (negatives.length > 0) blocks.push(this.embeddings.lookupIds('negatives', this.history.name, negatives, [negatives.length]));
    if (positionNegatives) blocks.push(this.embeddings.lookupIds('positionNegatives', this.history.name, positionNegatives, [positionNegatives.length]));
    return blocks;
  }

  /**
   * negativesPerPosition ids for each predicted position (t, b), t < L-1, drawn uniformly among the items absent
   * from row b's history (after 64 rejected draws, any item but the target is accepted: a row holding nearly the
   * whole catalogue); 0 (padding: a zero vector with no update) where the position has no next item.
   */
  private drawPositionNegatives(ids: Int32Array, L: number, B: number, rng: Rng): Int32Array {
    const k = this.negativesPerPosition;
    const V = this.history.vocabSize;
    const out = new Int32Array((L - 1) * B * k);
    for (let b = 0; b < B; b++) {
      const seen = new Set<number>();
      for (let t = 0; t < L; t++) if (ids[t * B + b] !== 0) seen.add(ids[t * B + b]);
      for (let t = 0; t < L - 1; t++) {
        const target = ids[(t + 1) * B + b];
        if (target === 0) continue;
        const base = (t * B + b) * k;
        for (let j = 0; j < k; j++) {
          let id = 0;
          for (let tries = 0; ; tries++) {
            id = 1 + rng.int(V - 1);
            if (!seen.has(id) || (tries >= 64 && id !== target)) break;
          }
          out[base + j] = id;
        }
      }
    }
    return out;
  }

  /** The vectors scores are dot products of: unit-length for cosine scoring, as they are for dot scoring. */
  private scoreSpace(x: tf.Tensor): tf.Tensor {
    return this.scoring === 'cosine' ? l2Normalize(x) : x;
  }

  protected inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    const { ids, L } = this.historyOf(data, indices);
    return [this.embeddings.lookupIds('history', this.history.name, ids, [L, indices.length])];
  }

  /** Sequence representation [B, D] at each row's last real position (zeros for empty histories), unit length for cosine scoring. */
  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const { ids, lengths, L } = this.historyOf(inputs.data, inputs.indices);
    const batch = this.sequenceBatch(inputs.data, inputs.indices, L, lengths);
    const out = this.encode(this.itemVectors(inputs.embeddings.history, ids) as tf.Tensor3D, batch, ctx);
    return this.scoreSpace(tf.sum(tf.mul(out, batch.lastTokenSelector()), 0)) as tf.Tensor2D;
  }

  protected trainingLoss(inputs: ModelInputs, _labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    const p = this.pending;
    if (!p) throw new Error(`${this.modelName()}: internal error, no sampled negatives for this step`);
    this.pending = null;
    const { ids, L, B } = p;
    const items = this.itemVectors(inputs.embeddings.history, ids) as tf.Tensor3D;
    const lengths = this.historyOf(inputs.data, inputs.indices).lengths;
    const out = this.encode(items, this.sequenceBatch(inputs.data, inputs.indices, L, lengths), ctx);
    const D = this.dim;
    if (L < 2) return tf.mul(tf.sum(out), 0) as tf.Scalar; // no row has a next item: nothing to learn
    const P = (L - 1) * B;
    const weights = new Float32Array(P);
    const targets = new Int32Array(P);
    let valid = 0;
    for (let i = 0; i < P; i++) {
      targets[i] = ids[i + B];
      if (targets[i] !== 0) {
        weights[i] = 1;
        valid++;
      }
    }
    const o = this.scoreSpace(tf.slice(out, [0, 0, 0], [L - 1, B, D]).reshape([P, D]));
    const e = this.scoreSpace(tf.slice(items, [1, 0, 0], [L - 1, B, D]).reshape([P, D]));
    const scaled = (x: tf.Tensor) => (this.temperature === 1 ? x : tf.mul(x, 1 / this.temperature));
    let pos: tf.Tensor = scaled(tf.sum(tf.mul(o, e), -1));
    const parts: tf.Tensor[] = [];
    if (p.negatives.length > 0) parts.push(this.sharedNegativeLogits(inputs, p, o as tf.Tensor2D, targets, scaled));
    if (p.positionNegatives) {
      const k = this.negativesPerPosition;
      const negE = this.scoreSpace(this.itemVectors(inputs.embeddings.positionNegatives, p.positionNegatives)).reshape([P, k, D]);
      parts.push(scaled(tf.sum(tf.mul(o.reshape([P, 1, D]), negE), -1)));
    }
    if (p.logQPos) pos = tf.sub(pos, tf.tensor1d(p.logQPos));
    const neg = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    const perPosition = this.positionLoss(pos.reshape([P]) as tf.Tensor1D, neg as tf.Tensor2D);
    return tf.div(tf.sum(tf.mul(perPosition, tf.tensor1d(weights))), Math.max(1, valid)) as tf.Scalar;
  }

  /** Logits [P, N] of the batch's shared negatives (targets among them pushed to -1e4; log-Q corrected with in-batch negatives). */
  private sharedNegativeLogits(inputs: ModelInputs, p: PendingStep, o: tf.Tensor2D, targets: Int32Array, scaled: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    const P = targets.length;
    const negE = this.scoreSpace(this.itemVectors(inputs.embeddings.negatives, p.negatives));
    let neg: tf.Tensor = scaled(tf.matMul(o, negE as tf.Tensor2D, false, true));
    // a sampled negative equal to the true next item is not a negative; built on the host because a broadcast
    // tf.equal of [P, 1] against [1, N] takes ~200 ms on wasm
    const N = p.negatives.length;
    const columns = new Map<number, number[]>();
    p.negatives.forEach((id, c) => (columns.get(id) ?? columns.set(id, []).get(id)!).push(c));
    let hitMask: Float32Array | null = null;
    for (let i = 0; i < P; i++) {
      const cols = targets[i] !== 0 ? columns.get(targets[i]) : undefined;
      if (!cols) continue;
      hitMask ??= new Float32Array(P * N);
      for (const c of cols) hitMask[i * N + c] = -1e4;
    }
    if (hitMask) neg = tf.add(neg, tf.tensor2d(hitMask, [P, N]));
    if (p.logQNeg) neg = tf.sub(neg, tf.tensor2d(p.logQNeg, [1, p.logQNeg.length]));
    return neg;
  }

  /**
   * Loss of each position [P] from the true next item's logit `pos` [P] and the sampled negatives' logits `neg`
   * [P, N] (negatives equal to the target pushed to -1e4). Default (objective 'softmax'): sampled softmax
   * cross-entropy, log(exp(pos) + sum exp(neg)) - pos; objective 'bce': softplus(-pos) + sum softplus(neg).
   */
  protected positionLoss(pos: tf.Tensor1D, neg: tf.Tensor2D): tf.Tensor1D {
    if (this.objective === 'bce') return tf.add(softplus(tf.neg(pos)), tf.sum(softplus(neg), 1)) as tf.Tensor1D;
    if (fusedOpsEnabled()) return sampledSoftmaxRows(pos, neg);
    const P = pos.shape[0];
    const logits = tf.concat([pos.reshape([P, 1]), neg], 1);
    // log-sum-exp with a gradient-free shift: tf.logSumExp differentiates its max through a broadcast tf.equal
    const shift = detachedMax(logits, 1);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, shift)), 1)), shift.reshape([P]));
    return tf.sub(lse, pos) as tf.Tensor1D;
  }

  // ---------------------------------------------------------------- inference

  private inferenceContext(): ForwardContext {
    return { training: false, rng: new Rng(0), deferred: [] };
  }

  /**
   * Rows per inference chunk: at most `batchSize`, and few enough that one chunk's attention scores
   * [L, rows, heads, L] stay within ATTENTION_BUDGET entries at the declared maxLen (a 4,096-row chunk of
   * 200-item histories would need 16 GB of scores; wasm aborts far earlier).
   */
  private inferenceRows(batchSize: number): number {
    const L = this.history.maxLen;
    return Math.max(1, Math.min(batchSize, Math.floor(ATTENTION_BUDGET / (L * L * this.heads))));
  }

  /** User vectors (score space) of rows `idx` (a tensor owned by the caller). */
  private userVectors(ds: Dataset, idx: Int32Array): tf.Tensor2D {
    const owned: tf.Tensor[] = [];
    try {
      return tf.tidy(() => this.forward(this.inferenceInputs(ds, idx, owned), this.inferenceContext()));
    } finally {
      tf.dispose(owned);
    }
  }

  /** Embeddings of the whole catalogue in score space (see scoreSpace), ids 1..vocabSize-1, as [V-1, D] (caller disposes). */
  private catalogue(): tf.Tensor2D {
    const V = this.history.vocabSize;
    const ids = Int32Array.from({ length: V - 1 }, (_, i) => i + 1);
    const block = this.embeddings.lookupIds('catalogue', this.history.name, ids, [V - 1]);
    return tf.tidy(() => this.scoreSpace(this.itemVectors(block.tensor(), ids)) as tf.Tensor2D);
  }

  /**
   * Score the full catalogue for every row, in chunks of rows of similar length. `visit` receives the chunk's
   * row indices and its scores (cosine / temperature, or dot products) [rows x (V-1)], column c = item id c+1.
   */
  private scoreAll(ds: Dataset, batchSize: number, visit: (idx: Int32Array, scores: Float32Array) => void): void {
    const V = this.history.vocabSize;
    const items = this.catalogue();
    try {
      const chunk = Math.max(1, Math.min(this.inferenceRows(batchSize), Math.floor(CATALOGUE_SCORE_BUDGET / (V - 1))));
      const lengths = sequenceLengths(ds.column(this.history.name));
      for (const idx of lengthSortedChunks(lengths, ds.numRows, chunk)) {
        const scores = readAndDispose(tf.tidy(() => {
          const u = this.userVectors(ds, idx);
          return tf.mul(tf.matMul(u, items, false, true), 1 / this.temperature);
        }));
        visit(idx, scores);
      }
    } finally {
      items.dispose();
    }
  }

  private targetsOf(ds: Dataset): Int32Array {
    const col = ds.columns.get(TARGET_COL);
    if (!col) throw new DataError(`missing column '${this.targetColumn}' (the true next item of each row; see targetColumn)`);
    return col.data as Int32Array;
  }

  /** Leave-one-out ranking metrics over the full catalogue: `hr@k`, `ndcg@k`, `mrr`, and `loss` (full-softmax cross-entropy). */
  protected evaluateBound(ds: Dataset, batchSize: number, opts: NextItemEvalOptions = {}): Record<string, number> {
    const targets = this.targetsOf(ds);
    const acc = new RankingAccumulator(opts.ks ?? [10, 50]);
    const hist = ds.column(this.history.name);
    const V = this.history.vocabSize;
    let ce = 0;
    this.scoreAll(ds, batchSize, (idx, scores) => {
      const W = V - 1;
      idx.forEach((r, i) => {
        const row = scores.subarray(i * W, (i + 1) * W);
        const target = targets[r];
        const st = row[target - 1];
        if (opts.excludeHistory) {
          for (let t = 0; t < hist.width; t++) {
            const id = hist.data[r * hist.width + t];
            if (id !== 0 && id !== target) row[id - 1] = -Infinity;
          }
        }
        let greater = 0;
        let equal = 0;
        let max = -Infinity;
        for (let c = 0; c < W; c++) if (row[c] > max) max = row[c];
        let z = 0;
        for (let c = 0; c < W; c++) {
          const s = row[c];
          z += Math.exp(s - max);
          if (c === target - 1) continue;
          if (s > st) greater++;
          else if (s === st) equal++;
        }
        acc.add(greater, equal);
        ce += max + Math.log(z) - st;
      });
    });
    return { loss: ce / Math.max(1, acc.rows), ...acc.result() };
  }

  /**
   * Leave-one-out evaluation: each row is a history and `targetColumn` its true next item, ranked against the
   * whole catalogue. Returns `hr@k`, `ndcg@k` for each k, `mrr` and `loss`.
   */
  async evaluate(data: DataInput, opts: NextItemEvalOptions = {}): Promise<Record<string, number>> {
    if (!this.isCompiled) throw new Error(`${this.modelName()}: call compile() before evaluate`);
    return this.evaluateBound(this.bindData(data, true), opts.batchSize ?? 4096, opts);
  }

  /** Probability of each row's `targetColumn` item under the full softmax over the catalogue, as `{ next_item }`. */
  async predictTargets(data: DataInput, opts: { batchSize?: number } = {}): Promise<Record<string, Float32Array>> {
    const ds = this.bindData(data, false);
    const targets = this.targetsOf(ds);
    const out = new Float32Array(ds.numRows);
    const W = this.history.vocabSize - 1;
    this.scoreAll(ds, opts.batchSize ?? 4096, (idx, scores) => {
      idx.forEach((r, i) => {
        const row = scores.subarray(i * W, (i + 1) * W);
        let max = -Infinity;
        for (let c = 0; c < W; c++) if (row[c] > max) max = row[c];
        let z = 0;
        for (let c = 0; c < W; c++) z += Math.exp(row[c] - max);
        out[r] = Math.exp(row[targets[r] - 1] - max) / z;
      });
    });
    return { [NEXT_ITEM]: out };
  }

  /** The top `k` items for each row's history (optionally excluding items already in it). */
  async recommend(data: DataInput, opts: { k?: number; excludeHistory?: boolean; batchSize?: number } = {}): Promise<Recommendations> {
    const k = opts.k ?? 10;
    const W = this.history.vocabSize - 1;
    if (!Number.isInteger(k) || k < 1 || k > W) throw new Error(`recommend: k must be an integer in 1..${W} (got ${opts.k})`);
    const ds = this.bindData(data, false);
    const hist = ds.column(this.history.name);
    const items = new Int32Array(ds.numRows * k);
    const scoresOut = new Float32Array(ds.numRows * k);
    this.scoreAll(ds, opts.batchSize ?? 4096, (idx, scores) => {
      if (opts.excludeHistory) {
        idx.forEach((r, i) => {
          for (let t = 0; t < hist.width; t++) {
            const id = hist.data[r * hist.width + t];
            if (id !== 0) scores[i * W + id - 1] = -Infinity;
          }
        });
      }
      const top = tf.tidy(() => tf.topk(tf.tensor2d(scores, [idx.length, W]), k));
      const [vals, ind] = [top.values.dataSync(), top.indices.dataSync()];
      tf.dispose([top.values, top.indices]);
      idx.forEach((r, i) => {
        for (let j = 0; j < k; j++) {
          items[r * k + j] = ind[i * k + j] + 1;
          scoresOut[r * k + j] = vals[i * k + j];
        }
      });
    });
    return { items, scores: scoresOut, k };
  }

  /** User (sequence) vectors [rows x D], L2-normalised for cosine scoring, for serving with an external nearest-neighbour index. */
  async userEmbeddings(data: DataInput, opts: { batchSize?: number } = {}): Promise<Float32Array> {
    const ds = this.bindData(data, false);
    const D = this.dim;
    const out = new Float32Array(ds.numRows * D);
    const lengths = sequenceLengths(ds.column(this.history.name));
    for (const idx of lengthSortedChunks(lengths, ds.numRows, this.inferenceRows(opts.batchSize ?? 1024))) {
      const u = this.userVectors(ds, idx);
      const v = u.dataSync();
      u.dispose();
      idx.forEach((r, i) => out.set(v.subarray(i * D, (i + 1) * D), r * D));
    }
    return out;
  }

  /** Item vectors [(vocabSize-1) x D] of ids 1..vocabSize-1 (row c = item c+1), L2-normalised for cosine scoring. */
  async itemEmbeddings(): Promise<Float32Array> {
    const t = this.catalogue();
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  }
}
