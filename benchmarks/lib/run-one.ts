/**
 * Train and measure one leaderboard config in this process (the leaderboard runs each config in a fresh child
 * process so that peak RSS and backend state are per model).
 */
import { BenchConfig } from './config';
import { makeTask } from './tasks';
import type { BenchTask } from './task-shapes';
import { buildFileTask, DataRef, FileTaskOptions } from './file-tasks';
import { modelOptionKeys } from '../../src/basic/model/option-checks';

/** One leaderboard row. */
export interface BenchResult {
  name: string;
  family: string;
  model: string;
  task: string;
  quick: boolean;
  metrics: Record<string, number>;
  primaryMetric: string;
  trainSamplesPerSec: number;
  inferenceSamplesPerSec: number;
  epochs: number;
  trainSeconds: number;
  parameters: { dense: number; embedding: number; total: number };
  peakRssMB: number;
  backend: string;
  threads: number;
  config: BenchConfig;
}

/**
 * Train, evaluate and time one config: on its synthetic task, or on a real dataset when `data` is given (the row is
 * then named `<config>@<dataset>`).
 */
export async function runOne(config: BenchConfig, quick: boolean, threads: number, data?: DataRef & FileTaskOptions): Promise<BenchResult> {
  const lib = await import('../../src');
  const info = await lib.initBackend({ threads, log: false });
  const options = { ...(config.data.options ?? {}), ...(quick ? config.data.quick ?? {} : {}) };
  let task: BenchTask;
  if (data) {
    // the dataset's view for this config's family (MovieLens-1M: CTR rows for ranking, sequences for generative)
    task = await buildFileTask(data, config.family, { limit: data.limit, options });
  } else {
    if (!config.data.synthetic) throw new Error(`${config.name}: data.synthetic is required (or run it with --data on one of its datasets)`);
    task = await makeTask(config.data.synthetic, options);
  }
  const Cls = lib.modelRegistry.resolve(config.model);
  const model = new Cls({ ...argsDeclaredBy(config.model, task.modelArgs), ...(config.params ?? {}) });
  task.prepare?.(model);
  model.compile(config.compile ?? {});
  const fitOpts = { ...(config.fit ?? {}), ...(quick ? config.quickFit ?? {} : {}) };
  const t0 = performance.now();
  const history = await model.fit(task.train, { validData: task.valid, verbose: 0, ...fitOpts });
  const trainSeconds = (performance.now() - t0) / 1000;
  const trainedSamples = history.epochs.reduce((s: number, e: { samplesPerSec: number; seconds: number }) => s + e.samplesPerSec * e.seconds, 0);
  const trainTime = history.epochs.reduce((s: number, e: { seconds: number }) => s + e.seconds, 0);
  const metrics = await task.evaluate(model);
  // inference throughput: repeat full passes over the test split for at least a second
  let passes = 0;
  const i0 = performance.now();
  do {
    await task.infer(model);
    passes++;
  } while (performance.now() - i0 < 1000 && passes < 20);
  const inferSeconds = (performance.now() - i0) / 1000;
  const result: BenchResult = {
    name: data ? `${config.name}@${data.dataset}` : config.name,
    family: config.family,
    model: config.model,
    task: data ? data.dataset : config.data.synthetic ?? 'unknown',
    quick,
    metrics,
    primaryMetric: task.primaryMetric,
    trainSamplesPerSec: Math.round(trainedSamples / Math.max(trainTime, 1e-9)),
    inferenceSamplesPerSec: Math.round((passes * task.testRows) / inferSeconds),
    epochs: history.epochs.length,
    trainSeconds: Number(trainSeconds.toFixed(1)),
    parameters: model.parameterCount(),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    backend: info.name,
    threads: info.threads,
    config,
  };
  model.dispose();
  await lib.shutdownBackend();
  return result;
}

/**
 * A task offers feature roles (behaviorFeature, targetItemFeature, ...) to the models that read them; a model whose
 * config does not declare a key gets none of it, so the strict option check still applies to the config's params.
 */
function argsDeclaredBy(modelName: string, args: Record<string, unknown>): Record<string, unknown> {
  const declared = modelOptionKeys(modelName);
  return declared ? Object.fromEntries(Object.entries(args).filter(([k]) => k in declared)) : args;
}
