import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig, DataInput } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { SequenceBatch } from '../../basic/layers/attention';
import { HstuEncoder, HstuLayerConfig } from '../../basic/layers/hstu-layer';
import { Dense } from '../../basic/layers/dense';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { EmbeddingBlock } from '../../basic/embedding/embedding-collection';
import { SequenceFeature } from '../../basic/features';
import { metrics } from '../../basic/catalog';
import { models } from '../../basic/model/model-registry';
import { Rng } from '../../basic/random';
import { DataError, Dataset } from '../../basic/dataset/dataset';
import { unitRms } from './common';
import { alignToSequence, lengthBucketedBatches, lengthSortedChunks, rawColumn, sequenceLengths, timeMajorIds } from './batching';
import { trainingDropout } from '../../basic/layers/dropout';

/** HSTURanker settings. */
export interface HSTURankerConfig extends BaseModelConfig {
  /** SequenceFeature of the history's item ids (default 'hist_items'). */
  historyFeature?: string;
  /** SequenceFeature of the action on each history item, ids >= 1 aligned with the items (default 'hist_actions'). */
  actionFeature?: string;
  /** SequenceFeature of the candidate items to score (default 'candidates'); its maxLen bounds the candidates per row. */
  candidateFeature?: string;
  /** Optional column of history timestamps, laid out like the history; enables the temporal bias. */
  timestampColumn?: string;
  /** Optional column with the time of each request (default: the row's last history timestamp). */
  requestTimeColumn?: string;
  /** HSTU layers (default 2). */
  blocks?: number;
  /** Attention heads (default 1). */
  heads?: number;
  /** Dropout (default 0.1). */
  dropout?: number;
  /** Further layer options: attentionDim, linearDim, positionBuckets, maxDistance, timeBuckets. */
  layer?: Omit<HstuLayerConfig, 'heads' | 'dropout'>;
  /** Multi-task head on each candidate's output (default { dims: [64] }); ends in one logit per target. */
  head?: MlpConfig;
  /** Group training rows by token count into batches (default true). */
  lengthBuckets?: boolean;
}

const TIME_COL = '__hist_time';
const REQUEST_COL = '__request_time';
const labelCol = (t: string) => `__labels:${t}`;

interface Layout {
  /** Prefix tokens: F context + 2 x history length. */
  L: number;
  C: number;
  histLen: number;
  lengths: Int32Array;
  candCounts: Int32Array;
}

/**
 * HSTU as a multi-task ranker (Zhai et al., ICML 2024, section 2.2). A request is one sequence:
 *   [context tokens (one per sparse feature, plus one for the dense features)]
 *   [item_1, action_1, item_2, action_2, ..., item_n, action_n]   the history, causal
 *   [candidate_1, ..., candidate_N]                                 each sees context, history and itself only
 * so all N candidates are scored in one forward pass, and each candidate's scores are independent of which other
 * candidates are in the request. A multi-task MLP head maps every candidate's output to one logit per target
 * (e.g. click, like, share), trained with binary cross-entropy on the candidates' per-action labels.
 *
 * Data: one row per request with the context columns, the history items and actions (lists), the candidates
 * (a list) and, for training and evaluation, one label list per target aligned with the candidates.
 */
export class HSTURanker extends BaseModel {
  static readonly modelName = 'HSTURanker';
  readonly dim: number;
  readonly history: SequenceFeature;
  readonly actions: SequenceFeature;
  readonly candidates: SequenceFeature;
  readonly contextNames: string[];
  private readonly timestampColumn: string | null;
  private readonly requestTimeColumn: string | null;
  private readonly dropout: number;
  private readonly lengthBuckets: boolean;
  private readonly denseToken: Dense | null;
  private readonly encoder: HstuEncoder;
  private readonly head: Mlp;

  constructor(config: HSTURankerConfig) {
    super(config);
    const name = this.modelName();
    const seq = (field: string, value: string) => {
      const f = this.sequenceFeatures.find((s) => s.name === value);
      if (!f) throw new Error(`${name}: ${field} '${value}' is not among sequenceFeatures (${this.sequenceFeatures.map((s) => s.name).join(', ') || 'none'})`);
      return f;
    };
    this.history = seq('historyFeature', config.historyFeature ?? 'hist_items');
    this.actions = seq('actionFeature', config.actionFeature ?? 'hist_actions');
    this.candidates = seq('candidateFeature', config.candidateFeature ?? 'candidates');
    if (this.sequenceFeatures.length !== 3) throw new Error(`${name}: sequenceFeatures must be exactly the history, action and candidate features`);
    if (this.actions.maxLen !== this.history.maxLen) throw new Error(`${name}: '${this.actions.name}' must have the history's maxLen ${this.history.maxLen} (got ${this.actions.maxLen})`);
    this.dim = this.history.embeddingDim;
    for (const f of [...this.sparseFeatures, this.actions, this.candidates]) {
      if (f.embeddingDim !== this.dim) throw new Error(`${name}: every embedded feature needs embeddingDim ${this.dim} (the history's); '${f.name}' has ${f.embeddingDim}`);
    }
    for (const t of this.targets) if (t.type !== 'binary') throw new Error(`${name}: target '${t.name}' must be binary (an action label per candidate)`);
    this.contextNames = this.sparseFeatures.map((f) => f.name);
    this.timestampColumn = config.timestampColumn ?? null;
    this.requestTimeColumn = config.requestTimeColumn ?? null;
    this.dropout = config.dropout ?? 0.1;
    this.lengthBuckets = config.lengthBuckets ?? true;
    if (this.contextNames.length) this.requestEmbedding({ key: 'context', kind: 'stack', features: this.contextNames });
    for (const f of [this.history, this.actions, this.candidates]) this.embeddings.tablesOf(f);
    this.denseToken = this.denseDim() > 0 ? this.addChild('dense_token', new Dense(this.denseDim(), this.dim, this.initRng)) : null;
    this.encoder = this.addChild(
      'encoder',
      new HstuEncoder(this.dim, { ...(config.layer ?? {}), blocks: config.blocks ?? 2, heads: config.heads ?? 1, dropout: this.dropout }, this.initRng),
    );
    this.head = this.addChild('head', new Mlp(this.dim, { ...(config.head ?? { dims: [64] }), outputDim: this.targets.length }, this.initRng, `${name} head`));
  }

  /** Number of context tokens per request. */
  get contextTokens(): number {
    return this.contextNames.length + (this.denseToken ? 1 : 0);
  }

  // ---------------------------------------------------------------- data

  /** Bind features; per-candidate labels, timestamps and request times are aligned with their sequences. */
  bindData(data: DataInput, withLabels: boolean): Dataset {
    const ds = super.bindData(data, false);
    const n = ds.numRows;
    const hl = sequenceLengths(ds.column(this.history.name));
    const al = sequenceLengths(ds.column(this.actions.name));
    for (let i = 0; i < n; i++) {
      if (hl[i] !== al[i]) throw new DataError(`row ${i}: '${this.actions.name}' has ${al[i]} actions (ids >= 1) but '${this.history.name}' has ${hl[i]} items`);
    }
    const C = this.candidates.maxLen;
    for (const t of this.targets) {
      if (ds.columns.has(labelCol(t.name))) continue;
      const raw = rawColumn(data, t.name);
      if (raw === undefined || raw === null) {
        if (withLabels) throw new DataError(`missing label column '${t.name}' (one label per candidate)`);
        continue;
      }
      const aligned = alignToSequence(this.candidates.name, rawColumn(data, this.candidates.name)!, t.name, raw, n, C);
      for (let i = 0; i < aligned.length; i++) {
        if (aligned[i] !== 0 && aligned[i] !== 1) throw new DataError(`label '${t.name}' row ${Math.floor(i / C)}: labels must be 0 or 1, got ${aligned[i]}`);
      }
      ds.columns.set(labelCol(t.name), { kind: 'float', data: Float32Array.from(aligned), width: C });
    }
    const group = this.compileOptions?.groupColumn;
    if (group && !ds.columns.has(group)) {
      const raw = rawColumn(data, group);
      if (raw) ds.columns.set(group, { kind: 'int', data: Int32Array.from(raw as ArrayLike<number>), width: 1 });
    }
    // the base training step reads one scalar column per target; the real labels are per candidate (above)
    for (const t of this.targets) if (!ds.columns.has(t.name)) ds.columns.set(t.name, { kind: 'float', data: new Float32Array(n), width: 1 });
    const L = this.history.maxLen;
    if (this.timestampColumn && !ds.columns.has(TIME_COL)) {
      const raw = rawColumn(data, this.timestampColumn);
      if (!raw) throw new DataError(`missing column '${this.timestampColumn}' (timestampColumn)`);
      const aligned = alignToSequence(this.history.name, rawColumn(data, this.history.name)!, this.timestampColumn, raw, n, L);
      const req = this.requestTimeColumn ? rawColumn(data, this.requestTimeColumn) : undefined;
      if (this.requestTimeColumn && !req) throw new DataError(`missing column '${this.requestTimeColumn}' (requestTimeColumn)`);
      // times relative to each row's first history item keep float32 exact enough for log-scale buckets
      const rel = new Float32Array(n * L);
      const reqRel = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const base = aligned[i * L];
        for (let t = 0; t < hl[i]; t++) rel[i * L + t] = aligned[i * L + t] - base;
        reqRel[i] = req ? Number(req[i]) - base : hl[i] > 0 ? rel[i * L + hl[i] - 1] : 0;
        if (!Number.isFinite(reqRel[i])) throw new DataError(`column '${this.requestTimeColumn}' row ${i}: expected a finite time`);
      }
      ds.columns.set(TIME_COL, { kind: 'float', data: rel, width: L });
      ds.columns.set(REQUEST_COL, { kind: 'float', data: reqRel, width: 1 });
    }
    return ds;
  }

  private tokenCounts(data: Dataset): Int32Array {
    const hl = sequenceLengths(data.column(this.history.name));
    const cl = sequenceLengths(data.column(this.candidates.name));
    return Int32Array.from(hl, (h, i) => 2 * h + cl[i]);
  }

  /** Training batches of requests with similar token counts (history and candidates), unless lengthBuckets is false. */
  protected trainBatches(data: Dataset, batchSize: number, opts: { shuffle: boolean; rng: Rng; dropLast?: boolean }): Iterable<Int32Array> {
    if (!this.lengthBuckets) return super.trainBatches(data, batchSize, opts);
    return lengthBucketedBatches(this.tokenCounts(data), batchSize, opts);
  }

  private layout(data: Dataset, indices: Int32Array): Layout {
    const hl = sequenceLengths(data.column(this.history.name));
    const cl = sequenceLengths(data.column(this.candidates.name));
    const F = this.contextTokens;
    let histLen = 0;
    let C = 1;
    for (const r of indices) {
      histLen = Math.max(histLen, hl[r]);
      C = Math.max(C, cl[r]);
    }
    const L = F + 2 * histLen;
    if (L === 0) throw new Error(`${this.modelName()}: a request needs at least one context feature or history item`);
    return { L, C, histLen, lengths: Int32Array.from(indices, (r) => F + 2 * hl[r]), candCounts: Int32Array.from(indices, (r) => cl[r]) };
  }

  private sequenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    const B = indices.length;
    const { histLen, C } = this.layout(data, indices);
    const out: EmbeddingBlock[] = [];
    if (histLen > 0) {
      out.push(this.embeddings.lookupIds('hist_items', this.history.name, timeMajorIds(data.column(this.history.name), indices, histLen), [histLen, B]));
      out.push(this.embeddings.lookupIds('hist_actions', this.actions.name, timeMajorIds(data.column(this.actions.name), indices, histLen), [histLen, B]));
    }
    out.push(this.embeddings.lookupIds('candidates', this.candidates.name, timeMajorIds(data.column(this.candidates.name), indices, C), [C, B]));
    return out;
  }

  protected extraBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    return this.sequenceBlocks(data, indices);
  }

  protected inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    return [...super.inferenceBlocks(data, indices), ...this.sequenceBlocks(data, indices)];
  }

  private sequenceBatch(data: Dataset, indices: Int32Array, lay: Layout): SequenceBatch {
    const tcol = data.columns.get(TIME_COL);
    let timestamps: Float64Array | null = null;
    let targetTimes: Float64Array | null = null;
    if (tcol) {
      const F = this.contextTokens;
      const W = tcol.width;
      const req = data.column(REQUEST_COL).data;
      timestamps = new Float64Array(indices.length * lay.L);
      targetTimes = new Float64Array(indices.length);
      indices.forEach((r, b) => {
        const row = b * lay.L;
        // context tokens describe the request, so they carry its time; item and action tokens share the item's
        for (let f = 0; f < F; f++) timestamps![row + f] = req[r];
        for (let t = 0; t < Math.min(lay.histLen, W); t++) timestamps![row + F + 2 * t] = timestamps![row + F + 2 * t + 1] = tcol.data[r * W + t];
        targetTimes![b] = req[r];
      });
    }
    return new SequenceBatch({ length: lay.L, lengths: lay.lengths, targets: lay.C, timestamps, targetTimes });
  }

  /** Candidate logits, time-major [C x B, T]. */
  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const lay = this.layout(inputs.data, inputs.indices);
    const B = inputs.batchSize;
    const D = this.dim;
    const parts: tf.Tensor[] = [];
    if (this.contextNames.length) parts.push(tf.transpose(inputs.embeddings.context, [1, 0, 2]));
    if (this.denseToken) parts.push(this.denseToken.apply(inputs.dense!).reshape([1, B, D]));
    if (lay.histLen > 0) {
      // interleave item_t and action_t: [histLen, 2, B, D] -> [2 histLen, B, D]
      parts.push(tf.stack([inputs.embeddings.hist_items, inputs.embeddings.hist_actions], 1).reshape([2 * lay.histLen, B, D]));
    }
    parts.push(inputs.embeddings.candidates);
    let x: tf.Tensor = unitRms(parts.length === 1 ? parts[0] : tf.concat(parts, 0));
    x = trainingDropout(x, this.dropout, ctx);
    const out = this.encoder.apply(x as tf.Tensor3D, this.sequenceBatch(inputs.data, inputs.indices, lay), ctx);
    const cand = tf.slice(out, [lay.L, 0, 0], [lay.C, B, D]).reshape([lay.C * B, D]) as tf.Tensor2D;
    return this.head.apply(cand, ctx);
  }

  /** Per-candidate labels [C x B, T] (time-major) and the mask of real candidates [C x B]. */
  private candidateLabels(data: Dataset, indices: Int32Array, lay: Layout): { labels: Float32Array; mask: Float32Array; count: number } {
    const B = indices.length;
    const T = this.targets.length;
    const labels = new Float32Array(lay.C * B * T);
    const mask = new Float32Array(lay.C * B);
    let count = 0;
    this.targets.forEach((t, k) => {
      const col = data.column(labelCol(t.name));
      indices.forEach((r, b) => {
        for (let c = 0; c < lay.candCounts[b]; c++) labels[(c * B + b) * T + k] = col.data[r * col.width + c];
      });
    });
    indices.forEach((_, b) => {
      for (let c = 0; c < lay.candCounts[b]; c++) mask[c * B + b] = 1;
      count += lay.candCounts[b];
    });
    return { labels, mask, count };
  }

  /** Masked binary cross-entropy per target on the real candidates, weighted by compile's lossWeights. */
  protected trainingLoss(inputs: ModelInputs, _labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    const lay = this.layout(inputs.data, inputs.indices);
    const logits = this.forward(inputs, ctx);
    const { labels, mask, count } = this.candidateLabels(inputs.data, inputs.indices, lay);
    const T = this.targets.length;
    const y = tf.tensor2d(labels, [lay.C * inputs.batchSize, T]);
    // log(1 + e^-|x|) + max(x, 0) - x y: stable for any logit
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const weights = this.internals().compiled?.lossWeights ?? this.targets.map(() => 1);
    const w = tf.mul(tf.tensor2d(mask, [mask.length, 1]), tf.tensor2d(weights, [1, T]));
    return tf.div(tf.sum(tf.mul(bce, w)), Math.max(1, count)) as tf.Scalar;
  }

  // ---------------------------------------------------------------- inference

  /** Probabilities of rows' candidates per target: visit(rows, probs time-major [C x rows, T], layout). */
  private scoreRows(ds: Dataset, batchSize: number, visit: (idx: Int32Array, probs: Float32Array, lay: Layout) => void): void {
    const ctx: ForwardContext = { training: false, rng: new Rng(0), deferred: [] };
    for (const idx of lengthSortedChunks(this.tokenCounts(ds), ds.numRows, batchSize)) {
      const owned: tf.Tensor[] = [];
      try {
        const lay = this.layout(ds, idx);
        const probs = readAndDispose(tf.tidy(() => tf.sigmoid(this.forward(this.inferenceInputs(ds, idx, owned), ctx))));
        visit(idx, probs, lay);
      } finally {
        tf.dispose(owned);
      }
    }
  }

  /**
   * Probabilities per target, row-major [rows x candidateFeature.maxLen]: entry (r, c) scores candidate c of row r
   * (0 beyond the row's candidates).
   */
  async predictTargets(data: DataInput, opts: { batchSize?: number } = {}): Promise<Record<string, Float32Array>> {
    const ds = this.bindData(data, false);
    const Cmax = this.candidates.maxLen;
    const T = this.targets.length;
    const out = this.targets.map(() => new Float32Array(ds.numRows * Cmax));
    this.scoreRows(ds, opts.batchSize ?? 256, (idx, probs, lay) => {
      const B = idx.length;
      idx.forEach((r, b) => {
        for (let c = 0; c < lay.candCounts[b]; c++) for (let k = 0; k < T; k++) out[k][r * Cmax + c] = probs[(c * B + b) * T + k];
      });
    });
    return Object.fromEntries(this.targets.map((t, k) => [t.name, out[k]]));
  }

  /** Per-target metrics over all real candidates (suffixed _<target> with several targets) and `loss` (mean BCE). */
  protected evaluateBound(ds: Dataset, batchSize: number): Record<string, number> {
    const names = this.internals().compiled?.metricNames ?? ['auc', 'logloss'];
    const T = this.targets.length;
    const ys: number[][] = this.targets.map(() => []);
    const ps: number[][] = this.targets.map(() => []);
    const groups: number[] = [];
    const groupCol = this.compileOptions?.groupColumn ? ds.columns.get(this.compileOptions.groupColumn) : undefined;
    this.scoreRows(ds, Math.min(batchSize, 256), (idx, probs, lay) => {
      const B = idx.length;
      this.targets.forEach((t, k) => {
        const col = ds.column(labelCol(t.name));
        idx.forEach((r, b) => {
          for (let c = 0; c < lay.candCounts[b]; c++) {
            ys[k].push(col.data[r * col.width + c]);
            ps[k].push(probs[(c * B + b) * T + k]);
            if (k === 0) groups.push(groupCol ? groupCol.data[r] : r);
          }
        });
      });
    });
    const report: Record<string, number> = {};
    let loss = 0;
    this.targets.forEach((t, k) => {
      const y = Float32Array.from(ys[k]);
      const p = Float32Array.from(ps[k]);
      let l = 0;
      for (let i = 0; i < y.length; i++) {
        const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
        l -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
      }
      loss += (l / Math.max(1, y.length)) * (this.internals().compiled?.lossWeights[k] ?? 1);
      for (const m of names) {
        let v: number;
        try {
          v = metrics.resolve(m).fn(y, p, Int32Array.from(groups), { threshold: this.internals().compiled?.options.threshold });
        } catch {
          v = NaN; // e.g. AUC when a target has a single class in the data
        }
        report[T === 1 ? m : `${m}_${t.name}`] = v;
      }
    });
    return { loss, ...report };
  }
}

models.register(HSTURanker.modelName, HSTURanker);
