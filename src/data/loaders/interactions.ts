import type { DataProcessorConfig } from '../processor';
import { RawTable } from './common';
import {
  ctrLabels,
  InteractionSchema,
  leaveOneOut,
  nextItemExamples,
  NextItemOptions,
  NextItemSplit,
  randomSplit,
  sampleNegatives,
  DataSplit,
  temporalSplit,
  userSequences,
  UserSequences,
  withHistory,
} from './views';

/** Columns of an interaction dataset by role. */
export interface InteractionColumns extends InteractionSchema {
  /** Categorical columns (user and item ids included). */
  sparse: string[];
  /** Numeric side columns. */
  dense: string[];
  /** Columns describing the item (kept with the item when negatives are sampled). */
  itemColumns: string[];
  /** Multi-valued columns as '|'-joined strings (e.g. genres). */
  multiValued: string[];
}

/**
 * A user-item interaction log loaded from a public dataset's files (MovieLens, Amazon), with side columns joined
 * in, and the standard task views. `table` holds raw cells; feed a view to a DataProcessor to encode it.
 */
export class InteractionDataset {
  constructor(
    /** Dataset name for messages. */
    readonly name: string,
    /** One row per interaction, time as seconds since the epoch. */
    readonly table: RawTable,
    readonly columns: InteractionColumns,
  ) {}

  /** Number of interactions. */
  get numRows(): number {
    return this.table.numRows;
  }

  /** Explicit-feedback CTR: label 1 when rating >= threshold (default 4). */
  ctr(opts: { threshold?: number; label?: string } = {}): RawTable {
    if (!this.columns.rating) throw new Error(`${this.name} has no rating column; use implicitCtr() to sample negatives`);
    return ctrLabels(this.table, { from: this.columns.rating, threshold: opts.threshold ?? 4, label: opts.label });
  }

  /** Implicit-feedback CTR: every interaction positive plus `ratio` sampled unseen items per row (deterministic for a seed). */
  implicitCtr(opts: { ratio?: number; seed?: number; label?: string } = {}): RawTable {
    return sampleNegatives(this.table, { user: this.columns.user, item: this.columns.item, itemColumns: this.columns.itemColumns, ...opts });
  }

  /** Per-user interactions in time order. */
  sequences(): UserSequences {
    return userSequences(this.table, this.columns);
  }

  /** The table plus a history column of each row's earlier items (for DIN / DIEN-style models). */
  withHistory(opts: { maxLen?: number; column?: string } = {}): RawTable {
    return withHistory(this.table, { ...this.columns, ...opts });
  }

  /** Next-item examples (user, hist, hist_time, target, target_time) with leave-one-out valid / test. */
  nextItem(opts: NextItemOptions = {}): NextItemSplit {
    return nextItemExamples(this.sequences(), opts);
  }

  /** Per user: last interaction to test, second-to-last to valid. Apply to a view's table with the same schema. */
  leaveOneOut(table: RawTable = this.table): DataSplit {
    return leaveOneOut(table, this.columns);
  }

  /** Global split by time. */
  temporalSplit(fractions: [number, number, number] = [0.8, 0.1, 0.1], table: RawTable = this.table): DataSplit {
    return temporalSplit(table, { time: this.columns.time, fractions });
  }

  /** Random split, deterministic for a seed. */
  randomSplit(seed = 2024, fractions: [number, number, number] = [0.8, 0.1, 0.1], table: RawTable = this.table): DataSplit {
    return randomSplit(table, { seed, fractions });
  }

  /** A DataProcessor config for the CTR view: sparse ids and side columns, scaled numeric columns, label 'label'. */
  processorConfig(opts: { embeddingDim?: number; historyMaxLen?: number } = {}): DataProcessorConfig {
    const c = this.columns;
    return {
      sparse: c.sparse.map((name) => ({ name })),
      dense: c.dense.map((name) => ({ name, scaler: 'standard' as const })),
      sequence: [
        ...c.multiValued.map((name) => ({ name, maxLen: 8, separator: '|' })),
        ...(opts.historyMaxLen ? [{ name: 'hist', maxLen: opts.historyMaxLen, shareVocabWith: c.item }] : []),
      ],
      labels: ['label'],
      embeddingDim: opts.embeddingDim,
    };
  }
}
