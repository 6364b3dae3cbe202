import { Rng } from '../../basic/random';
import { DataError } from '../../basic/dataset/dataset';
import { keyOf } from '../raw';
import { RawTable, tableColumn, takeRows } from './common';

/**
 * Standard task views over an interaction log (user, item, time, optional rating and side columns): CTR labels,
 * sampled negatives, per-user time-ordered sequences, next-item examples, and leave-one-out / temporal / random
 * splits. Every view is deterministic: ties in time keep file order, and randomness comes from a seed.
 */

/** Which columns of an interaction table hold the user, the item, the time and (optionally) the rating. */
export interface InteractionSchema {
  user: string;
  item: string;
  time: string;
  rating?: string;
}

/** Train / validation / test tables. */
export interface DataSplit {
  train: RawTable;
  valid: RawTable;
  test: RawTable;
}

/** Options of {@link ctrLabels}. */
export interface CtrLabelOptions {
  /** Numeric column the label comes from (e.g. 'rating'). */
  from: string;
  /** Positive when value >= threshold (e.g. 4 for 1-5 star ratings). */
  threshold: number;
  /** Name of the new label column (default 'label'). */
  label?: string;
}

/** Add a binary label column: 1 when `from` >= threshold (e.g. rating >= 4), else 0. */
export function ctrLabels(table: RawTable, opts: CtrLabelOptions): RawTable {
  const src = tableColumn(table, opts.from);
  const out = new Array<number>(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const x = Number(src[i]);
    if (!Number.isFinite(x)) throw new DataError(`ctrLabels: column '${opts.from}' row ${i} is ${JSON.stringify(src[i])}, not a number`);
    out[i] = x >= opts.threshold ? 1 : 0;
  }
  return { columns: { ...table.columns, [opts.label ?? 'label']: out }, numRows: table.numRows };
}

/** Options of {@link sampleNegatives}. */
export interface NegativeSamplingOptions {
  user: string;
  item: string;
  /** Negatives drawn per positive row (default 4). */
  ratio?: number;
  seed?: number;
  /** Columns describing the item (copied from a row of the sampled item); other columns come from the positive row. */
  itemColumns?: string[];
  /** Name of the label column (default 'label'). */
  label?: string;
}

/**
 * Implicit-feedback CTR: every row becomes a positive, followed by `ratio` rows with the same user and an item drawn
 * uniformly from items the user never interacted with. Deterministic for a seed.
 */
export function sampleNegatives(table: RawTable, opts: NegativeSamplingOptions): RawTable {
  const ratio = opts.ratio ?? 4;
  if (!Number.isInteger(ratio) || ratio < 0) throw new DataError(`sampleNegatives: ratio must be a non-negative integer (got ${opts.ratio})`);
  const users = tableColumn(table, opts.user);
  const items = tableColumn(table, opts.item);
  const itemRow = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  for (let i = 0; i < table.numRows; i++) {
    const it = String(keyOf(items[i]));
    if (!itemRow.has(it)) itemRow.set(it, i);
    const u = String(keyOf(users[i]));
    if (!seen.has(u)) seen.set(u, new Set());
    seen.get(u)!.add(it);
  }
  const catalog = [...itemRow.keys()];
  const rng = new Rng(opts.seed ?? 2024);
  const itemCols = new Set(opts.itemColumns ?? []);
  itemCols.add(opts.item);
  const label = opts.label ?? 'label';
  const names = Object.keys(table.columns).filter((n) => n !== label);
  const out: Record<string, unknown[]> = {};
  for (const n of [...names, label]) out[n] = [];
  for (let i = 0; i < table.numRows; i++) {
    for (const n of names) out[n].push(table.columns[n][i]);
    out[label].push(1);
    const mine = seen.get(String(keyOf(users[i])))!;
    if (mine.size >= catalog.length) continue;
    for (let k = 0; k < ratio; k++) {
      let neg = catalog[rng.int(catalog.length)];
      // rejection sampling terminates quickly unless the user saw almost every item
      for (let tries = 0; mine.has(neg) && tries < 1000; tries++) neg = catalog[rng.int(catalog.length)];
      if (mine.has(neg)) break;
      const r = itemRow.get(neg)!;
      for (const n of names) out[n].push(itemCols.has(n) ? table.columns[n][r] : table.columns[n][i]);
      out[label].push(0);
    }
  }
  return { columns: out, numRows: out[label].length };
}

/** Each user's interactions in time order. */
export interface UserSequences {
  /** User keys in order of first appearance. */
  users: string[];
  /** Item keys per user, oldest first. */
  items: string[][];
  /** Times per user, ascending. */
  times: number[][];
  /** Row indices into the source table per user, in time order. */
  rows: number[][];
}

/** Group an interaction table by user and order each user's rows by time (ties keep file order). */
export function userSequences(table: RawTable, schema: InteractionSchema): UserSequences {
  const users = tableColumn(table, schema.user);
  const items = tableColumn(table, schema.item);
  const times = tableColumn(table, schema.time);
  const byUser = new Map<string, number[]>();
  const t = new Float64Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const x = Number(times[i]);
    if (!Number.isFinite(x)) throw new DataError(`time column '${schema.time}' row ${i} is ${JSON.stringify(times[i])}, not a number`);
    t[i] = x;
    const u = keyOf(users[i]);
    if (u == null) throw new DataError(`user column '${schema.user}' row ${i} is missing`);
    let list = byUser.get(u);
    if (!list) byUser.set(u, (list = []));
    list.push(i);
  }
  const out: UserSequences = { users: [], items: [], times: [], rows: [] };
  for (const [u, rows] of byUser) {
    rows.sort((a, b) => t[a] - t[b] || a - b);
    out.users.push(u);
    out.rows.push(rows);
    out.items.push(rows.map((r) => String(keyOf(items[r]))));
    out.times.push(rows.map((r) => t[r]));
  }
  return out;
}

/**
 * Leave-one-out: per user, the latest interaction goes to test and the one before it to validation (users with at
 * least 3 interactions; users with 2 give only a test row; users with 1 stay in train). Train keeps time order.
 */
export function leaveOneOut(table: RawTable, schema: InteractionSchema): DataSplit {
  const seqs = userSequences(table, schema);
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const rows of seqs.rows) {
    const n = rows.length;
    if (n >= 3) {
      train.push(...rows.slice(0, n - 2));
      valid.push(rows[n - 2]);
      test.push(rows[n - 1]);
    } else if (n === 2) {
      train.push(rows[0]);
      test.push(rows[1]);
    } else {
      train.push(...rows);
    }
  }
  return { train: takeRows(table, train), valid: takeRows(table, valid), test: takeRows(table, test) };
}

function checkFractions(fractions: readonly number[]): [number, number, number] {
  if (fractions.length !== 3 || fractions.some((f) => !(f >= 0)) || Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) > 1e-9) {
    throw new DataError(`fractions must be three non-negative numbers summing to 1 (train, valid, test), got ${JSON.stringify(fractions)}`);
  }
  return fractions as [number, number, number];
}

function cut(table: RawTable, order: ArrayLike<number>, fractions: [number, number, number]): DataSplit {
  const n = order.length;
  const nTrain = Math.round(n * fractions[0]);
  const nValid = Math.round(n * fractions[1]);
  const idx = Array.from(order);
  return {
    train: takeRows(table, idx.slice(0, nTrain)),
    valid: takeRows(table, idx.slice(nTrain, nTrain + nValid)),
    test: takeRows(table, idx.slice(nTrain + nValid)),
  };
}

/** Global temporal split: rows ordered by time (ties keep file order), the earliest `fractions[0]` train, and so on. */
export function temporalSplit(table: RawTable, opts: { time: string; fractions?: [number, number, number] }): DataSplit {
  const times = tableColumn(table, opts.time);
  const t = Float64Array.from(times, (v, i) => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new DataError(`time column '${opts.time}' row ${i} is ${JSON.stringify(v)}, not a number`);
    return x;
  });
  const order = Array.from({ length: table.numRows }, (_, i) => i).sort((a, b) => t[a] - t[b] || a - b);
  return cut(table, order, checkFractions(opts.fractions ?? [0.8, 0.1, 0.1]));
}

/** Random split, deterministic for a seed. */
export function randomSplit(table: RawTable, opts: { fractions?: [number, number, number]; seed?: number } = {}): DataSplit {
  const order = Int32Array.from({ length: table.numRows }, (_, i) => i);
  new Rng(opts.seed ?? 2024).shuffle(order);
  return cut(table, order, checkFractions(opts.fractions ?? [0.8, 0.1, 0.1]));
}

/**
 * Add a column with, for every row, the user's items before it in time (the most recent `maxLen`, oldest first):
 * the behaviour history that DIN-style ranking models attend over. Rows at equal times see each other only in file
 * order, so there is no leak from the future.
 */
export function withHistory(table: RawTable, schema: InteractionSchema & { maxLen?: number; column?: string }): RawTable {
  const maxLen = schema.maxLen ?? 50;
  const seqs = userSequences(table, schema);
  const hist = new Array<string[]>(table.numRows);
  seqs.rows.forEach((rows, u) => {
    const items = seqs.items[u];
    rows.forEach((r, j) => (hist[r] = items.slice(Math.max(0, j - maxLen), j)));
  });
  return { columns: { ...table.columns, [schema.column ?? 'hist']: hist }, numRows: table.numRows };
}

/** Next-item examples with leave-one-out evaluation. */
export interface NextItemSplit {
  /**
   * One row per (prefix, next item) of each user's sequence except the last two items (empty with
   * `examples: false`).
   */
  train: RawTable;
  /** Per user: history up to the second-to-last item, target = second-to-last item. */
  valid: RawTable;
  /** Per user: history up to the last item, target = last item. */
  test: RawTable;
  /**
   * Full training sequences per user (all but the last two items; users with fewer than 3 interactions keep all
   * of theirs), with their times, for models trained on whole sequences.
   */
  trainSequences: { users: string[]; items: string[][]; times: number[][] };
}

/** Options of {@link nextItemExamples}. */
export interface NextItemOptions {
  /** Most recent items kept in `hist` (default 50). */
  maxLen?: number;
  /** Training rows start at this position of a sequence (default 1: at least one item of history). */
  minHistory?: number;
  /**
   * Build the per-position training rows (default true). Models trained on whole sequences (HSTU, SASRec) need
   * only `trainSequences`; the rows cost O(interactions x maxLen) memory (about 1e6 x 200 cells on MovieLens-1M).
   */
  examples?: boolean;
}

/**
 * Next-item prediction examples from time-ordered user sequences: columns `user`, `hist` (list of previous items,
 * most recent `maxLen`), `hist_time` (their times), `target` and `target_time` (the time of the target
 * interaction, i.e. of the request). Users need at least 3 interactions to appear in valid and test.
 */
export function nextItemExamples(seqs: UserSequences, opts: NextItemOptions = {}): NextItemSplit {
  const maxLen = opts.maxLen ?? 50;
  const minHistory = opts.minHistory ?? 1;
  const make = () => ({ user: [] as unknown[], hist: [] as unknown[], hist_time: [] as unknown[], target: [] as unknown[], target_time: [] as unknown[] });
  const tr = make();
  const va = make();
  const te = make();
  const trainSequences = { users: [] as string[], items: [] as string[][], times: [] as number[][] };
  const push = (t: ReturnType<typeof make>, user: string, items: string[], times: number[], j: number) => {
    const start = Math.max(0, j - maxLen);
    t.user.push(user);
    t.hist.push(items.slice(start, j));
    t.hist_time.push(times.slice(start, j));
    t.target.push(items[j]);
    t.target_time.push(times[j]);
  };
  seqs.users.forEach((user, u) => {
    const items = seqs.items[u];
    const times = seqs.times[u];
    const n = items.length;
    const trainEnd = n >= 3 ? n - 2 : n;
    if (opts.examples ?? true) for (let j = minHistory; j < trainEnd; j++) push(tr, user, items, times, j);
    trainSequences.users.push(user);
    trainSequences.items.push(items.slice(0, trainEnd));
    trainSequences.times.push(times.slice(0, trainEnd));
    if (n >= 3) {
      push(va, user, items, times, n - 2);
      push(te, user, items, times, n - 1);
    }
  });
  const table = (t: ReturnType<typeof make>): RawTable => ({ columns: t, numRows: t.user.length });
  return { train: table(tr), valid: table(va), test: table(te), trainSequences };
}

/**
 * Dense ids 1..V for the item keys of some sequences (0 stays free for padding), in ascending key order: numeric
 * when every key is a number (MovieLens movie ids), else by string. Returns the id of each key and the keys by id
 * (`keys[id - 1]`).
 */
export function denseItemIds(seqs: { items: string[][] }): { ids: Map<string, number>; keys: string[] } {
  const seen = new Set<string>();
  for (const s of seqs.items) for (const k of s) seen.add(k);
  const keys = [...seen];
  const numeric = keys.every((k) => k.trim() !== '' && Number.isFinite(Number(k)));
  keys.sort(numeric ? (a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { ids: new Map(keys.map((k, i) => [k, i + 1])), keys };
}
