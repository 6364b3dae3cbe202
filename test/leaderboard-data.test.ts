import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { BenchConfig, readConfigs, selectConfigs } from '../benchmarks/lib/config';
import { buildFileTask, FILE_DATASETS, parseDataArg } from '../benchmarks/lib/file-tasks';
import { runOne } from '../benchmarks/lib/run-one';

const FX = path.join(__dirname, 'fixtures');
const CONFIGS = path.join(__dirname, '..', 'benchmarks', 'configs');
const DATASET_CONFIGS = path.join(CONFIGS, 'datasets');

let empty: string;
beforeAll(() => {
  empty = mkdtempSync(path.join(tmpdir(), 'nextrec-bench-data-'));
});
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('--data <dataset>:<path>', () => {
  it('lists the known datasets when the name is unknown', () => {
    expect(() => parseDataArg(`criteo-1tb:${FX}`)).toThrow("--data: unknown dataset 'criteo-1tb' (known: movielens-1m, criteo, avazu, amazon, ali-ccp, census)");
  });

  it('names the path when it is missing, empty or not given', () => {
    const missing = path.join(empty, 'nowhere');
    expect(() => parseDataArg(`criteo:${missing}`)).toThrow(`--data criteo: path '${missing}' does not exist (expected train.txt of the Criteo`);
    expect(() => parseDataArg(`census:${empty}`)).toThrow(`--data census: directory '${empty}' is empty (expected a folder with census-income.data`);
    expect(() => parseDataArg('avazu')).toThrow('--data avazu: no path given; the form is avazu:<path>');
  });
});

describe('dataset configs', () => {
  it('every config names datasets with a task for its family, and every task of a dataset has configs', async () => {
    const configs = await readConfigs(DATASET_CONFIGS);
    for (const { file, config } of configs) {
      for (const d of config.data.datasets!) {
        expect([file, d, config.family, Boolean(FILE_DATASETS[d]?.tasks[config.family as 'ranking'])]).toEqual([file, d, config.family, true]);
      }
    }
    for (const [dataset, { tasks }] of Object.entries(FILE_DATASETS)) {
      for (const family of Object.keys(tasks)) expect([dataset, family, selectConfigs(configs, { dataset, family }).length > 0]).toEqual([dataset, family, true]);
    }
    expect(selectConfigs(configs, { dataset: 'criteo' }).map(({ config }) => config.model)).toEqual(['DCNv2', 'DeepFM']);
    // MovieLens-1M feeds two families: the CTR view (ranking) and the next-item view (generative)
    expect(selectConfigs(configs, { dataset: 'movielens-1m' }).map(({ config }) => `${config.model} (${config.family})`)).toEqual([
      'HSTU (generative)', 'SASRec (generative)', 'DCNv2 (ranking)', 'DeepFM (ranking)',
    ]);
    // ESMM needs a click -> conversion funnel: Ali-CCP has one, census-income does not
    expect(selectConfigs(configs, { dataset: 'ali-ccp' }).map(({ config }) => config.model)).toEqual(['ESMM', 'MMoE', 'PLE', 'SharedBottom']);
    expect(selectConfigs(configs, { dataset: 'census' }).map(({ config }) => config.model)).toEqual(['MMoE', 'PLE', 'SharedBottom']);
    expect(() => selectConfigs(configs, { dataset: 'census', family: 'ranking' })).toThrow(
      'no config matches --family ranking and dataset census; configs for census: mmoe (multitask), ple (multitask), sharedbottom (multitask)',
    );
  });

  it('synthetic runs still select only the synthetic configs', async () => {
    const synthetic = selectConfigs(await readConfigs(CONFIGS), {});
    expect(synthetic.length).toBeGreaterThan(10);
    expect(synthetic.every(({ config }) => config.data.synthetic)).toBe(true);
  });
});

describe('file tasks on the fixtures', () => {
  it('split seeded 80/10/10, by time (Avazu), or with the published test file (Ali-CCP, census)', async () => {
    const rows = async (dataset: string, dir: string) => {
      const t = await buildFileTask({ dataset, path: path.join(FX, dir) }, dataset === 'ali-ccp' || dataset === 'census' ? 'multitask' : 'ranking');
      return [t.trainRows, t.valid[Object.keys(t.valid)[0]].length, t.testRows];
    };
    expect(await rows('criteo', 'criteo')).toEqual([48, 6, 6]);
    expect(await rows('avazu', 'avazu')).toEqual([24, 3, 3]);
    expect(await rows('ali-ccp', 'aliccp')).toEqual([27, 3, 10]);
    expect(await rows('census', 'census')).toEqual([27, 3, 10]);
    const census = await buildFileTask({ dataset: 'census', path: path.join(FX, 'census') }, 'multitask', { limit: 12 });
    expect([census.trainRows, census.testRows]).toEqual([11, 10]);
  });

  // One tiny epoch of the first config listing each dataset, through the same runOne the leaderboard's children call.
  const cases: Array<{ dataset: string; dir: string; model: string; family?: string; metrics: string[] }> = [
    { dataset: 'criteo', dir: 'criteo', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'avazu', dir: 'avazu', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'amazon', dir: 'amazon', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'ali-ccp', dir: 'aliccp', model: 'ESMM', metrics: ['auc_click', 'auc_purchase', 'auc_mean', 'auc_cvr_clicked'] },
    { dataset: 'census', dir: 'census', model: 'MMoE', metrics: ['auc_income_50k', 'auc_never_married', 'auc_mean'] },
    { dataset: 'movielens-1m', dir: 'ml-1m', model: 'HSTU', family: 'generative', metrics: ['hr@10', 'ndcg@10', 'hr@50', 'ndcg@50', 'mrr'] },
    { dataset: 'movielens-1m', dir: 'ml-1m', model: 'SASRec', family: 'generative', metrics: ['hr@10', 'ndcg@10', 'hr@50', 'ndcg@50', 'mrr'] },
  ];
  it.each(cases)('$dataset: $model trains one epoch and reports finite $metrics', async ({ dataset, dir, model, family, metrics }) => {
    const config = selectConfigs(await readConfigs(DATASET_CONFIGS), { dataset, family }).find((c) => c.config.model === model)!.config;
    const r = await runOne(config, true, 1, { dataset, path: path.join(FX, dir) });
    expect(r.name).toBe(`${config.name}@${dataset}`);
    expect(r.task).toBe(dataset);
    expect(r.epochs).toBe(1);
    expect(Object.keys(r.metrics)).toEqual(metrics);
    for (const k of metrics) expect([k, Number.isFinite(r.metrics[k])]).toEqual([k, true]);
    expect(r.primaryMetric).toBe(metrics.includes('auc_mean') ? 'auc_mean' : metrics[0]);
  });
});

describe('MovieLens-1M next-item view (generative task) on the fixture', () => {
  const ML = path.join(FX, 'ml-1m');
  type Rows = { hist: number[][]; hist_time: number[][]; target_item?: Int32Array; target_time?: Float64Array };

  /** Each user's (item, time) pairs from ratings.dat, ordered by time with ties in file order: the expected protocol. */
  function sequencesFromFile(): Array<{ items: number[]; times: number[] }> {
    const byUser = new Map<string, Array<{ item: number; time: number; line: number }>>();
    readFileSync(path.join(ML, 'ratings.dat'), 'latin1')
      .trim()
      .split('\n')
      .forEach((line, i) => {
        const [user, item, , time] = line.split('::');
        if (!byUser.has(user)) byUser.set(user, []);
        byUser.get(user)!.push({ item: Number(item), time: Number(time), line: i });
      });
    return [...byUser.values()].map((rs) => {
      rs.sort((a, b) => a.time - b.time || a.line - b.line);
      return { items: rs.map((r) => r.item), times: rs.map((r) => r.time) };
    });
  }

  it('leave-one-out: test = latest item, valid = second-latest, training sequences exclude both; ids dense; times aligned', async () => {
    const task = await buildFileTask({ dataset: 'movielens-1m', path: ML }, 'generative');
    const users = sequencesFromFile();
    expect(users.map((u) => u.items.length)).toEqual([4, 5, 3, 4]); // every fixture user has >= 3 ratings
    // all 6 movies are rated and the dense ids follow the movie ids in ascending order, so here id = movie id
    const [history] = task.modelArgs.sequenceFeatures as Array<{ name: string; vocabSize: number; maxLen: number; embeddingDim: number }>;
    expect([history.name, history.vocabSize, history.maxLen, history.embeddingDim]).toEqual(['hist', 7, 200, 50]);
    const test = task.test as unknown as Rows;
    const valid = task.valid as unknown as Rows;
    const train = task.train as unknown as Rows;
    expect([task.testRows, valid.hist.length]).toEqual([4, 4]);
    users.forEach(({ items, times }, u) => {
      const n = items.length;
      expect([u, test.target_item![u], test.target_time![u]]).toEqual([u, items[n - 1], times[n - 1]]);
      expect([u, test.hist[u], test.hist_time[u]]).toEqual([u, items.slice(0, n - 1), times.slice(0, n - 1)]);
      expect([u, valid.target_item![u], valid.target_time![u]]).toEqual([u, items[n - 2], times[n - 2]]);
      expect([u, valid.hist[u], valid.hist_time[u]]).toEqual([u, items.slice(0, n - 2), times.slice(0, n - 2)]);
    });
    // one training row per user whose training part (all but the last two) has a next item: user 3 (3 ratings) has none
    const expectedTrain = users.map(({ items, times }) => ({ items: items.slice(0, -2), times: times.slice(0, -2) })).filter((s) => s.items.length >= 2);
    expect(train.hist).toEqual(expectedTrain.map((s) => s.items));
    expect(train.hist_time).toEqual(expectedTrain.map((s) => s.times));
    expect(task.trainRows).toBe(3);
  });

  it('data.options set the history length; unknown options and families are errors', async () => {
    const short = await buildFileTask({ dataset: 'movielens-1m', path: ML }, 'generative', { options: { maxLen: 2 } });
    const test = short.test as unknown as Rows;
    // the most recent 2 items of each history, with their times
    const users = sequencesFromFile();
    users.forEach(({ items, times }, u) => expect([test.hist[u], test.hist_time[u]]).toEqual([items.slice(-3, -1), times.slice(-3, -1)]));
    await expect(buildFileTask({ dataset: 'movielens-1m', path: ML }, 'generative', { options: { maxlen: 50 } })).rejects.toThrow(
      'movielens-1m (generative): unknown data option(s) maxlen (accepted: maxLen, embeddingDim)',
    );
    await expect(buildFileTask({ dataset: 'movielens-1m', path: ML }, 'generative', { options: { maxLen: 0 } })).rejects.toThrow('data.options.maxLen must be a positive integer (got 0)');
    await expect(buildFileTask({ dataset: 'criteo', path: path.join(FX, 'criteo') }, 'generative')).rejects.toThrow('dataset criteo has no task for generative models (it has: ranking)');
  });
});

describe('synthetic multi-task tasks share the per-task evaluation', () => {
  const tiny = (model: string, synthetic: string, options: Record<string, unknown>): BenchConfig => ({
    name: `tiny-${model}`,
    family: 'multitask',
    model,
    params: { seed: 1 },
    data: { synthetic, options },
    fit: { epochs: 1, batchSize: 512 },
  });

  it('two-tasks: per-task AUC, mean and oracle', async () => {
    const r = await runOne(tiny('MMoE', 'two-tasks', { rows: 2000, seed: 5 }), false, 1);
    expect(Object.keys(r.metrics)).toEqual(['auc_click', 'auc_like', 'auc_mean', 'oracle_auc_click', 'oracle_auc_like', 'oracle_auc_mean']);
    expect(r.metrics.auc_mean).toBeCloseTo((r.metrics.auc_click + r.metrics.auc_like) / 2, 12);
  });

  it('funnel: click and CTCVR AUC, plus the CVR over the entire space for ESMM', async () => {
    const r = await runOne(tiny('ESMM', 'funnel', { rows: 3000, seed: 11 }), false, 1);
    expect(Object.keys(r.metrics)).toEqual([
      'auc_click', 'auc_ctcvr', 'auc_mean', 'oracle_auc_click', 'oracle_auc_ctcvr', 'oracle_auc_mean', 'auc_cvr_entire_space', 'oracle_auc_cvr_entire_space',
    ]);
    for (const v of Object.values(r.metrics)) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('the synthetic next-item task shares the next-item evaluation', () => {
  it('reports the model evaluate metrics it lists, then the oracle hit rate', async () => {
    const config: BenchConfig = {
      name: 'tiny-sasrec',
      family: 'generative',
      model: 'SASRec',
      params: { seed: 3, dropout: 0 },
      data: { synthetic: 'next-item', options: { numUsers: 60, numItems: 40 } },
      fit: { epochs: 1, batchSize: 32 },
    };
    const r = await runOne(config, false, 1);
    expect(Object.keys(r.metrics)).toEqual(['hr@10', 'ndcg@10', 'hr@50', 'mrr', 'oracle_hr@10']);
    for (const v of Object.values(r.metrics)) expect(Number.isFinite(v)).toBe(true);
    expect(r.primaryMetric).toBe('hr@10');
  });
});
