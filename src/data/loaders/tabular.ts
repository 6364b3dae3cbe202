import type { DataProcessorConfig, DenseColumn, LabelColumn, SparseColumn } from '../processor';
import { RawSource } from '../raw';
import { RawTable } from './common';
import { randomSplit, DataSplit, temporalSplit } from './views';

/** Columns of a tabular (one row per impression or person) dataset by role. */
export interface TabularColumns {
  /** Label columns (0/1 after the loader's mapping). */
  labels: string[];
  sparse: string[];
  dense: string[];
  /** Numeric time column when the data has one (enables temporalSplit). */
  time?: string;
}

/**
 * A tabular dataset loaded from its published files (Criteo, Avazu, Ali-CCP, census-income): raw cells in `table`,
 * the columns by role, the splits, and a DataProcessor config matching common practice for the dataset.
 */
export class TabularDataset {
  constructor(
    readonly name: string,
    readonly table: RawTable,
    readonly columns: TabularColumns,
    private readonly defaults: { dense?: Partial<DenseColumn>; sparse?: Partial<SparseColumn> } = {},
    /** Published test rows when the dataset ships them separately (census-income.test, Ali-CCP test file). */
    readonly testTable: RawTable | null = null,
  ) {}

  /** Number of rows in `table`. */
  get numRows(): number {
    return this.table.numRows;
  }

  /** Random split of `table`, deterministic for a seed. */
  randomSplit(seed = 2024, fractions: [number, number, number] = [0.8, 0.1, 0.1]): DataSplit {
    return randomSplit(this.table, { seed, fractions });
  }

  /** DataSplit by the time column (Avazu's hour): earliest rows train, latest test. */
  temporalSplit(fractions: [number, number, number] = [0.8, 0.1, 0.1]): DataSplit {
    if (!this.columns.time) throw new Error(`${this.name} has no time column; use randomSplit`);
    return temporalSplit(this.table, { time: this.columns.time, fractions });
  }

  /** A DataProcessor config: every dense and sparse column with the dataset's usual settings, and its labels. */
  processorConfig(opts: { embeddingDim?: number; labels?: Array<string | LabelColumn> } = {}): DataProcessorConfig {
    return {
      dense: this.columns.dense.map((name) => ({ scaler: 'standard' as const, ...this.defaults.dense, name })),
      sparse: this.columns.sparse.map((name) => ({ ...this.defaults.sparse, name })),
      labels: opts.labels ?? this.columns.labels,
      embeddingDim: opts.embeddingDim,
    };
  }
}

/** A source that adds computed columns to every chunk of another (e.g. hour of day from Avazu's hour). */
export function deriveColumns(src: RawSource, derived: Record<string, { from: string[]; fn: (...values: unknown[]) => unknown }>): RawSource {
  return {
    description: src.description,
    locate: src.locate ? (row: number) => src.locate!(row) : undefined,
    close: src.close ? () => src.close!() : undefined,
    async columnNames() {
      return [...(await src.columnNames()), ...Object.keys(derived)];
    },
    async *chunks(opts = {}) {
      const names = opts.columns ?? (await this.columnNames());
      const wanted = new Set(names);
      const base = new Set(names.filter((n) => !(n in derived)));
      for (const [n, d] of Object.entries(derived)) if (wanted.has(n)) d.from.forEach((f) => base.add(f));
      for await (const chunk of src.chunks({ ...opts, columns: [...base] })) {
        const columns = { ...chunk.columns };
        for (const [n, d] of Object.entries(derived)) {
          if (!wanted.has(n)) continue;
          const inputs = d.from.map((f) => chunk.columns[f]);
          const out = new Array(chunk.numRows);
          for (let i = 0; i < chunk.numRows; i++) out[i] = d.fn(...inputs.map((c) => c[i]));
          columns[n] = out;
        }
        yield { ...chunk, columns };
      }
    },
  };
}
