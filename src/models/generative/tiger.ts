import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import { checkedConfig } from '../../basic/model/option-checks';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig, CompileOptions, DataInput } from '../../basic/model/types';
import { ForwardContext, init } from '../../basic/layers/module';
import { detachedMax } from '../../basic/layers/attention';
import { Dense } from '../../basic/layers/dense';
import { PositionalEmbedding } from '../../basic/layers/positional';
import { TransformerBlock } from '../../basic/layers/self-attention';
import { TransformerDecoderBlock } from '../../basic/layers/transformer-decoder-block';
import { SequenceFeature } from '../../basic/features';
import { Rng } from '../../basic/random';
import { DataError, Dataset } from '../../basic/dataset/dataset';
import { models } from '../../basic/model/model-registry';
import { lengthSortedChunks, rawColumn, sequenceLengths } from './batching';
import { checkSemanticIds, PrefixTrie, SemanticIds, TrieNode } from './semantic-ids';
import type { Recommendations } from './sequential-recommender';
import { trainingDropout } from '../../basic/layers/dropout';

/** TIGER settings. */
export interface TIGERConfig extends Omit<BaseModelConfig, 'targets'> {
  /** Name of the item-history SequenceFeature (default: the only sequence feature); its ids are the items. */
  historyFeature?: string;
  /** Column with the true next item of each row (training: optional, see fit; evaluate: required). Default 'target_item'. */
  targetColumn?: string;
  /** Codes per position of the items' semantic ids (`RQVAE.semanticIds(...).codebookSizes`). */
  codebookSizes: number[];
  /** Transformer width (default: the history feature's embeddingDim). */
  dim?: number;
  /** Encoder blocks over the history's code tokens (default 2). */
  encoderBlocks?: number;
  /** Decoder blocks generating the next item's codes (default 2). */
  decoderBlocks?: number;
  /** Attention heads (default 2). */
  heads?: number;
  /** Feed-forward width (default 2 x dim). */
  ffnDim?: number;
  /** Dropout on attention weights and residual branches while training (default 0.1). */
  dropout?: number;
  /** Beams kept while decoding (default 20; at least the k asked for). */
  beamSize?: number;
  /**
   * Where the history sits in the encoder's positions. 'end' (default): right-aligned, positions counted from the
   * newest item, so the most recent item always has the same positions. 'start': oldest item at position 0 (how
   * models saved before this option were trained; their saved configs load as 'start').
   */
  historyAlignment?: 'end' | 'start';
}

const NEXT_ITEM = 'next_item';
/** Encoder history alignment of a saved config that predates `historyAlignment`. */
const LEGACY_ALIGNMENT = 'start';
const TARGET_COL = '__tiger_target';
const PAD = 0;
const BOS = 1;

/**
 * TIGER (Rajput et al., NeurIPS 2023): generative retrieval over semantic ids. Each item is a tuple of codes
 * (c_1..c_P) from an RQ-VAE (plus a deduplicating code); the history becomes the token sequence
 * c(i_1)_1..c(i_1)_P, c(i_2)_1, ... read by a bidirectional transformer encoder, and a causal decoder with
 * cross-attention generates the next item's tuple code by code:
 *   p(i | history) = prod_p softmax(W_p h_p)[c(i)_p],   h_p = Decoder(BOS, c(i)_1..c(i)_{p-1}; Encoder(history))
 * trained with teacher forcing (cross-entropy at every code position). `recommend` decodes by beam search over a
 * prefix trie of the valid tuples, so every result is a catalogue item.
 *
 * One data row is a history (oldest first). When the data has `targetColumn`, that item is the row's target; without
 * it each training step cuts every row at a random position (the items before it are the history, the item at it the
 * target), so whole user sequences train all their positions over the epochs.
 */
export class TIGER extends BaseModel {
  static readonly modelName = 'TIGER';
  static readonly legacyConfigDefaults = { historyAlignment: LEGACY_ALIGNMENT };
  readonly history: SequenceFeature;
  readonly dim: number;
  readonly codebookSizes: number[];
  readonly beamSize: number;
  readonly targetColumn: string;
  private readonly positions: number;
  private readonly tokenOffsets: number[];
  private readonly numTokens: number;
  private readonly dropout: number;
  private readonly tokenTable: tf.Variable;
  /** Semantic id of every item id (row = id, row 0 padding) as a non-trainable weight, so save/load carries it. */
  private readonly codeTable: tf.Variable;
  private readonly encoderPositions: PositionalEmbedding;
  private readonly decoderPositions: PositionalEmbedding;
  private readonly encoder: TransformerBlock[] = [];
  private readonly decoder: TransformerDecoderBlock[] = [];
  private readonly heads: Dense[] = [];
  /** See {@link TIGERConfig.historyAlignment}. */
  readonly historyAlignment: 'end' | 'start';
  private codes: Int32Array | null = null;
  private trie: PrefixTrie | null = null;

  constructor(config: TIGERConfig) {
    const targets = [{ name: NEXT_ITEM, type: 'regression' as const }];
    const own = JSON.stringify((config as { targets?: unknown }).targets) === JSON.stringify(targets) ? { ...config, targets: undefined } : config;
    super(checkedConfig(new.target.modelName, own, { ...config, targets }));
    const seqs = this.sequenceFeatures;
    const histName = config.historyFeature ?? (seqs.length === 1 ? seqs[0].name : undefined);
    if (!histName) throw new Error(`TIGER: set historyFeature to the item-history SequenceFeature (got ${seqs.length} sequence features)`);
    const hist = seqs.find((s) => s.name === histName);
    if (!hist) throw new Error(`TIGER: historyFeature '${histName}' is not among sequenceFeatures (${seqs.map((s) => s.name).join(', ') || 'none'})`);
    if (this.sparseFeatures.length || this.denseFeatures.length || seqs.length > 1) throw new Error(`TIGER: reads only the item history '${histName}'`);
    if (hist.hashing) throw new Error(`TIGER: the history feature '${histName}' must not be hashed: every item id needs its semantic id`);
    this.history = hist;
    const sizes = config.codebookSizes;
    if (!Array.isArray(sizes) || sizes.length < 1 || !sizes.every((k) => Number.isInteger(k) && k >= 1)) {
      throw new Error(`TIGER: codebookSizes must be a non-empty list of positive integers, the semantic ids' codes per position (got ${JSON.stringify(sizes)}); take it from RQVAE.semanticIds(...).codebookSizes`);
    }
    this.codebookSizes = [...sizes];
    this.positions = sizes.length;
    this.dim = config.dim ?? hist.embeddingDim;
    this.targetColumn = config.targetColumn ?? 'target_item';
    this.beamSize = config.beamSize ?? 20;
    this.historyAlignment = config.historyAlignment ?? 'end';
    if (this.historyAlignment !== 'end' && this.historyAlignment !== 'start') throw new Error(`TIGER: historyAlignment must be 'end' or 'start' (got ${JSON.stringify(config.historyAlignment)})`);
    this.dropout = config.dropout ?? 0.1;
    const heads = config.heads ?? 2;
    const encoderBlocks = config.encoderBlocks ?? 2;
    const decoderBlocks = config.decoderBlocks ?? 2;
    for (const [field, v] of [
      ['dim', this.dim],
      ['encoderBlocks', encoderBlocks],
      ['decoderBlocks', decoderBlocks],
      ['beamSize', this.beamSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`TIGER: ${field} must be a positive integer (got ${v})`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`TIGER: dropout must be in [0, 1) (got ${config.dropout})`);
    this.tokenOffsets = [];
    let next = 2; // 0 padding, 1 beginning of the decoded tuple
    for (const k of sizes) {
      this.tokenOffsets.push(next);
      next += k;
    }
    this.numTokens = next;
    const rng = this.initRng;
    this.tokenTable = this.addParam('tokens', [this.numTokens, this.dim], init.normal(rng, [this.numTokens, this.dim], 1), { regularize: false });
    this.codeTable = this.addParam('semanticIds', [hist.vocabSize, this.positions], new Float32Array(hist.vocabSize * this.positions), { trainable: false, regularize: false });
    this.encoderPositions = this.addChild('encoderPositions', new PositionalEmbedding(hist.maxLen * this.positions, this.dim, rng));
    this.decoderPositions = this.addChild('decoderPositions', new PositionalEmbedding(this.positions, this.dim, rng));
    const block = { heads, ffnDim: config.ffnDim ?? 2 * this.dim, dropout: this.dropout, residualDropout: this.dropout };
    for (let i = 0; i < encoderBlocks; i++) this.encoder.push(this.addChild(`encoder${i}`, new TransformerBlock(this.dim, block, rng, 'TIGER')));
    for (let i = 0; i < decoderBlocks; i++) this.decoder.push(this.addChild(`decoder${i}`, new TransformerDecoderBlock(this.dim, block, rng, 'TIGER')));
    sizes.forEach((k, p) => this.heads.push(this.addChild(`head${p}`, new Dense(this.dim, k, rng))));
  }

  /** Set the items' semantic ids (row r = item id r + 1, for every id 1..vocabSize-1 of the history feature). */
  setSemanticIds(ids: SemanticIds): this {
    checkSemanticIds(ids, 'TIGER.setSemanticIds');
    const V = this.history.vocabSize;
    if (ids.numItems !== V - 1) throw new Error(`TIGER.setSemanticIds: ${ids.numItems} items, but '${this.history.name}' has ids 1..${V - 1}; give every item id a semantic id`);
    if (ids.codebookSizes.join(',') !== this.codebookSizes.join(',')) throw new Error(`TIGER.setSemanticIds: codebookSizes [${ids.codebookSizes}] differ from the model's [${this.codebookSizes}]`);
    const table = new Float32Array(V * this.positions);
    table.set(ids.codes, this.positions);
    this.codeTable.assign(tf.tensor2d(table, [V, this.positions]));
    this.codes = null;
    this.trie = null;
    return this;
  }

  /** The semantic ids in use (read from the saved weights after load). */
  semanticIds(): SemanticIds {
    const codes = this.itemCodes();
    return { codes: codes.slice(this.positions), numItems: this.history.vocabSize - 1, codebookSizes: [...this.codebookSizes] };
  }

  /** Code table [vocabSize x P] on the host; throws until semantic ids are set. */
  private itemCodes(): Int32Array {
    if (this.codes) return this.codes;
    const codes = Int32Array.from(this.codeTable.dataSync());
    const ids = { codes: codes.slice(this.positions), numItems: this.history.vocabSize - 1, codebookSizes: this.codebookSizes };
    try {
      checkSemanticIds(ids, 'TIGER');
    } catch (e) {
      throw new Error(`TIGER: no valid semantic ids set (${(e as Error).message}); call setSemanticIds(rqvae.semanticIds(itemEmbeddings, numItems)) before fit / recommend`);
    }
    this.codes = codes;
    return codes;
  }

  /** The saved config records the alignment in force, so that a later change of the default cannot alter a saved model. */
  configForSave(): unknown {
    return { ...(super.configForSave() as object), historyAlignment: this.historyAlignment };
  }

  private prefixTrie(): PrefixTrie {
    this.trie ??= new PrefixTrie(this.semanticIds());
    return this.trie;
  }

  compile(options: CompileOptions = {}): this {
    return super.compile({ ...options, metrics: options.metrics ?? [] });
  }

  bindData(data: DataInput, withLabels: boolean): Dataset {
    void withLabels;
    const ds = super.bindData(data, false);
    const n = ds.numRows;
    if (!ds.columns.has(TARGET_COL)) {
      const raw = rawColumn(data, this.targetColumn);
      if (raw) {
        const V = this.history.vocabSize;
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = raw[i];
          if (!Number.isInteger(v) || (v as number) < 1 || (v as number) >= V) throw new DataError(`column '${this.targetColumn}' row ${i}: next item ${JSON.stringify(v)} is not an id in 1..${V - 1}`);
          ids[i] = v as number;
        }
        ds.columns.set(TARGET_COL, { kind: 'int', data: ids, width: 1 });
      }
    }
    if (!ds.columns.has(NEXT_ITEM)) ds.columns.set(NEXT_ITEM, { kind: 'float', data: new Float32Array(n), width: 1 });
    return ds;
  }

  /**
   * Histories and targets of rows `indices`: with a target column, the row's items and its target; otherwise (training
   * only, `rng` given) each row cut at a random position. Rows without a target get target 0 (weight 0).
   */
  private examples(data: Dataset, indices: Int32Array, rng: Rng | null): { items: Int32Array[]; targets: Int32Array } {
    const col = data.column(this.history.name);
    const lengths = sequenceLengths(col);
    const target = data.columns.get(TARGET_COL);
    const items: Int32Array[] = [];
    const targets = new Int32Array(indices.length);
    indices.forEach((r, b) => {
      const row = (col.data as Int32Array).subarray(r * col.width, r * col.width + lengths[r]);
      if (target) {
        items.push(row);
        targets[b] = target.data[r];
      } else if (rng && row.length >= 2) {
        const cut = 1 + rng.int(row.length - 1);
        items.push(row.subarray(0, cut));
        targets[b] = row[cut];
      } else items.push(row);
    });
    return { items, targets };
  }

  /** Token embeddings of ids [n] as [n, D]: a product with one-hots, whose gradient is a matrix product on wasm. */
  private embedTokens(ids: Int32Array): tf.Tensor2D {
    return tf.matMul(tf.oneHot(tf.tensor1d(ids, 'int32'), this.numTokens).toFloat(), this.tokenTable as tf.Tensor2D) as tf.Tensor2D;
  }

  /** Encoder memory [T, B, D] over the histories' code tokens and its key mask [T, B]. */
  private encode(items: Int32Array[], ctx: ForwardContext): { memory: tf.Tensor3D; mask: tf.Tensor2D } {
    const codes = this.itemCodes();
    const P = this.positions;
    const B = items.length;
    const T = Math.max(1, ...items.map((h) => h.length)) * P;
    const tokens = new Int32Array(T * B);
    const mask = new Float32Array(T * B);
    const fromEnd = this.historyAlignment === 'end';
    items.forEach((h, b) => {
      const start = fromEnd ? T / P - h.length : 0;
      for (let t = 0; t < h.length; t++) {
        for (let p = 0; p < P; p++) {
          tokens[((start + t) * P + p) * B + b] = this.tokenOffsets[p] + codes[h[t] * P + p];
          mask[((start + t) * P + p) * B + b] = 1;
        }
      }
      // an empty history attends to one padding token (its output is not used)
      if (h.length === 0) mask[(fromEnd ? T - 1 : 0) * B + b] = 1;
    });
    // right-aligned, the positions run backwards from the last token, so they do not depend on the batch's longest row
    const positions = this.encoderPositions.first(T);
    let x: tf.Tensor = tf.add(this.embedTokens(tokens).reshape([T, B, this.dim]), fromEnd ? tf.reverse(positions, 0) : positions);
    x = trainingDropout(x, this.dropout, ctx);
    const keyMask = tf.tensor2d(mask, [T, B]);
    let h = x as tf.Tensor3D;
    for (const block of this.encoder) h = block.apply(h, ctx, { keyMask });
    return { memory: h, mask: keyMask };
  }

  /** Decoder outputs [S, B, D] for input tokens [S, B] (BOS then codes as tokens). */
  private decode(tokens: Int32Array, S: number, memory: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor3D {
    const B = memory.shape[1];
    let y: tf.Tensor = tf.add(this.embedTokens(tokens).reshape([S, B, this.dim]), this.decoderPositions.first(S));
    y = trainingDropout(y, this.dropout, ctx);
    let h = y as tf.Tensor3D;
    for (const block of this.decoder) h = block.apply(h, memory, ctx, mask);
    return h;
  }

  /** log p(code | prefix) at position p for decoder outputs [B, D], shaped [B, K_p]. */
  private logProbs(p: number, h: tf.Tensor2D): tf.Tensor2D {
    const logits = this.heads[p].apply(h);
    const shifted = tf.sub(logits, detachedMax(logits, 1));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true))) as tf.Tensor2D;
  }

  /** Teacher-forced log-likelihood of the target tuples, [B] (0 for rows without a target). */
  private targetLogLikelihood(items: Int32Array[], targets: Int32Array, ctx: ForwardContext): tf.Tensor1D {
    const { memory, mask } = this.encode(items, ctx);
    return this.tupleLogLikelihood(memory, mask, targets, ctx);
  }

  /** log p(tuple of targets[b] | memory of row b), [B] (0 where targets[b] = 0). */
  private tupleLogLikelihood(memory: tf.Tensor3D, mask: tf.Tensor2D, targets: Int32Array, ctx: ForwardContext): tf.Tensor1D {
    const codes = this.itemCodes();
    const P = this.positions;
    const B = targets.length;
    const input = new Int32Array(P * B);
    const onehots: Float32Array[] = this.codebookSizes.map((k) => new Float32Array(B * k));
    for (let b = 0; b < B; b++) {
      input[b] = BOS;
      const t = targets[b];
      if (t === 0) continue;
      for (let p = 0; p < P; p++) {
        if (p + 1 < P) input[(p + 1) * B + b] = this.tokenOffsets[p] + codes[t * P + p];
        onehots[p][b * this.codebookSizes[p] + codes[t * P + p]] = 1;
      }
    }
    const h = this.decode(input, P, memory, mask, ctx);
    let ll: tf.Tensor = tf.zeros([B]);
    for (let p = 0; p < P; p++) {
      const lp = this.logProbs(p, tf.slice(h, [p, 0, 0], [1, B, this.dim]).reshape([B, this.dim]) as tf.Tensor2D);
      ll = tf.add(ll, tf.sum(tf.mul(lp, tf.tensor2d(onehots[p], [B, this.codebookSizes[p]])), 1));
    }
    return ll as tf.Tensor1D;
  }

  /**
   * log p(item | history) of given candidates: `candidates` is row-major [rows x C] item ids for the rows of `data`
   * (e.g. the target and sampled negatives of the SASRec paper's protocol). Returns [rows x C].
   */
  async scoreItems(data: DataInput, candidates: Int32Array, opts: { batchSize?: number } = {}): Promise<Float32Array> {
    const ds = this.bindData(data, false);
    const n = ds.numRows;
    const C = candidates.length / n;
    if (!Number.isInteger(C) || C < 1) throw new Error(`TIGER.scoreItems: candidates has ${candidates.length} ids, not a multiple of the ${n} rows`);
    const V = this.history.vocabSize;
    for (const id of candidates) if (!Number.isInteger(id) || id < 1 || id >= V) throw new Error(`TIGER.scoreItems: candidate ${id} is not an item id in 1..${V - 1}`);
    const ctx: ForwardContext = { training: false, rng: new Rng(0), deferred: [] };
    const col = ds.column(this.history.name);
    const lengths = sequenceLengths(col);
    const out = new Float32Array(n * C);
    const chunk = Math.max(1, Math.floor((opts.batchSize ?? 1024) / C));
    for (const idx of lengthSortedChunks(lengths, n, chunk)) {
      const hist = Array.from(idx, (r) => (col.data as Int32Array).subarray(r * col.width, r * col.width + lengths[r]));
      const rows = new Int32Array(idx.length * C);
      const targets = new Int32Array(idx.length * C);
      idx.forEach((r, b) => {
        for (let c = 0; c < C; c++) {
          rows[b * C + c] = b;
          targets[b * C + c] = candidates[r * C + c];
        }
      });
      const ll = readAndDispose(tf.tidy(() => {
        const { memory, mask } = this.encode(hist, ctx);
        const rowIdx = tf.tensor1d(rows, 'int32');
        return this.tupleLogLikelihood(tf.gather(memory, rowIdx, 1) as tf.Tensor3D, tf.gather(mask, rowIdx, 1) as tf.Tensor2D, targets, ctx);
      }));
      idx.forEach((r, b) => out.set(ll.subarray(b * C, (b + 1) * C), r * C));
    }
    return out;
  }

  /** Log-likelihood of each row's target item under the model, [B, 1] (0 without a target column). */
  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const { items, targets } = this.examples(inputs.data, inputs.indices, null);
    return this.targetLogLikelihood(items, targets, ctx).reshape([-1, 1]) as tf.Tensor2D;
  }

  /** Mean cross-entropy per code position over the rows that have a target. */
  protected trainingLoss(inputs: ModelInputs, _labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    const { items, targets } = this.examples(inputs.data, inputs.indices, ctx.rng);
    let rows = 0;
    for (const t of targets) if (t !== 0) rows++;
    const ll = this.targetLogLikelihood(items, targets, ctx);
    return tf.div(tf.neg(tf.sum(ll)), Math.max(1, rows) * this.positions) as tf.Scalar;
  }

  // ---------------------------------------------------------------- decoding

  /**
   * The top `k` items for each row's history, by beam search constrained to the prefix trie of valid semantic ids
   * (`beamSize` beams, at least k): every returned id is a catalogue item, each at most once per row. Scores are the
   * items' log-probabilities.
   */
  async recommend(data: DataInput, opts: { k?: number; beamSize?: number; batchSize?: number } = {}): Promise<Recommendations> {
    const k = opts.k ?? 10;
    const V = this.history.vocabSize;
    if (!Number.isInteger(k) || k < 1 || k > V - 1) throw new Error(`TIGER.recommend: k must be an integer in 1..${V - 1} (got ${opts.k})`);
    const beam = Math.max(k, opts.beamSize ?? this.beamSize);
    if (!Number.isInteger(beam)) throw new Error(`TIGER.recommend: beamSize must be a positive integer (got ${opts.beamSize})`);
    const ds = this.bindData(data, false);
    const col = ds.column(this.history.name);
    const lengths = sequenceLengths(col);
    const items = new Int32Array(ds.numRows * k);
    const scores = new Float32Array(ds.numRows * k);
    const chunk = Math.max(1, Math.floor((opts.batchSize ?? 256) / Math.max(1, Math.floor(beam / 8))));
    for (const idx of lengthSortedChunks(lengths, ds.numRows, chunk)) {
      const hist = Array.from(idx, (r) => (col.data as Int32Array).subarray(r * col.width, r * col.width + lengths[r]));
      const found = this.beamSearch(hist, k, beam);
      idx.forEach((r, b) => {
        found[b].forEach((c, j) => {
          items[r * k + j] = c.item;
          scores[r * k + j] = c.score;
        });
      });
    }
    return { items, scores, k };
  }

  private beamSearch(hist: Int32Array[], k: number, beam: number): Array<Array<{ item: number; score: number }>> {
    const ctx: ForwardContext = { training: false, rng: new Rng(0), deferred: [] };
    const trie = this.prefixTrie();
    const P = this.positions;
    const B = hist.length;
    interface Beam {
      row: number;
      tokens: number[];
      node: TrieNode;
      score: number;
    }
    let beams: Beam[] = hist.map((_, row) => ({ row, tokens: [], node: trie.root, score: 0 }));
    const { memory, mask } = tf.tidy(() => this.encode(hist, ctx));
    try {
      for (let p = 0; p < P; p++) {
        const R = beams.length;
        const input = new Int32Array((p + 1) * R);
        beams.forEach((bm, i) => {
          input[i] = BOS;
          bm.tokens.forEach((tok, s) => (input[(s + 1) * R + i] = tok));
        });
        const rows = Int32Array.from(beams, (bm) => bm.row);
        const lp = readAndDispose(tf.tidy(() => {
          const rowIdx = tf.tensor1d(rows, 'int32');
          const mem = tf.gather(memory, rowIdx, 1) as tf.Tensor3D;
          const m = tf.gather(mask, rowIdx, 1) as tf.Tensor2D;
          const h = this.decode(input, p + 1, mem, m, ctx);
          return this.logProbs(p, tf.slice(h, [p, 0, 0], [1, R, this.dim]).reshape([R, this.dim]) as tf.Tensor2D);
        }));
        const K = this.codebookSizes[p];
        const perRow: Beam[][] = Array.from({ length: B }, () => []);
        beams.forEach((bm, i) => {
          // only codes that continue a valid tuple are expanded: decoding cannot leave the catalogue
          for (const [code, child] of bm.node.children) {
            perRow[bm.row].push({ row: bm.row, tokens: [...bm.tokens, this.tokenOffsets[p] + code], node: child, score: bm.score + lp[i * K + code] });
          }
        });
        const keep = p + 1 === P ? k : beam;
        beams = perRow.flatMap((c) => c.sort((a, b) => b.score - a.score).slice(0, keep));
      }
    } finally {
      tf.dispose([memory, mask]);
    }
    const out: Array<Array<{ item: number; score: number }>> = Array.from({ length: B }, () => []);
    for (const bm of beams) out[bm.row].push({ item: bm.node.item, score: bm.score });
    return out;
  }

  /**
   * Leave-one-out evaluation by generation: each row's `targetColumn` item against the beam search's top max(ks)
   * items. Returns `hr@k` and `ndcg@k` (a target outside the beam counts as a miss).
   */
  async evaluate(data: DataInput, opts: { ks?: number[]; beamSize?: number; batchSize?: number } = {}): Promise<Record<string, number>> {
    const ds = this.bindData(data, true);
    const target = ds.columns.get(TARGET_COL);
    if (!target) throw new DataError(`missing column '${this.targetColumn}' (the true next item of each row; see targetColumn)`);
    const ks = opts.ks ?? [10];
    const K = Math.max(...ks);
    const recs = await this.recommend(ds, { k: K, beamSize: opts.beamSize, batchSize: opts.batchSize });
    const out: Record<string, number> = {};
    for (const k of ks) {
      let hr = 0;
      let ndcg = 0;
      for (let r = 0; r < ds.numRows; r++) {
        for (let j = 0; j < k; j++) {
          if (recs.items[r * K + j] === target.data[r]) {
            hr++;
            ndcg += 1 / Math.log2(j + 2);
            break;
          }
        }
      }
      out[`hr@${k}`] = hr / ds.numRows;
      out[`ndcg@${k}`] = ndcg / ds.numRows;
    }
    return out;
  }
}

models.register(TIGER.modelName, TIGER);
