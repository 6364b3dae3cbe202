import { suggestionText } from '../basic/options-schema';
import { DenseFeature, SequenceFeature, SequencePooling, SparseFeature } from '../basic/features';
import type { ModelStore } from '../basic/store';
import type { TargetSpec } from '../basic/model/types';
import { ColumnarInput, DataError } from '../basic/dataset/dataset';
import {
  DataSourceInput,
  refineRowError,
  RowError,
  DEFAULT_NA_VALUES,
  hashString,
  keyOf,
  NumericStats,
  parseNumber,
  RawChunk,
  RawColumns,
  RawRows,
  RawTable,
  isRawTable,
  RawSource,
  showValue,
  toRawSource,
} from './raw';
import type { BatchSource } from '../basic/dataset/stream';
import { concatColumns } from '../basic/dataset/stream';

/** How a dense column is scaled: (x-mean)/std, (x-min)/(max-min), log(1+max(x,0)), or left as is. */
export type ScalerKind = 'standard' | 'minmax' | 'log' | 'none';

/** A numeric input column. */
export interface DenseColumn {
  name: string;
  /** Default 'standard'. */
  scaler?: ScalerKind;
  /** Raw value used for missing cells: a number, or 'mean' (default) for the fitted mean. */
  fill?: number | 'mean';
}

/** A categorical input column, encoded to ids 1..n (0 is padding / unknown). */
export interface SparseColumn {
  name: string;
  /** Keep values seen at least this many times during fit (default 1). */
  minFreq?: number;
  /** Keep at most this many of the most frequent values (default: all). */
  maxSize?: number;
  /** What unseen or dropped values become: 'zero' (default) id 0, or 'hash' one of `hashBuckets` extra ids. */
  unknown?: 'zero' | 'hash';
  /** Number of hash buckets for 'hash' unknowns or 'hash' encoding (default 1000). */
  hashBuckets?: number;
  /** 'vocab' (default) learns a vocabulary; 'hash' learns nothing and hashes every value into `hashBuckets` ids. */
  encoding?: 'vocab' | 'hash';
  /**
   * Encode with another sparse or sequence column's vocabulary and share its embedding table (e.g. a history of
   * item ids next to the candidate item id). Counts of both columns are pooled during fit; vocabulary options are
   * the owner's.
   */
  shareVocabWith?: string;
  /** Embedding width declared on the feature (default: the processor's embeddingDim). */
  embeddingDim?: number;
}

/** A variable-length list of categorical values per row (e.g. a behaviour history, oldest first). */
export interface SequenceColumn extends SparseColumn {
  /** Rows are padded with 0 or truncated to this length, keeping the most recent (last) items. */
  maxLen: number;
  /** 'split' (default): a string of values joined by `separator`, or a list; 'json': a JSON list such as "[12, 5]". */
  format?: 'split' | 'json';
  /** Separator of 'split' strings (default '|'). Blank tokens are ignored. */
  separator?: string;
  /** 'int' rejects tokens that are not integers (catches a wrong separator early); default 'string'. */
  itemType?: 'string' | 'int';
  /** Pooling declared on the feature (default 'mean'). */
  pooling?: SequencePooling;
}

/** A label column. */
export interface LabelColumn {
  name: string;
  /** 'binary' (default) requires 0/1 after mapping; 'regression' any finite number. */
  type?: 'binary' | 'regression';
  /** Binary label = 1 when the raw number is >= threshold (e.g. rating >= 4). */
  threshold?: number;
  /** Binary label = 1 when the raw value (as text, trimmed) is one of these, else 0 (e.g. ['50000+.']). */
  positive?: Array<string | number>;
}

/** Column declarations of a {@link DataProcessor}. */
export interface DataProcessorConfig {
  dense?: Array<string | DenseColumn>;
  sparse?: Array<string | SparseColumn>;
  sequence?: SequenceColumn[];
  labels?: Array<string | LabelColumn>;
  /** Embedding width of every declared feature unless a column sets its own (default 16). */
  embeddingDim?: number;
  /** Strings read as missing in dense and label columns (default {@link DEFAULT_NA_VALUES}). */
  naValues?: string[];
}

/** Options of {@link DataProcessor.fit}. */
export interface ProcessorFitOptions {
  /** Rows per chunk when scanning (default 8192). */
  chunkRows?: number;
  /** Let a source that can aggregate in place (DuckDB) compute counts and statistics in SQL (default true). */
  pushdown?: boolean;
  /** Called with the rows read so far after each scanned chunk (once, with the row count, under pushdown). */
  onProgress?: (rows: number) => void;
}

/** Whether transform includes labels: 'auto' (default) those present; 'require' all (error if absent); 'skip' none. */
export type LabelMode = 'auto' | 'require' | 'skip';

/** Options of {@link DataProcessor.transform} and its streaming forms. */
export interface TransformOptions {
  labels?: LabelMode;
  /** Raw columns copied to the output unchanged (e.g. a user id kept for per-user metrics). */
  keep?: string[];
}

/** Options of {@link DataProcessor.stream} and {@link DataProcessor.batchSource}. */
export interface StreamOptions extends TransformOptions {
  chunkRows?: number;
  /** Called with the rows encoded so far after each chunk (`stream`, `transformAll`). */
  onProgress?: (rows: number) => void;
}

/** One encoded chunk of a stream. */
export interface EncodedChunk {
  data: ColumnarInput;
  numRows: number;
  /** Index of the chunk's first row in the source. */
  offset: number;
}

/** Saved form of a processor (see {@link DataProcessor.toJSON}). */
export interface ProcessorState {
  format: 'nextrec-ts/data-processor';
  version: 1;
  config: NormalizedConfig;
  fitted: boolean;
  numRows: number;
  vocabularies: Record<string, string[]>;
  dense: Record<string, NumericStats>;
}

/** A dense column with its defaults resolved (saved form). */
export interface NormDense {
  name: string;
  scaler: ScalerKind;
  fill: number | 'mean';
}

/** A sparse or sequence column with its defaults and vocabulary sharing resolved (saved form). */
export interface NormEmbedded {
  name: string;
  kind: 'sparse' | 'sequence';
  /** Owner of the vocabulary (the column itself unless it shares). */
  group: string;
  minFreq: number;
  maxSize: number | null;
  unknown: 'zero' | 'hash';
  hashBuckets: number;
  encoding: 'vocab' | 'hash';
  embeddingDim: number;
  // sequence only
  maxLen?: number;
  format?: 'split' | 'json';
  separator?: string;
  itemType?: 'string' | 'int';
  pooling?: SequencePooling;
}

/** A label column with its defaults resolved (saved form). */
export interface NormLabel {
  name: string;
  type: 'binary' | 'regression';
  threshold: number | null;
  positive: string[] | null;
}

/** A processor's column declarations with every default resolved: what `toJSON` saves. */
export interface NormalizedConfig {
  dense: NormDense[];
  embedded: NormEmbedded[];
  labels: NormLabel[];
  naValues: string[];
}

const SHARED_OPTION_KEYS = ['minFreq', 'maxSize', 'unknown', 'hashBuckets', 'encoding', 'embeddingDim'] as const;

function configError(msg: string): never {
  throw new DataError(`DataProcessor: ${msg}`);
}

function positiveInt(v: unknown, what: string, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) configError(`${what} must be an integer >= ${min} (got ${showValue(v)})`);
  return v as number;
}

/** Keys each part of a {@link DataProcessorConfig} may have (one entry per option: strict checking reads these). */
const SPARSE_COLUMN_KEYS = ['name', 'minFreq', 'maxSize', 'unknown', 'hashBuckets', 'encoding', 'shareVocabWith', 'embeddingDim'] as const;
const PROCESSOR_KEYS: Record<string, readonly string[]> = {
  '': ['dense', 'sparse', 'sequence', 'labels', 'embeddingDim', 'naValues'],
  dense: ['name', 'scaler', 'fill'],
  sparse: SPARSE_COLUMN_KEYS,
  sequence: [...SPARSE_COLUMN_KEYS, 'maxLen', 'format', 'separator', 'itemType', 'pooling'],
  labels: ['name', 'type', 'threshold', 'positive'],
};

function rejectUnknownProcessorKeys(cfg: DataProcessorConfig): void {
  const check = (obj: object, section: string, where: string): void => {
    const valid = PROCESSOR_KEYS[section];
    for (const [key, v] of Object.entries(obj)) {
      if (v === undefined || valid.includes(key)) continue;
      configError(`${where}: unknown option '${key}'; ${suggestionText(key, valid)}`);
    }
  };
  check(cfg, '', 'processor config');
  for (const section of ['dense', 'sparse', 'sequence', 'labels'] as const) {
    const cols = cfg[section];
    if (cols !== undefined && !Array.isArray(cols)) configError(`${section} must be a list of columns (got ${showValue(cols)})`);
    (cols ?? []).forEach((c, i) => {
      if (c && typeof c === 'object') check(c, section, `${section}[${i}] ('${(c as { name?: string }).name ?? '?'}')`);
    });
  }
}

function normalize(cfg: DataProcessorConfig): NormalizedConfig {
  if (cfg == null || typeof cfg !== 'object') configError('config must be an object with dense / sparse / sequence / labels');
  rejectUnknownProcessorKeys(cfg);
  const defaultDim = positiveInt(cfg.embeddingDim ?? 16, 'embeddingDim');
  const seen = new Set<string>();
  const claim = (name: unknown, where: string): string => {
    if (typeof name !== 'string' || !name) configError(`${where}: every column needs a non-empty name (got ${showValue(name)})`);
    if (seen.has(name)) configError(`column '${name}' is declared twice`);
    seen.add(name);
    return name;
  };
  const dense: NormDense[] = (cfg.dense ?? []).map((d) => {
    const c: DenseColumn = typeof d === 'string' ? { name: d } : d;
    const name = claim(c.name, 'dense');
    const scaler = c.scaler ?? 'standard';
    if (!['standard', 'minmax', 'log', 'none'].includes(scaler)) configError(`dense '${name}': scaler must be standard, minmax, log or none (got ${showValue(scaler)})`);
    const fill = c.fill ?? 'mean';
    if (fill !== 'mean' && !(typeof fill === 'number' && Number.isFinite(fill))) configError(`dense '${name}': fill must be a finite number or 'mean' (got ${showValue(fill)})`);
    return { name, scaler, fill };
  });
  const embedded: NormEmbedded[] = [];
  const raw: Array<{ c: SparseColumn; kind: 'sparse' | 'sequence' }> = [
    ...(cfg.sparse ?? []).map((s) => ({ c: typeof s === 'string' ? { name: s } : s, kind: 'sparse' as const })),
    ...(cfg.sequence ?? []).map((s) => ({ c: s as SparseColumn, kind: 'sequence' as const })),
  ];
  for (const { c, kind } of raw) {
    const name = claim(c.name, kind);
    const encoding = c.encoding ?? 'vocab';
    if (encoding !== 'vocab' && encoding !== 'hash') configError(`${kind} '${name}': encoding must be 'vocab' or 'hash' (got ${showValue(encoding)})`);
    const unknown = c.unknown ?? 'zero';
    if (unknown !== 'zero' && unknown !== 'hash') configError(`${kind} '${name}': unknown must be 'zero' or 'hash' (got ${showValue(unknown)})`);
    const e: NormEmbedded = {
      name,
      kind,
      group: name,
      minFreq: positiveInt(c.minFreq ?? 1, `${kind} '${name}': minFreq`),
      maxSize: c.maxSize === undefined ? null : positiveInt(c.maxSize, `${kind} '${name}': maxSize`),
      unknown,
      hashBuckets: positiveInt(c.hashBuckets ?? 1000, `${kind} '${name}': hashBuckets`),
      encoding,
      embeddingDim: positiveInt(c.embeddingDim ?? defaultDim, `${kind} '${name}': embeddingDim`),
    };
    if (c.shareVocabWith !== undefined) {
      const set = SHARED_OPTION_KEYS.filter((k) => c[k] !== undefined);
      if (set.length) configError(`${kind} '${name}' shares the vocabulary of '${c.shareVocabWith}', so it cannot set ${set.join(', ')} (set them on '${c.shareVocabWith}')`);
      e.group = c.shareVocabWith;
    }
    if (kind === 'sequence') {
      const s = c as SequenceColumn;
      e.maxLen = positiveInt(s.maxLen, `sequence '${name}': maxLen`);
      e.format = s.format ?? 'split';
      if (e.format !== 'split' && e.format !== 'json') configError(`sequence '${name}': format must be 'split' or 'json' (got ${showValue(s.format)})`);
      e.separator = s.separator ?? '|';
      if (typeof e.separator !== 'string' || e.separator === '') configError(`sequence '${name}': separator must be a non-empty string`);
      e.itemType = s.itemType ?? 'string';
      e.pooling = s.pooling ?? 'mean';
    }
    embedded.push(e);
  }
  // resolve sharing to the root owner so chains (a -> b -> c) share one table
  const declared = new Map(embedded.map((e) => [e.name, e.group]));
  const byName = new Map(embedded.map((e) => [e.name, e]));
  for (const e of embedded) {
    const path = [e.name];
    let owner = e.name;
    while (declared.get(owner) !== owner) {
      const next = declared.get(owner)!;
      if (!declared.has(next)) configError(`'${owner}' shares the vocabulary of '${next}', which is not a declared sparse or sequence column`);
      if (path.includes(next)) configError(`vocabulary sharing forms a cycle: ${[...path, next].join(' -> ')}`);
      path.push(next);
      owner = next;
    }
    if (owner !== e.name) {
      const o = byName.get(owner)!;
      Object.assign(e, { group: owner, minFreq: o.minFreq, maxSize: o.maxSize, unknown: o.unknown, hashBuckets: o.hashBuckets, encoding: o.encoding, embeddingDim: o.embeddingDim });
    }
  }
  const labels: NormLabel[] = (cfg.labels ?? []).map((l) => {
    const c: LabelColumn = typeof l === 'string' ? { name: l } : l;
    const name = claim(c.name, 'labels');
    const type = c.type ?? 'binary';
    if (type !== 'binary' && type !== 'regression') configError(`label '${name}': type must be 'binary' or 'regression' (got ${showValue(type)})`);
    if (c.threshold !== undefined && c.positive !== undefined) configError(`label '${name}': set threshold or positive, not both`);
    if ((c.threshold !== undefined || c.positive !== undefined) && type !== 'binary') configError(`label '${name}': threshold and positive make binary labels; type must be 'binary'`);
    if (c.threshold !== undefined && !Number.isFinite(c.threshold)) configError(`label '${name}': threshold must be a finite number`);
    return { name, type, threshold: c.threshold ?? null, positive: c.positive ? c.positive.map((p) => String(p).trim()) : null };
  });
  if (dense.length + embedded.length === 0) configError('declare at least one dense, sparse or sequence column');
  return { dense, embedded, labels, naValues: [...(cfg.naValues ?? DEFAULT_NA_VALUES)] };
}

/** Welford accumulator: numerically stable mean and variance in one pass. */
class RunningStats {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  push(x: number): void {
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
  result(): NumericStats {
    if (this.count === 0) return { count: 0, mean: 0, std: 0, min: 0, max: 0 };
    return { count: this.count, mean: this.mean, std: Math.sqrt(this.m2 / this.count), min: this.min, max: this.max };
  }
}

/** Vocabulary order: most frequent first, ties by key, so every reader and every run assigns the same ids. */
function rankVocabulary(counts: Iterable<[string, number]>, minFreq: number, maxSize: number | null): string[] {
  const kept: Array<[string, number]> = [];
  for (const [k, c] of counts) if (c >= minFreq) kept.push([k, c]);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const keys = kept.map(([k]) => k);
  return maxSize !== null && keys.length > maxSize ? keys.slice(0, maxSize) : keys;
}

interface Vocab {
  keys: string[];
  index: Map<string, number>;
}

function makeVocab(keys: string[]): Vocab {
  const index = new Map<string, number>();
  keys.forEach((k, i) => index.set(k, i + 1));
  return { keys, index };
}

const INT_TOKEN = /^[+-]?\d+$/;

/** An error about row `i` of a chunk; sources that can locate rows better (a CSV's line) refine it later. */
function rowError(chunk: RawChunk, i: number, detail: string): RowError {
  return new RowError(chunk.where(i), detail, chunk.offset + i);
}

/** A one-row pseudo chunk, so values checked outside a chunk report where they came from. */
function single(where: string): RawChunk {
  return { columns: {}, numRows: 1, offset: 0, where: () => where };
}

/**
 * Learns how raw columns become model inputs and applies it identically at training and serving time.
 *
 * - dense columns: missing values filled, then scaled (standard, minmax, log, none);
 * - sparse columns: vocabulary by frequency (min frequency, max size), ids 1..n, 0 for padding / unknown, or a
 *   hash bucket for unseen values; 'hash' encoding for unbounded id spaces;
 * - sequence columns: lists or separator-joined strings ("12|5|7"), encoded with their own or a shared
 *   vocabulary, truncated to the most recent `maxLen` items and padded with 0;
 * - labels: checked (binary labels must be 0/1 after an optional threshold or positive-value mapping).
 *
 * `fit` reads columns, row objects, a RawSource or a CSV / TSV / Parquet path; with a DuckDB source the counts and
 * statistics are computed in SQL. `features()` returns the declarations with the right vocabulary sizes;
 * `save`/`load` round-trip everything through JSON.
 */
export class DataProcessor {
  private readonly cfg: NormalizedConfig;
  private vocabs = new Map<string, Vocab>();
  private stats = new Map<string, NumericStats>();
  private fittedRows = 0;
  private isFitted = false;
  private readonly naSet: ReadonlySet<string>;

  constructor(config: DataProcessorConfig) {
    this.cfg = normalize(config);
    this.naSet = new Set(this.cfg.naValues);
  }

  /** Whether fit (or load) has run. */
  get fitted(): boolean {
    return this.isFitted;
  }

  /** Rows seen by the last fit (0 after load of a processor saved unfitted). */
  get numRowsFitted(): number {
    return this.fittedRows;
  }

  /** Names of every input column the processor reads (labels excluded). */
  inputColumns(): string[] {
    return [...this.cfg.embedded.map((e) => e.name), ...this.cfg.dense.map((d) => d.name)];
  }

  /** Names of the label columns. */
  labelColumns(): string[] {
    return this.cfg.labels.map((l) => l.name);
  }

  private groups(): Map<string, NormEmbedded[]> {
    const out = new Map<string, NormEmbedded[]>();
    for (const e of this.cfg.embedded) {
      if (!out.has(e.group)) out.set(e.group, []);
      out.get(e.group)!.push(e);
    }
    return out;
  }

  private owner(group: string): NormEmbedded {
    return this.cfg.embedded.find((e) => e.name === group)!;
  }

  // ---------------------------------------------------------------- fit

  /**
   * Learn vocabularies and statistics. Accepts a CSV / TSV / Parquet path, in-memory columns or rows, or a
   * RawSource. On error the processor keeps its previous state.
   */
  async fit(input: DataSourceInput, opts: ProcessorFitOptions = {}): Promise<this> {
    const src = toRawSource(input);
    try {
      return await this.fitSource(src, opts);
    } catch (err) {
      return await refineRowError(err, src);
    } finally {
      // a source opened here from a path is ours to close; one passed in belongs to the caller
      if (src !== input) await src.close?.();
    }
  }

  private async fitSource(src: RawSource, opts: ProcessorFitOptions): Promise<this> {
    const aggregated = single(`${src.description} (aggregated)`);
    const names = await src.columnNames();
    this.checkColumns(names, this.inputColumns(), src.description);
    const groups = this.groups();
    const counts = new Map<string, Map<string, number>>();
    const dense = new Map<string, NumericStats>();
    const scanEmbedded: NormEmbedded[] = [];
    const scanDense: NormDense[] = [];
    const pushdown = opts.pushdown !== false && src.stats ? src.stats : null;
    let rows = 0;
    if (pushdown) {
      rows = await pushdown.rowCount();
      if (rows === 0) throw new DataError(`${src.description} has no data rows; cannot fit the DataProcessor`);
      opts.onProgress?.(rows);
    }

    for (const [group, members] of groups) {
      const owner = this.owner(group);
      if (owner.encoding === 'hash') continue;
      counts.set(group, new Map());
      for (const m of members) {
        let got: Array<[unknown, number]> | null = null;
        if (pushdown && !(m.kind === 'sequence' && m.format === 'json')) {
          const single = members.length === 1;
          got = await pushdown.valueCounts(m.name, {
            kind: m.kind === 'sequence' ? 'sequence' : 'scalar',
            separator: m.separator,
            // thresholds are exact only for a column that owns its vocabulary alone; pooled counts are cut in JS
            minCount: single ? owner.minFreq : 1,
            topK: single && owner.maxSize !== null ? owner.maxSize : undefined,
          });
        }
        if (got === null) {
          scanEmbedded.push(m);
          continue;
        }
        const c = counts.get(group)!;
        for (const [v, n] of got) {
          if (m.kind === 'sequence') {
            for (const tok of this.sequenceTokens(m, v, aggregated, 0)) c.set(tok, (c.get(tok) ?? 0) + Number(n));
          } else {
            const k = this.scalarKey(m, v, aggregated, 0);
            if (k !== null) c.set(k, (c.get(k) ?? 0) + Number(n));
          }
        }
      }
    }
    for (const d of this.cfg.dense) {
      if (pushdown) dense.set(d.name, await pushdown.numericStats(d.name, this.cfg.naValues));
      else scanDense.push(d);
    }

    if (scanEmbedded.length || scanDense.length || !pushdown) {
      rows = 0;
      const running = new Map(scanDense.map((d) => [d.name, new RunningStats()]));
      const columns = [...scanEmbedded.map((e) => e.name), ...scanDense.map((d) => d.name)];
      for await (const chunk of src.chunks({ chunkRows: opts.chunkRows, columns: columns.length ? columns : [this.inputColumns()[0]] })) {
        rows += chunk.numRows;
        opts.onProgress?.(rows);
        for (const e of scanEmbedded) {
          const c = counts.get(e.group)!;
          const col = this.column(chunk, e.name, src);
          for (let i = 0; i < chunk.numRows; i++) {
            if (e.kind === 'sequence') {
              for (const tok of this.sequenceTokens(e, col[i], chunk, i)) c.set(tok, (c.get(tok) ?? 0) + 1);
            } else {
              const k = this.scalarKey(e, col[i], chunk, i);
              if (k !== null) c.set(k, (c.get(k) ?? 0) + 1);
            }
          }
        }
        for (const d of scanDense) {
          const acc = running.get(d.name)!;
          const col = this.column(chunk, d.name, src);
          for (let i = 0; i < chunk.numRows; i++) {
            const x = this.denseValue(d, col[i], chunk, i);
            if (x !== null) acc.push(x);
          }
        }
      }
      for (const [name, acc] of running) dense.set(name, acc.result());
      if (rows === 0) throw new DataError(`${src.description} has no data rows; cannot fit the DataProcessor`);
    }
    for (const [name, s] of dense) {
      if (s.count === 0) throw new DataError(`dense column '${name}' has no numeric value in ${src.description}; cannot fit its scaler`);
    }

    const vocabs = new Map<string, Vocab>();
    for (const [group, c] of counts) {
      const owner = this.owner(group);
      vocabs.set(group, makeVocab(rankVocabulary(c, owner.minFreq, owner.maxSize)));
    }
    // commit only now: a failed fit leaves the previous state intact
    this.vocabs = vocabs;
    this.stats = dense;
    this.fittedRows = rows;
    this.isFitted = true;
    return this;
  }

  private checkColumns(have: readonly string[], needed: readonly string[], where: string): void {
    const set = new Set(have);
    const missing = needed.filter((n) => !set.has(n));
    if (missing.length) {
      throw new DataError(`missing column(s) ${missing.map((m) => `'${m}'`).join(', ')} in ${where} (it has: ${have.join(', ') || 'no columns'})`);
    }
  }

  private column(chunk: RawChunk, name: string, src: { description: string }): ArrayLike<unknown> {
    const col = chunk.columns[name];
    if (!col) throw new DataError(`${src.description} has no column '${name}'`);
    return col;
  }

  private scalarKey(e: NormEmbedded, v: unknown, chunk: RawChunk, i: number): string | null {
    const k = keyOf(v);
    if (k === undefined) throw rowError(chunk, i, `column '${e.name}' holds ${showValue(v)}, expected a single categorical value`);
    return k;
  }

  /** Tokens of one sequence cell, oldest first. */
  private sequenceTokens(e: NormEmbedded, v: unknown, chunk: RawChunk, i: number): string[] {
    if (v === null || v === undefined) return [];
    let items: ArrayLike<unknown>;
    if (typeof v === 'string') {
      const s = v.trim();
      if (s === '') return [];
      if (e.format === 'json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(s);
        } catch (err) {
          throw rowError(chunk, i, `sequence column '${e.name}' value ${showValue(v)} does not parse as a JSON list (${(err as Error).message})`);
        }
        if (!Array.isArray(parsed)) throw rowError(chunk, i, `sequence column '${e.name}' value ${showValue(v)} is not a JSON list`);
        items = parsed;
      } else {
        if (s.startsWith('[')) {
          throw rowError(
            chunk,
            i,
            `sequence column '${e.name}' value ${showValue(v)} looks like a JSON list but the column is declared with format 'split' (separator '${e.separator}'); set format: 'json'`,
          );
        }
        items = s.split(e.separator!);
      }
    } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      items = v as ArrayLike<unknown>;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      items = [v];
    } else {
      throw rowError(chunk, i, `sequence column '${e.name}' holds ${showValue(v)}, expected a list or a '${e.separator}'-separated string`);
    }
    const out: string[] = [];
    for (let j = 0; j < items.length; j++) {
      let k = keyOf(items[j]);
      if (k === undefined) throw rowError(chunk, i, `sequence column '${e.name}' item ${j} is ${showValue(items[j])}, expected a scalar`);
      if (k === null) continue;
      if (typeof items[j] === 'string') {
        k = k.trim();
        if (k === '') continue;
      }
      if (e.itemType === 'int' && !INT_TOKEN.test(k)) {
        throw rowError(chunk, i, `sequence column '${e.name}' value ${showValue(v)} does not parse: item ${j} (${showValue(k)}) is not an integer (separator '${e.separator}')`);
      }
      out.push(k);
    }
    return out;
  }

  private denseValue(d: NormDense, v: unknown, chunk: RawChunk, i: number): number | null {
    const x = parseNumber(v, this.naSet);
    if (x === undefined) throw rowError(chunk, i, `dense column '${d.name}' holds ${showValue(v)}, which is not a finite number`);
    return x;
  }

  // ---------------------------------------------------------------- encoding

  private requireFitted(what: string): void {
    if (!this.isFitted) throw new DataError(`DataProcessor: call fit() (or load a fitted processor) before ${what}`);
  }

  /** Number of embedding rows of a sparse or sequence column, padding row 0 included. */
  vocabSize(column: string): number {
    this.requireFitted('vocabSize');
    const e = this.embeddedColumn(column);
    const owner = this.owner(e.group);
    // at least 2 rows: an embedding table needs one real row even when every value of a column was dropped
    if (owner.encoding === 'hash') return Math.max(2, 1 + owner.hashBuckets);
    const known = this.vocabs.get(e.group)!.keys.length;
    return Math.max(2, 1 + known + (owner.unknown === 'hash' ? owner.hashBuckets : 0));
  }

  /** The learned values of a sparse or sequence column; value i has id i + 1. */
  vocabulary(column: string): readonly string[] {
    this.requireFitted('vocabulary');
    const e = this.embeddedColumn(column);
    return this.vocabs.get(e.group)?.keys ?? [];
  }

  /** Id of one raw value of a sparse or sequence column (0 for missing or unknown without hash buckets). */
  encodeValue(column: string, value: unknown): number {
    this.requireFitted('encodeValue');
    const e = this.embeddedColumn(column);
    const k = this.scalarKey(e, value, single(`encodeValue('${column}')`), 0);
    return k === null ? 0 : this.idOf(e, k);
  }

  /** The raw value (as text) behind an id, or null for padding, hash buckets and out-of-range ids. */
  decodeId(column: string, id: number): string | null {
    this.requireFitted('decodeId');
    const keys = this.vocabs.get(this.embeddedColumn(column).group)?.keys;
    return keys && id >= 1 && id <= keys.length ? keys[id - 1] : null;
  }

  private embeddedColumn(column: string): NormEmbedded {
    const e = this.cfg.embedded.find((x) => x.name === column);
    if (!e) throw new DataError(`'${column}' is not a sparse or sequence column of this processor (have: ${this.cfg.embedded.map((x) => x.name).join(', ') || 'none'})`);
    return e;
  }

  private idOf(e: NormEmbedded, key: string): number {
    const owner = this.owner(e.group);
    if (owner.encoding === 'hash') return 1 + (hashString(key) % owner.hashBuckets);
    const v = this.vocabs.get(e.group)!;
    const id = v.index.get(key);
    if (id !== undefined) return id;
    return owner.unknown === 'hash' ? 1 + v.keys.length + (hashString(key) % owner.hashBuckets) : 0;
  }

  private scale(d: NormDense, x: number | null): number {
    const s = this.stats.get(d.name)!;
    const v = x === null ? (d.fill === 'mean' ? s.mean : d.fill) : x;
    switch (d.scaler) {
      case 'standard':
        return (v - s.mean) / (s.std > 0 ? s.std : 1);
      case 'minmax':
        return s.max > s.min ? (v - s.min) / (s.max - s.min) : v - s.min;
      case 'log':
        return Math.log1p(Math.max(v, 0));
      default:
        return v;
    }
  }

  private labelValue(l: NormLabel, v: unknown, chunk: RawChunk, i: number): number {
    if (l.positive) {
      const k = keyOf(v);
      if (k === null || k === undefined) throw rowError(chunk, i, `label '${l.name}' is missing`);
      return l.positive.includes(k.trim()) ? 1 : 0;
    }
    const x = parseNumber(v, this.naSet);
    if (x === null) throw rowError(chunk, i, `label '${l.name}' is missing`);
    if (x === undefined) throw rowError(chunk, i, `label '${l.name}' holds ${showValue(v)}, which is not a finite number`);
    if (l.threshold !== null) return x >= l.threshold ? 1 : 0;
    if (l.type === 'binary' && x !== 0 && x !== 1) {
      throw rowError(chunk, i, `label '${l.name}' is ${showValue(v)}, but a binary label must be 0 or 1 (declare type 'regression', or a threshold / positive values to map it)`);
    }
    return x;
  }

  /** Encode one chunk of raw columns. */
  private encodeChunk(chunk: RawChunk, opts: TransformOptions, description: string): ColumnarInput {
    const n = chunk.numRows;
    const out: ColumnarInput = {};
    const names = Object.keys(chunk.columns);
    this.checkColumns(names, this.inputColumns(), description);
    for (const e of this.cfg.embedded) {
      const col = chunk.columns[e.name];
      if (e.kind === 'sparse') {
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const k = this.scalarKey(e, col[i], chunk, i);
          ids[i] = k === null ? 0 : this.idOf(e, k);
        }
        out[e.name] = ids;
      } else {
        const L = e.maxLen!;
        const ids = new Int32Array(n * L);
        const scratch: number[] = [];
        for (let i = 0; i < n; i++) {
          scratch.length = 0;
          for (const tok of this.sequenceTokens(e, col[i], chunk, i)) {
            const id = this.idOf(e, tok);
            // unknown items (id 0) would read as padding; dropping them keeps the real history dense
            if (id !== 0) scratch.push(id);
          }
          const start = Math.max(0, scratch.length - L);
          for (let j = start; j < scratch.length; j++) ids[i * L + j - start] = scratch[j];
        }
        out[e.name] = ids;
      }
    }
    for (const d of this.cfg.dense) {
      const col = chunk.columns[d.name];
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = this.scale(d, this.denseValue(d, col[i], chunk, i));
      out[d.name] = x;
    }
    const mode = opts.labels ?? 'auto';
    if (mode !== 'skip') {
      if (mode === 'require') this.checkColumns(names, this.labelColumns(), description);
      for (const l of this.cfg.labels) {
        const col = chunk.columns[l.name];
        if (!col) continue;
        const y = new Float32Array(n);
        for (let i = 0; i < n; i++) y[i] = this.labelValue(l, col[i], chunk, i);
        out[l.name] = y;
      }
    }
    for (const k of opts.keep ?? []) {
      const col = chunk.columns[k];
      if (!col) throw new DataError(`keep: column '${k}' is not in ${description}`);
      out[k] = Array.from(col as ArrayLike<number>);
    }
    return out;
  }

  /**
   * Encode in-memory raw data (columns or row objects) to model inputs: Int32Array ids for sparse columns, flat
   * [rows x maxLen] Int32Array for sequences, Float32Array for dense columns and labels.
   */
  transform(data: RawColumns | RawRows | RawTable, opts: TransformOptions = {}): ColumnarInput {
    this.requireFitted('transform');
    if (isRawTable(data)) data = data.columns;
    let columns: RawColumns;
    let n: number;
    const description = Array.isArray(data) ? 'in-memory rows' : 'in-memory columns';
    if (Array.isArray(data)) {
      if (data.length === 0) throw new DataError('data is empty (0 rows)');
      const first = data[0];
      if (first == null || typeof first !== 'object') throw new DataError(`row 0: expected an object, got ${showValue(first)}`);
      const wanted = [...new Set([...Object.keys(first), ...this.inputColumns()])].filter((k) => k in first);
      const cols: Record<string, unknown[]> = {};
      for (const k of wanted) cols[k] = new Array(data.length);
      data.forEach((row, i) => {
        if (row == null || typeof row !== 'object') throw new DataError(`row ${i}: expected an object, got ${showValue(row)}`);
        for (const k of wanted) cols[k][i] = row[k];
      });
      columns = cols;
      n = data.length;
    } else {
      if (data == null || typeof data !== 'object') throw new DataError('data must be an object of columns or an array of row objects');
      columns = data;
      const lens = Object.entries(data).map(([k, c]) => [k, (c as ArrayLike<unknown>)?.length] as const);
      const bad = lens.find(([, l]) => typeof l !== 'number');
      if (bad) throw new DataError(`column '${bad[0]}' is not an array`);
      n = lens.length ? lens[0][1] : 0;
      const off = lens.find(([, l]) => l !== n);
      if (off) throw new DataError(`column '${off[0]}' has ${off[1]} rows but '${lens[0][0]}' has ${n}`);
      if (n === 0) throw new DataError('data is empty (0 rows)');
    }
    return this.encodeChunk({ columns, numRows: n, offset: 0, where: (i) => `row ${i}` }, opts, description);
  }

  /** Encode a file, source or in-memory data chunk by chunk (memory stays bounded by the chunk size). */
  async *stream(input: DataSourceInput, opts: StreamOptions = {}): AsyncGenerator<EncodedChunk> {
    this.requireFitted('stream');
    const src = toRawSource(input);
    try {
      const names = await src.columnNames();
      this.checkColumns(names, this.inputColumns(), src.description);
      if ((opts.labels ?? 'auto') === 'require') this.checkColumns(names, this.labelColumns(), src.description);
      const present = new Set(names);
      const columns = [...this.inputColumns(), ...this.labelColumns().filter((l) => present.has(l) && opts.labels !== 'skip'), ...(opts.keep ?? [])];
      let any = false;
      let rows = 0;
      for await (const chunk of src.chunks({ chunkRows: opts.chunkRows, columns })) {
        if (chunk.numRows === 0) continue;
        any = true;
        let data: ColumnarInput;
        try {
          data = this.encodeChunk(chunk, opts, src.description);
        } catch (err) {
          return await refineRowError(err, src);
        }
        opts.onProgress?.((rows += chunk.numRows));
        yield { data, numRows: chunk.numRows, offset: chunk.offset };
      }
      if (!any) throw new DataError(`${src.description} has no data rows`);
    } finally {
      if (src !== input) await src.close?.();
    }
  }

  /** Encode a whole file or source into memory (validation and test sets). */
  async transformAll(input: DataSourceInput, opts: StreamOptions = {}): Promise<ColumnarInput> {
    const parts: ColumnarInput[] = [];
    for await (const c of this.stream(input, opts)) parts.push(c.data);
    return concatColumns(parts);
  }

  /**
   * A streamed training source for `model.fitStream`: every epoch re-reads `input` chunk by chunk and encodes it,
   * so data larger than memory trains with memory bounded by the shuffle buffer. Labels are required.
   */
  batchSource(input: DataSourceInput, opts: StreamOptions & { numRows?: number } = {}): BatchSource {
    this.requireFitted('batchSource');
    return {
      description: typeof input === 'string' ? input : toRawSource(input).description,
      numRows: opts.numRows,
      chunks: () => {
        const it = this.stream(input, { ...opts, labels: 'require' });
        return (async function* () {
          for await (const c of it) yield c.data;
        })();
      },
    };
  }

  // ---------------------------------------------------------------- feature declarations

  /** Sparse feature declarations with fitted vocabulary sizes. */
  sparseFeatures(): SparseFeature[] {
    return this.cfg.embedded.filter((e) => e.kind === 'sparse').map((e) => new SparseFeature(this.embeddedInit(e)));
  }

  /** Sequence feature declarations with fitted vocabulary sizes. */
  sequenceFeatures(): SequenceFeature[] {
    return this.cfg.embedded.filter((e) => e.kind === 'sequence').map((e) => new SequenceFeature({ ...this.embeddedInit(e), maxLen: e.maxLen!, pooling: e.pooling }));
  }

  /** Dense feature declarations (one float per column). */
  denseFeatures(): DenseFeature[] {
    return this.cfg.dense.map((d) => new DenseFeature({ name: d.name }));
  }

  /** All feature declarations. */
  features(): { sparse: SparseFeature[]; dense: DenseFeature[]; sequence: SequenceFeature[] } {
    return { sparse: this.sparseFeatures(), dense: this.denseFeatures(), sequence: this.sequenceFeatures() };
  }

  /** Targets matching the label columns, for a model config. */
  targets(): TargetSpec[] {
    return this.cfg.labels.map((l) => ({ name: l.name, type: l.type }));
  }

  /** Features and targets in the shape every model config takes: `new DeepFM({ ...processor.modelConfig(), ... })`. */
  modelConfig(): { sparseFeatures: SparseFeature[]; denseFeatures: DenseFeature[]; sequenceFeatures: SequenceFeature[]; targets: TargetSpec[] } {
    const f = this.features();
    const out = { sparseFeatures: f.sparse, denseFeatures: f.dense, sequenceFeatures: f.sequence, targets: this.targets() };
    if (out.targets.length === 0) delete (out as Partial<typeof out>).targets;
    return out;
  }

  private embeddedInit(e: NormEmbedded): { name: string; vocabSize: number; embeddingDim: number; embeddingName?: string } {
    const init: { name: string; vocabSize: number; embeddingDim: number; embeddingName?: string } = { name: e.name, vocabSize: this.vocabSize(e.name), embeddingDim: e.embeddingDim };
    // the owner keeps its own table name; columns that share point at it
    if (e.group !== e.name) init.embeddingName = e.group;
    return init;
  }

  // ---------------------------------------------------------------- persistence

  /** Everything needed to encode identically later, as plain JSON. */
  toJSON(): ProcessorState {
    const vocabularies: Record<string, string[]> = {};
    for (const [g, v] of this.vocabs) vocabularies[g] = v.keys;
    const dense: Record<string, NumericStats> = {};
    for (const [n, s] of this.stats) dense[n] = { ...s };
    return { format: 'nextrec-ts/data-processor', version: 1, config: this.cfg, fitted: this.isFitted, numRows: this.fittedRows, vocabularies, dense };
  }

  /** Rebuild a processor from {@link toJSON}'s output. */
  static fromJSON(state: ProcessorState): DataProcessor {
    if (!state || state.format !== 'nextrec-ts/data-processor') throw new DataError(`not a saved DataProcessor (format ${showValue(state?.format)})`);
    if (state.version !== 1) throw new DataError(`saved DataProcessor has version ${state.version}; this library reads version 1`);
    const c = state.config;
    const p = new DataProcessor({
      dense: c.dense.map((d) => ({ ...d })),
      sparse: c.embedded.filter((e) => e.kind === 'sparse').map((e) => DataProcessor.columnSpec(e) as SparseColumn),
      sequence: c.embedded.filter((e) => e.kind === 'sequence').map((e) => DataProcessor.columnSpec(e) as SequenceColumn),
      labels: c.labels.map((l) => ({ name: l.name, type: l.type, ...(l.threshold !== null ? { threshold: l.threshold } : {}), ...(l.positive ? { positive: l.positive } : {}) })),
      naValues: c.naValues,
    });
    if (state.fitted) {
      for (const [g, keys] of Object.entries(state.vocabularies)) p.vocabs.set(g, makeVocab(keys));
      for (const [n, s] of Object.entries(state.dense)) p.stats.set(n, { ...s });
      for (const [g, members] of p.groups()) {
        if (p.owner(g).encoding === 'vocab' && !p.vocabs.has(g)) throw new DataError(`saved DataProcessor lacks the vocabulary of '${members[0].name}'`);
      }
      for (const d of p.cfg.dense) if (!p.stats.has(d.name)) throw new DataError(`saved DataProcessor lacks the statistics of dense column '${d.name}'`);
      p.fittedRows = state.numRows;
      p.isFitted = true;
    }
    return p;
  }

  private static columnSpec(e: NormEmbedded): SparseColumn | SequenceColumn {
    const base: SparseColumn =
      e.group !== e.name
        ? { name: e.name, shareVocabWith: e.group }
        : { name: e.name, minFreq: e.minFreq, unknown: e.unknown, hashBuckets: e.hashBuckets, encoding: e.encoding, embeddingDim: e.embeddingDim, ...(e.maxSize !== null ? { maxSize: e.maxSize } : {}) };
    if (e.kind === 'sparse') return base;
    return { ...base, maxLen: e.maxLen!, format: e.format, separator: e.separator, itemType: e.itemType, pooling: e.pooling };
  }

  /**
   * Save as JSON: to `<dir>/processor.json` for a directory path, to the path itself when it ends in .json, or
   * under `file` in a ModelStore (so it can sit next to the model it feeds).
   */
  async save(target: string | ModelStore, file = 'processor.json'): Promise<void> {
    const { store, name } = await resolveTarget(target, file);
    await store.writeJson(name, this.toJSON());
  }

  /** Load a processor written by {@link save}. */
  static async load(source: string | ModelStore, file = 'processor.json'): Promise<DataProcessor> {
    const { store, name } = await resolveTarget(source, file);
    return DataProcessor.fromJSON(await store.readJson<ProcessorState>(name));
  }
}

async function resolveTarget(target: string | ModelStore, file: string): Promise<{ store: ModelStore; name: string }> {
  if (typeof target !== 'string') return { store: target, name: file };
  // the file store is Node-only; requiring it lazily keeps the processor usable in browsers with a ModelStore
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { FileStore } = require('./file-store') as typeof import('./file-store');
  if (target.toLowerCase().endsWith('.json')) {
    const slash = Math.max(target.lastIndexOf('/'), target.lastIndexOf('\\'));
    return { store: new FileStore(slash >= 0 ? target.slice(0, slash) || '/' : '.'), name: target.slice(slash + 1) };
  }
  return { store: new FileStore(target), name: file };
}

