import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup';
import { EmbeddedFeatureType, Feature } from '../features';
import { Dataset } from '../dataset/dataset';
import { hashBucket } from './hashing';
import { IdAccumulator } from './id-accumulator';
import { SparseOptimizerConfig } from './sparse-optimizer';
import { SparseTable } from './sparse-table';

/**
 * Which embeddings a model needs per batch. `variant: 'linear'` reads a parallel width-1 table per feature
 * (first-order weights, zero-initialised) instead of the feature's main table; `variant: 'fieldAware'` reads a
 * parallel table of `width` floats per row (e.g. FFM's one vector per field), initialised like the main table.
 */
export type EmbeddingRequest =
  /** One row per sparse feature, stacked to [B, F, D] (all features must share D). */
  | { key: string; kind: 'stack'; features: string[]; variant?: TableVariant; width?: number }
  /** A sequence feature as [B, L, D] plus a float mask [B, L] (1 = real item). */
  | { key: string; kind: 'sequence'; feature: string; variant?: TableVariant; width?: number };

export type TableVariant = 'main' | 'linear' | 'fieldAware';

/** One hashed view of a feature onto one table. */
interface Slot {
  table: SparseTable;
  /** Table row per position (0 = padding, contributes zeros and receives no update). */
  ids: Int32Array;
}

/**
 * Host-side embedding rows for one request and one batch: P positions x F fields x D floats, each field being
 * the sum of its slots' rows (one slot, or several for multi-hashed features). Kept so the gradient w.r.t.
 * `values` can be routed back to the rows it came from.
 */
export class EmbeddingBlock {
  readonly values: Float32Array;
  constructor(
    readonly key: string,
    readonly shape: number[],
    readonly positions: number,
    readonly fields: Slot[][],
    readonly dim: number,
    /** Float mask [B, L] for sequence requests. */
    readonly mask?: Float32Array,
  ) {
    const F = fields.length;
    this.values = new Float32Array(positions * F * dim);
    for (let f = 0; f < F; f++) {
      for (const slot of fields[f]) {
        const { table, ids } = slot;
        for (let p = 0; p < positions; p++) {
          const id = ids[p];
          if (id !== 0) table.addRowTo(id, this.values, (p * F + f) * dim);
        }
      }
    }
  }

  /** The rows as a tensor (a new tensor each call; caller owns it). */
  tensor(): tf.Tensor {
    return tf.tensor(this.values, this.shape, 'float32');
  }
}

/** Owns every embedding table of a model, builds per-batch blocks and applies row-sparse updates. */
export class EmbeddingCollection {
  readonly tables = new Map<string, SparseTable>();
  private readonly features = new Map<string, EmbeddedFeatureType>();
  private readonly l2ByTable = new Map<string, number>();
  private readonly accumulators = new Map<string, IdAccumulator>();
  /** Tables of features declared with trainable: false: gradients never reach them. */
  private readonly frozen = new Set<string>();
  private optimizer: SparseOptimizerConfig = { kind: 'sgd', lr: 0 };
  /** Default L2 for tables whose feature does not set one. */
  embeddingL2 = 0;
  /** L1 penalty of every table (a subgradient term, or FTRL's proximal lambda1). */
  embeddingL1 = 0;

  constructor(features: readonly Feature[], readonly seed: number) {
    for (const f of features) if (f.kind !== 'dense') this.features.set(f.name, f);
  }

  /**
   * Register a feature the model derives itself rather than reads from a column (e.g. Wide&Deep's hashed cross
   * features), so that `tablesOf` and `lookupIds` serve it like a declared one.
   */
  addDerivedFeature(feature: EmbeddedFeatureType): void {
    if (this.features.has(feature.name)) throw new Error(`derived feature '${feature.name}' clashes with a feature of the same name; rename that feature`);
    this.features.set(feature.name, feature);
  }

  /** The declared feature; throws naming it when it is not an embedded feature of this model. */
  feature(name: string): EmbeddedFeatureType {
    const f = this.features.get(name);
    if (!f) throw new Error(`'${name}' is not a sparse or sequence feature of this model (known: ${[...this.features.keys()].join(', ')})`);
    return f;
  }

  private tableSeed(name: string): number {
    let h = this.seed >>> 0;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  }

  /**
   * The k tables (k = numHashes) a feature reads for a variant, created on first use; `width` is the row width of a
   * 'fieldAware' table (needed when it is created).
   */
  tablesOf(feature: EmbeddedFeatureType, variant: TableVariant = 'main', width?: number): SparseTable[] {
    const out: SparseTable[] = [];
    for (let h = 0; h < feature.numHashes; h++) {
      const base = feature.numHashes > 1 ? `${feature.tableName}#${h}` : feature.tableName;
      const name = variant === 'main' ? base : `${base}@${variant}`;
      let table = this.tables.get(name);
      if (!table) {
        const linear = variant === 'linear';
        if (variant === 'fieldAware' && !(Number.isInteger(width) && width! >= 1)) {
          throw new Error(`table '${name}': a 'fieldAware' table needs a positive integer width (got ${width})`);
        }
        table = new SparseTable(
          {
            name,
            rows: feature.vocabSize,
            dim: linear ? 1 : variant === 'fieldAware' ? width! : feature.embeddingDim,
            initializer: linear ? { type: 'zeros' } : { ...feature.initializer },
            seed: this.tableSeed(name),
          },
          this.optimizer,
        );
        this.tables.set(name, table);
        this.l2ByTable.set(name, feature.l2 ?? NaN);
        if (variant === 'main' && feature.trainable === false) this.frozen.add(name);
      }
      out.push(table);
    }
    return out;
  }

  /** Whether a table is frozen (its feature was declared with trainable: false). */
  isFrozen(tableName: string): boolean {
    return this.frozen.has(tableName);
  }

  /**
   * Start a feature's embedding table from given vectors, e.g. pretrained item embeddings: `values` holds
   * vocabSize x embeddingDim floats (row r = id r; row 0, the padding row, is ignored and stays zero) or
   * (vocabSize - 1) x embeddingDim floats for ids 1..vocabSize-1. Call it after constructing the model (before or
   * after compile); declare the feature with trainable: false to keep the vectors fixed. Node users can read a file
   * with `readEmbeddingFile`.
   */
  setPretrained(featureName: string, values: Float32Array): void {
    const feature = this.feature(featureName);
    if (feature.numHashes > 1) throw new Error(`setPretrained: '${featureName}' uses ${feature.numHashes} hash tables; pretrained vectors need a single table (numHashes 1)`);
    const [table] = this.tablesOf(feature);
    const D = table.dim;
    const full = table.rows * D;
    const withoutPadding = (table.rows - 1) * D;
    if (!(values instanceof Float32Array)) throw new Error(`setPretrained: values for '${featureName}' must be a Float32Array`);
    if (values.length !== full && values.length !== withoutPadding) {
      throw new Error(
        `setPretrained: '${featureName}' needs ${full} floats (${table.rows} rows x ${D}) or ${withoutPadding} (ids 1..${table.rows - 1}), got ${values.length}; check vocabSize and embeddingDim against the file`,
      );
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`setPretrained: value ${i} for '${featureName}' is ${values[i]}`);
    }
    table.setWeights(values.length === full ? values.subarray(D) : values);
  }

  /** Use this optimizer for every table (existing and future). */
  setOptimizer(config: SparseOptimizerConfig): void {
    this.optimizer = config;
    for (const t of this.tables.values()) t.setOptimizer(config);
  }

  private slots(feature: EmbeddedFeatureType, raw: Int32Array, variant: TableVariant): Slot[] {
    return this.tablesOf(feature, variant).map((table, h) => {
      if (!feature.hashing) return { table, ids: raw };
      const ids = new Int32Array(raw.length);
      for (let i = 0; i < raw.length; i++) ids[i] = hashBucket(raw[i], h, table.rows);
      return { table, ids };
    });
  }

  /** Build the block of one request for the rows `indices` of `data`. */
  lookup(request: EmbeddingRequest, data: Dataset, indices: Int32Array): EmbeddingBlock {
    const B = indices.length;
    const variant = request.variant ?? 'main';
    if (request.kind === 'stack') {
      const fields = request.features.map((name) => {
        const feature = this.feature(name);
        const col = data.column(name).data as Int32Array;
        const raw = new Int32Array(B);
        for (let i = 0; i < B; i++) raw[i] = col[indices[i]];
        return this.slots(feature, raw, variant);
      });
      const dims = new Set(fields.map((slots) => slots[0].table.dim));
      if (dims.size > 1) throw new Error(`embedding request '${request.key}': stacked features must share embeddingDim (got ${[...dims].join(', ')})`);
      const D = fields[0][0].table.dim;
      return new EmbeddingBlock(request.key, [B, fields.length, D], B, fields, D);
    }
    const feature = this.feature(request.feature);
    if (feature.kind !== 'sequence') throw new Error(`embedding request '${request.key}': '${feature.name}' is not a SequenceFeature`);
    const col = data.column(feature.name);
    const L = col.width;
    const raw = new Int32Array(B * L);
    const mask = new Float32Array(B * L);
    const src = col.data as Int32Array;
    for (let i = 0; i < B; i++) {
      const off = indices[i] * L;
      for (let j = 0; j < L; j++) {
        const v = src[off + j];
        raw[i * L + j] = v;
        mask[i * L + j] = v !== 0 ? 1 : 0;
      }
    }
    const slots = this.slots(feature, raw, variant);
    const D = slots[0].table.dim;
    return new EmbeddingBlock(request.key, [B, L, D], B * L, [slots], D, mask);
  }

  /**
   * Build a block for arbitrary ids of a feature's table (e.g. sampled negative items), shaped `[...shape, D]`
   * where `shape` multiplies to `ids.length`. Raw ids are hashed like the feature's column would be.
   */
  lookupIds(key: string, featureName: string, ids: Int32Array, shape: number[], variant: TableVariant = 'main'): EmbeddingBlock {
    const feature = this.feature(featureName);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== ids.length) throw new Error(`lookupIds '${key}': shape [${shape}] holds ${size} ids, got ${ids.length}`);
    if (!feature.hashing) {
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= feature.vocabSize) throw new Error(`lookupIds '${key}': id ${ids[i]} out of range for '${featureName}' (vocabSize ${feature.vocabSize})`);
      }
    }
    const slots = this.slots(feature, ids, variant);
    const D = slots[0].table.dim;
    return new EmbeddingBlock(key, [...shape, D], ids.length, [slots], D);
  }

  /**
   * Route gradients of several blocks (same step) back to their tables: duplicates are summed per table,
   * then each touched table takes exactly one optimizer step.
   */
  applyGradients(blocks: readonly EmbeddingBlock[], grads: readonly Float32Array[]): void {
    this.applyAccumulated(this.accumulateGradients(blocks, grads));
  }

  /**
   * First half of `applyGradients`: sum the gradients of several blocks per touched row of each table. The sums
   * can be read and rescaled (gradient clipping) with `accumulatedGradients` before `applyAccumulated`.
   */
  accumulateGradients(blocks: readonly EmbeddingBlock[], grads: readonly Float32Array[]): SparseTable[] {
    const touched: SparseTable[] = [];
    const entries = new Map<SparseTable, number>();
    for (const block of blocks) {
      for (const field of block.fields) for (const s of field) entries.set(s.table, (entries.get(s.table) ?? 0) + block.positions);
    }
    for (const [table, count] of entries) {
      let acc = this.accumulators.get(table.name);
      if (!acc || acc.dim !== table.dim) {
        acc = new IdAccumulator(table.dim);
        this.accumulators.set(table.name, acc);
      }
      acc.reset(count);
      touched.push(table);
    }
    blocks.forEach((block, b) => {
      const g = grads[b];
      const F = block.fields.length;
      const D = block.dim;
      if (g.length !== block.values.length) throw new Error(`gradient for block '${block.key}' has ${g.length} values, expected ${block.values.length}`);
      for (let f = 0; f < F; f++) {
        for (const { table, ids } of block.fields[f]) {
          const acc = this.accumulators.get(table.name)!;
          for (let p = 0; p < block.positions; p++) {
            const id = ids[p];
            if (id !== 0) acc.add(id, g, (p * F + f) * D);
          }
        }
      }
    });
    // frozen tables take no step (and so count in no clipping norm)
    return touched.filter((t) => !this.frozen.has(t.name));
  }

  /** The summed per-row gradients of `tables` from the last `accumulateGradients` (views, writable: count x dim each). */
  accumulatedGradients(tables: readonly SparseTable[]): Float32Array[] {
    return tables.map((t) => {
      const acc = this.accumulators.get(t.name)!;
      return acc.grads.subarray(0, acc.count * t.dim);
    });
  }

  /** Second half of `applyGradients`: one optimizer step per touched table with its accumulated row gradients. */
  applyAccumulated(tables: readonly SparseTable[]): void {
    for (const table of tables) {
      const acc = this.accumulators.get(table.name)!;
      if (acc.count === 0) continue;
      const own = this.l2ByTable.get(table.name);
      table.applyGradients(acc.ids, acc.grads, acc.count, own === undefined || Number.isNaN(own) ? this.embeddingL2 : own, this.embeddingL1);
    }
  }

  /** Set the learning rate of every table's optimizer (learning-rate schedules). */
  setLearningRate(lr: number): void {
    this.optimizer = { ...this.optimizer, lr };
    for (const t of this.tables.values()) t.setLearningRate(lr);
  }

  /** Number of float weights (excluding optimizer state) in all tables. */
  parameterCount(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rows * t.dim;
    return n;
  }
}
