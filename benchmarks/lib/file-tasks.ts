/**
 * Real datasets read from local files (`npm run bench -- --data <dataset>:<path>`). A dataset has one task per model
 * family it feeds (MovieLens-1M: a CTR view for ranking models and a next-item view for generative ones); a config
 * of family F that lists the dataset trains on the dataset's F task. A task loads the dataset with its loader
 * (src/data/loaders), splits it (seeded, by time, leave-one-out, or the dataset's published test file), encodes it
 * from the training part only, and returns the same BenchTask shape as the synthetic tasks.
 * Formats of the files: docs/data.md.
 */
import { existsSync, readdirSync, statSync } from 'fs';
import * as path from 'path';
import { SequenceFeature } from '../../src/basic/features';
import { auc } from '../../src/basic/metrics';
import type { ColumnarInput } from '../../src/basic/dataset/dataset';
import { DataProcessor, DataProcessorConfig } from '../../src/data/processor';
import {
  DataSplit,
  denseItemIds,
  loadAliCCP,
  loadAmazonReviews,
  loadAvazu,
  loadCensusIncome,
  loadCriteo,
  loadMovieLens1M,
  nextItemExamples,
  randomSplit,
  RawTable,
  takeRows,
  UserSequences,
} from '../../src/data/loaders';
import { BenchTask, binaryTask, EncodedSplits, multiTaskTask, nextItemTask } from './task-shapes';

/** Options every file task takes. */
export interface FileTaskOptions {
  /** Read at most this many rows of each file (quick runs, or a sample of a dataset too big for memory). */
  limit?: number;
  /**
   * The config's `data.options` (with `data.quick` merged in on --quick runs); a task accepts only the names in its
   * `options` list.
   */
  options?: Record<string, unknown>;
}

/** Model families a real dataset can feed (a config's `family`). */
export type TaskFamily = 'ranking' | 'multitask' | 'generative';

/** One view of a real dataset, for the models of one family. */
export interface FileTask {
  /** Names of the `data.options` the task reads; any other name is an error (default: none). */
  options?: string[];
  /** Load, split and encode the dataset under `dataPath`. */
  build(dataPath: string, options: FileTaskOptions): Promise<BenchTask>;
}

/** A real dataset the leaderboard can train on. */
export interface FileDataset {
  /** What the path given to --data must hold (shown in errors and docs). */
  layout: string;
  /** Its task per model family; configs under benchmarks/configs/datasets list the datasets they run on. */
  tasks: Partial<Record<TaskFamily, FileTask>>;
}

/** Seed of every random split, so that rows of one dataset are comparable across models and runs. */
export const SPLIT_SEED = 2024;
/** Train / validation / test fractions of datasets without a published test file. */
const RANDOM_FRACTIONS: [number, number, number] = [0.8, 0.1, 0.1];
/** Train / validation cut of the training file when the dataset publishes its own test file. */
const TRAIN_VALID_FRACTIONS: [number, number, number] = [0.9, 0.1, 0];
const EMBEDDING_DIM = 16;

/** Fit a processor on the training part only (no vocabulary or scaler statistics leak from test) and encode all parts. */
async function encode(split: DataSplit, config: DataProcessorConfig): Promise<{ splits: EncodedSplits; modelArgs: Record<string, unknown> }> {
  const processor = new DataProcessor(config);
  await processor.fit(split.train);
  const [train, valid, test] = [split.train, split.valid, split.test].map((t) => processor.transform(t));
  return { splits: { train, valid, test }, modelArgs: processor.modelConfig() };
}

/** The published test rows as test and a seeded 90/10 cut of the training file; a seeded 80/10/10 split without a test file. */
function splitWithPublishedTest(train: RawTable, test: RawTable | null): DataSplit {
  if (!test) return randomSplit(train, { seed: SPLIT_SEED, fractions: RANDOM_FRACTIONS });
  const cut = randomSplit(train, { seed: SPLIT_SEED, fractions: TRAIN_VALID_FRACTIONS });
  return { train: cut.train, valid: cut.valid, test };
}

/** The first `limit` rows (for loaders that read whole files). */
function firstRows(table: RawTable, limit?: number): RawTable {
  if (limit === undefined || table.numRows <= limit) return table;
  return takeRows(table, Array.from({ length: limit }, (_, i) => i));
}

/** The Amazon file to read: the path itself, or the one 5-core reviews file (else the one ratings CSV) of a folder. */
function amazonFile(p: string): string {
  if (!statSync(p).isDirectory()) return p;
  const names = readdirSync(p).sort();
  const reviews = names.filter((n) => /^reviews_.+_5\.json$/.test(n));
  const ratings = names.filter((n) => /^ratings_.+\.csv$/.test(n));
  const candidates = reviews.length ? reviews : ratings;
  if (candidates.length !== 1) {
    throw new Error(
      `amazon: ${p} must hold one reviews_<Category>_5.json (or, without one, one ratings_<Category>.csv); found ${[...reviews, ...ratings].join(', ') || 'neither'}. Pass the file itself to choose.`,
    );
  }
  return path.join(p, candidates[0]);
}

/** AUC of pCVR against purchase on the clicked rows only: the CVR AUC of the ESMM paper. */
function cvrAucOnClicks(test: ColumnarInput, cvr: Float32Array): number {
  const click = test.click as Float32Array;
  const purchase = test.purchase as Float32Array;
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < click.length; i++) {
    if (click[i] === 1) {
      labels.push(purchase[i]);
      scores.push(cvr[i]);
    }
  }
  return auc(labels, scores);
}

/** Settings of the next-item view that configs may set in `data.options`. */
const NEXT_ITEM_OPTIONS = ['maxLen', 'embeddingDim'];

function positiveIntOption(options: Record<string, unknown>, name: string, fallback: number): number {
  const v = options[name] ?? fallback;
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`data.options.${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return v as number;
}

/**
 * Next-item retrieval from time-ordered user sequences, leave-one-out (the SASRec / HSTU protocol): per user, the
 * latest interaction is the test target, the one before it the validation target, and the earlier ones the
 * training sequence (users with fewer than 3 interactions train only). Item keys get dense ids 1..V over the whole
 * log, so the catalogue every target is ranked against is every item of the data.
 *
 * Columns: training rows `hist` (the most recent `maxLen` items of a training sequence with at least 2 items) and
 * `hist_time`; valid / test rows `hist` (the history before the target, most recent `maxLen`), `hist_time`,
 * `target_item` and `target_time` (the time of the held-out interaction, i.e. of the request). Configs pass the
 * times to HSTU with `timestampColumn: hist_time, targetTimeColumn: target_time`.
 */
export function nextItemTaskFromSequences(seqs: UserSequences, opts: { maxLen: number; embeddingDim: number }): BenchTask {
  const { maxLen, embeddingDim } = opts;
  const split = nextItemExamples(seqs, { maxLen, examples: false });
  const { ids } = denseItemIds(seqs);
  const idOf = (key: unknown): number => ids.get(key as string)!;
  const hist: number[][] = [];
  const histTime: number[][] = [];
  split.trainSequences.items.forEach((items, u) => {
    if (items.length < 2) return; // no next item to learn from
    const start = Math.max(0, items.length - maxLen);
    hist.push(items.slice(start).map(idOf));
    histTime.push(split.trainSequences.times[u].slice(start));
  });
  const evalRows = (t: RawTable): ColumnarInput =>
    ({
      hist: t.columns.hist.map((h) => (h as string[]).map(idOf)),
      hist_time: t.columns.hist_time,
      target_item: Int32Array.from(t.columns.target, idOf),
      target_time: Float64Array.from(t.columns.target_time as number[]),
    }) as unknown as ColumnarInput;
  const history = new SequenceFeature({ name: 'hist', vocabSize: ids.size + 1, embeddingDim, maxLen, embeddingName: 'item' });
  const train = { hist, hist_time: histTime } as unknown as ColumnarInput;
  // 256 rows per scoring chunk: at history 200 the default chunk (~1,100 rows against 3,706 items) exhausted wasm
  // memory on a full-size MovieLens-1M stand-in, 256 peaked at 1.9 GB (HSTU) and 512 at 3.3 GB for a 13% gain
  return nextItemTask({ train, valid: evalRows(split.valid), test: evalRows(split.test) }, { sequenceFeatures: [history] }, { evalBatchSize: 256 });
}

/** Datasets by the name used in `--data <name>:<path>` and in configs' `data.datasets`. */
export const FILE_DATASETS: Record<string, FileDataset> = {
  'movielens-1m': {
    layout: 'a folder with ratings.dat, users.dat and movies.dat (the ml-1m archive)',
    tasks: {
      /** CTR view (rating >= 4) with user and movie side columns, seeded 80/10/10 split. */
      ranking: {
        async build(dir, options) {
          const ds = await loadMovieLens1M(dir, { limit: options.limit });
          const split = ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS, ds.ctr({ threshold: 4 }));
          const { splits, modelArgs } = await encode(split, {
            sparse: ['user_id', 'item_id', 'gender', 'age', 'occupation', 'zip'],
            labels: ['label'],
            embeddingDim: EMBEDDING_DIM,
          });
          return binaryTask(splits, modelArgs);
        },
      },
      /**
       * Next-item view: every rating (no threshold) ordered by time per user (ties keep file order), leave-one-out,
       * as in the SASRec and HSTU papers; history length 200 and item dimension 50 unless the config says otherwise.
       */
      generative: {
        options: NEXT_ITEM_OPTIONS,
        async build(dir, options) {
          const ds = await loadMovieLens1M(dir, { limit: options.limit });
          const o = options.options ?? {};
          return nextItemTaskFromSequences(ds.sequences(), { maxLen: positiveIntOption(o, 'maxLen', 200), embeddingDim: positiveIntOption(o, 'embeddingDim', 50) });
        },
      },
    },
  },
  /** Criteo display advertising challenge: label, 13 counts, 26 categories; seeded 80/10/10 split (the published test.txt has no labels). */
  criteo: {
    layout: 'train.txt of the Criteo display advertising challenge (tab-separated, no header), or its folder',
    tasks: {
      ranking: {
        async build(p, options) {
          const ds = await loadCriteo(p, { limit: options.limit });
          const { splits, modelArgs } = await encode(ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
          return binaryTask(splits, modelArgs);
        },
      },
    },
  },
  /** Avazu: label click; split by time (earliest 80% of hours train, latest 10% test), since the published test.csv has no labels. */
  avazu: {
    layout: 'the Avazu train.csv (with its header), or its folder',
    tasks: {
      ranking: {
        async build(p, options) {
          const ds = await loadAvazu(p, { limit: options.limit });
          const { splits, modelArgs } = await encode(ds.temporalSplit(RANDOM_FRACTIONS), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
          return binaryTask(splits, modelArgs);
        },
      },
    },
  },
  /** Amazon reviews of one category, CTR view (rating >= 4) of user and item ids, seeded 80/10/10 split. */
  amazon: {
    layout: 'a 5-core reviews_<Category>_5.json or a ratings-only ratings_<Category>.csv, or a folder holding one of them',
    tasks: {
      ranking: {
        async build(p, options) {
          const ds = await loadAmazonReviews(amazonFile(p), { limit: options.limit });
          const split = ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS, ds.ctr({ threshold: 4 }));
          const { splits, modelArgs } = await encode(split, ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
          return binaryTask(splits, modelArgs);
        },
      },
    },
  },
  /**
   * Ali-CCP (simplified CSV export): click and purchase, where purchase implies click, so it is the CTCVR label ESMM
   * expects as its second target. Published test file as test; ESMM is also scored on CVR over clicked rows.
   */
  'ali-ccp': {
    layout: 'a folder with ali_ccp_train.csv and optionally ali_ccp_test.csv (header: click, purchase, one column per feature field), or the training CSV',
    tasks: {
      multitask: {
        async build(p, options) {
          const ds = await loadAliCCP(p, { limit: options.limit });
          const { splits, modelArgs } = await encode(splitWithPublishedTest(ds.table, ds.testTable), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
          return multiTaskTask(splits, modelArgs, {
            targets: ['click', 'purchase'],
            extraMetrics: (preds, test): Record<string, number> => (preds.cvr ? { auc_cvr_clicked: cvrAucOnClicks(test, preds.cvr) } : {}),
          });
        },
      },
    },
  },
  /** UCI census-income (KDD): income > 50K and never married, the two tasks of the MMoE paper; published test file as test. */
  census: {
    layout: 'a folder with census-income.data and optionally census-income.test (UCI census-income KDD, comma-separated, no header)',
    tasks: {
      multitask: {
        async build(dir, options) {
          const ds = await loadCensusIncome(dir);
          // the loader reads whole files (300k rows at most), so the row limit is applied here
          const train = firstRows(ds.table, options.limit);
          const test = ds.testTable && firstRows(ds.testTable, options.limit);
          const { splits, modelArgs } = await encode(splitWithPublishedTest(train, test), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
          return multiTaskTask(splits, modelArgs, { targets: ['income_50k', 'never_married'] });
        },
      },
    },
  },
};

/** A dataset named on the command line and where its files are. */
export interface DataRef {
  dataset: string;
  path: string;
}

/**
 * Parse `<dataset>:<path>` and check that the path exists and is not an empty folder, so that a typo fails before
 * any model is trained. Errors list the known dataset names or name the path and the expected files.
 */
export function parseDataArg(value: string): DataRef {
  const colon = value.indexOf(':');
  const dataset = colon >= 0 ? value.slice(0, colon) : value;
  const dataPath = colon >= 0 ? value.slice(colon + 1) : '';
  const known = FILE_DATASETS[dataset];
  if (!known) throw new Error(`--data: unknown dataset '${dataset}' (known: ${Object.keys(FILE_DATASETS).join(', ')}); the form is <dataset>:<path>`);
  if (!dataPath) throw new Error(`--data ${dataset}: no path given; the form is ${dataset}:<path>, the path being ${known.layout}`);
  if (!existsSync(dataPath)) throw new Error(`--data ${dataset}: path '${dataPath}' does not exist (expected ${known.layout})`);
  if (statSync(dataPath).isDirectory() && readdirSync(dataPath).length === 0) {
    throw new Error(`--data ${dataset}: directory '${dataPath}' is empty (expected ${known.layout})`);
  }
  return { dataset, path: dataPath };
}

/** The task of `dataset` for models of `family`; the error names the families the dataset has tasks for. */
export function fileTask(dataset: string, family: string): FileTask {
  const known = FILE_DATASETS[dataset];
  if (!known) throw new Error(`unknown dataset '${dataset}' (known: ${Object.keys(FILE_DATASETS).join(', ')})`);
  const task = known.tasks[family as TaskFamily];
  if (!task) throw new Error(`dataset ${dataset} has no task for ${family} models (it has: ${Object.keys(known.tasks).join(', ')})`);
  return task;
}

/** Build the task that models of `family` train on, for a parsed `--data` reference. */
export async function buildFileTask(ref: DataRef, family: string, options: FileTaskOptions = {}): Promise<BenchTask> {
  const task = fileTask(ref.dataset, family);
  const accepted = task.options ?? [];
  const unknown = Object.keys(options.options ?? {}).filter((k) => !accepted.includes(k));
  if (unknown.length) throw new Error(`${ref.dataset} (${family}): unknown data option(s) ${unknown.join(', ')} (accepted: ${accepted.join(', ') || 'none'})`);
  return task.build(ref.path, options);
}
