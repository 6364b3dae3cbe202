import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { BenchConfig, readConfigs, selectConfigs } from '../benchmarks/lib/config';
import { buildFileTask, FILE_TASKS, parseDataArg } from '../benchmarks/lib/file-tasks';
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
  it('every dataset has configs of its family, and every config names known datasets', async () => {
    const configs = await readConfigs(DATASET_CONFIGS);
    for (const { file, config } of configs) {
      for (const d of config.data.datasets!) {
        expect([file, d, FILE_TASKS[d]?.family]).toEqual([file, d, config.family]);
      }
    }
    for (const dataset of Object.keys(FILE_TASKS)) expect(selectConfigs(configs, { dataset }).length).toBeGreaterThan(0);
    expect(selectConfigs(configs, { dataset: 'criteo' }).map(({ config }) => config.model)).toEqual(['DCNv2', 'DeepFM']);
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
      const t = await buildFileTask({ dataset, path: path.join(FX, dir) });
      return [t.trainRows, t.valid[Object.keys(t.valid)[0]].length, t.testRows];
    };
    expect(await rows('criteo', 'criteo')).toEqual([48, 6, 6]);
    expect(await rows('avazu', 'avazu')).toEqual([24, 3, 3]);
    expect(await rows('ali-ccp', 'aliccp')).toEqual([27, 3, 10]);
    expect(await rows('census', 'census')).toEqual([27, 3, 10]);
    const census = await buildFileTask({ dataset: 'census', path: path.join(FX, 'census') }, { limit: 12 });
    expect([census.trainRows, census.testRows]).toEqual([11, 10]);
  });

  // One tiny epoch of the first config listing each dataset, through the same runOne the leaderboard's children call.
  const cases: Array<{ dataset: string; dir: string; model: string; metrics: string[] }> = [
    { dataset: 'criteo', dir: 'criteo', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'avazu', dir: 'avazu', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'amazon', dir: 'amazon', model: 'DCNv2', metrics: ['auc', 'logloss'] },
    { dataset: 'ali-ccp', dir: 'aliccp', model: 'ESMM', metrics: ['auc_click', 'auc_purchase', 'auc_mean', 'auc_cvr_clicked'] },
    { dataset: 'census', dir: 'census', model: 'MMoE', metrics: ['auc_income_50k', 'auc_never_married', 'auc_mean'] },
  ];
  it.each(cases)('$dataset: $model trains one epoch and reports finite $metrics', async ({ dataset, dir, model, metrics }) => {
    const [{ config }] = selectConfigs(await readConfigs(DATASET_CONFIGS), { dataset });
    expect(config.model).toBe(model);
    const r = await runOne(config, true, 1, { dataset, path: path.join(FX, dir) });
    expect(r.name).toBe(`${config.name}@${dataset}`);
    expect(r.task).toBe(dataset);
    expect(r.epochs).toBe(1);
    expect(Object.keys(r.metrics)).toEqual(metrics);
    for (const k of metrics) expect([k, Number.isFinite(r.metrics[k])]).toEqual([k, true]);
    expect(r.primaryMetric).toBe(metrics.includes('auc_mean') ? 'auc_mean' : 'auc');
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
