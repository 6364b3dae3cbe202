/**
 * Real datasets read from local files (`npm run bench -- --data <dataset>:<path>`): each entry loads the dataset
 * with its loader (src/data/loaders), splits it (seeded, or the dataset's published test file), fits a
 * DataProcessor on the training part only, and returns the same BenchTask shape as the synthetic tasks.
 * Formats of the files: docs/data.md.
 */
import { existsSync, readdirSync, statSync } from 'fs';
import * as path from 'path';
import { auc } from '../../src/basic/metrics';
import type { ColumnarInput } from '../../src/data/dataset';
import { DataProcessor, DataProcessorConfig } from '../../src/data/processor';
import {
  DataSplit,
  loadAliCCP,
  loadAmazonReviews,
  loadAvazu,
  loadCensusIncome,
  loadCriteo,
  loadMovieLens1M,
  randomSplit,
  RawTable,
  takeRows,
} from '../../src/data/loaders';
import { BenchTask, binaryTask, EncodedSplits, multiTaskTask } from './task-shapes';

/** Options every file task takes. */
export interface FileTaskOptions {
  /** Read at most this many rows of each file (quick runs, or a sample of a dataset too big for memory). */
  limit?: number;
}

/** A real dataset the leaderboard can train on. */
export interface FileTask {
  /** Family of the models it feeds; configs under benchmarks/configs/datasets list the datasets they run on. */
  family: 'ranking' | 'multitask';
  /** What the path given to --data must hold (shown in errors and docs). */
  layout: string;
  /** Load, split and encode the dataset under `dataPath`. */
  build(dataPath: string, options: FileTaskOptions): Promise<BenchTask>;
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

/** Datasets by the name used in `--data <name>:<path>` and in configs' `data.datasets`. */
export const FILE_TASKS: Record<string, FileTask> = {
  /** MovieLens-1M, CTR view (rating >= 4), seeded 80/10/10 split. */
  'movielens-1m': {
    family: 'ranking',
    layout: 'a folder with ratings.dat, users.dat and movies.dat (the ml-1m archive)',
    async build(dir, options) {
      const ds = await loadMovieLens1M(dir, options);
      const split = ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS, ds.ctr({ threshold: 4 }));
      const { splits, modelArgs } = await encode(split, {
        sparse: ['user_id', 'item_id', 'gender', 'age', 'occupation', 'zip'],
        labels: ['label'],
        embeddingDim: EMBEDDING_DIM,
      });
      return binaryTask(splits, modelArgs);
    },
  },
  /** Criteo display advertising challenge: label, 13 counts, 26 categories; seeded 80/10/10 split (the published test.txt has no labels). */
  criteo: {
    family: 'ranking',
    layout: 'train.txt of the Criteo display advertising challenge (tab-separated, no header), or its folder',
    async build(p, options) {
      const ds = await loadCriteo(p, options);
      const { splits, modelArgs } = await encode(ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
      return binaryTask(splits, modelArgs);
    },
  },
  /** Avazu: label click; split by time (earliest 80% of hours train, latest 10% test), since the published test.csv has no labels. */
  avazu: {
    family: 'ranking',
    layout: 'the Avazu train.csv (with its header), or its folder',
    async build(p, options) {
      const ds = await loadAvazu(p, options);
      const { splits, modelArgs } = await encode(ds.temporalSplit(RANDOM_FRACTIONS), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
      return binaryTask(splits, modelArgs);
    },
  },
  /** Amazon reviews of one category, CTR view (rating >= 4) of user and item ids, seeded 80/10/10 split. */
  amazon: {
    family: 'ranking',
    layout: 'a 5-core reviews_<Category>_5.json or a ratings-only ratings_<Category>.csv, or a folder holding one of them',
    async build(p, options) {
      const ds = await loadAmazonReviews(amazonFile(p), options);
      const split = ds.randomSplit(SPLIT_SEED, RANDOM_FRACTIONS, ds.ctr({ threshold: 4 }));
      const { splits, modelArgs } = await encode(split, ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
      return binaryTask(splits, modelArgs);
    },
  },
  /**
   * Ali-CCP (simplified CSV export): click and purchase, where purchase implies click, so it is the CTCVR label ESMM
   * expects as its second target. Published test file as test; ESMM is also scored on CVR over clicked rows.
   */
  'ali-ccp': {
    family: 'multitask',
    layout: 'a folder with ali_ccp_train.csv and optionally ali_ccp_test.csv (header: click, purchase, one column per feature field), or the training CSV',
    async build(p, options) {
      const ds = await loadAliCCP(p, options);
      const { splits, modelArgs } = await encode(splitWithPublishedTest(ds.table, ds.testTable), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
      return multiTaskTask(splits, modelArgs, {
        targets: ['click', 'purchase'],
        extraMetrics: (preds, test): Record<string, number> => (preds.cvr ? { auc_cvr_clicked: cvrAucOnClicks(test, preds.cvr) } : {}),
      });
    },
  },
  /** UCI census-income (KDD): income > 50K and never married, the two tasks of the MMoE paper; published test file as test. */
  census: {
    family: 'multitask',
    layout: 'a folder with census-income.data and optionally census-income.test (UCI census-income KDD, comma-separated, no header)',
    async build(dir, options) {
      const ds = await loadCensusIncome(dir);
      // the loader reads whole files (300k rows at most), so the row limit is applied here
      const train = firstRows(ds.table, options.limit);
      const test = ds.testTable && firstRows(ds.testTable, options.limit);
      const { splits, modelArgs } = await encode(splitWithPublishedTest(train, test), ds.processorConfig({ embeddingDim: EMBEDDING_DIM }));
      return multiTaskTask(splits, modelArgs, { targets: ['income_50k', 'never_married'] });
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
  const task = FILE_TASKS[dataset];
  if (!task) throw new Error(`--data: unknown dataset '${dataset}' (known: ${Object.keys(FILE_TASKS).join(', ')}); the form is <dataset>:<path>`);
  if (!dataPath) throw new Error(`--data ${dataset}: no path given; the form is ${dataset}:<path>, the path being ${task.layout}`);
  if (!existsSync(dataPath)) throw new Error(`--data ${dataset}: path '${dataPath}' does not exist (expected ${task.layout})`);
  if (statSync(dataPath).isDirectory() && readdirSync(dataPath).length === 0) {
    throw new Error(`--data ${dataset}: directory '${dataPath}' is empty (expected ${task.layout})`);
  }
  return { dataset, path: dataPath };
}

/** Build the task of a parsed `--data` reference. */
export function buildFileTask(ref: DataRef, options: FileTaskOptions = {}): Promise<BenchTask> {
  return FILE_TASKS[ref.dataset].build(ref.path, options);
}
