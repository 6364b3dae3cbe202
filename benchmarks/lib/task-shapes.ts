/**
 * The shape of a leaderboard task and the evaluation shapes shared by synthetic and file-based tasks: one binary
 * label (AUC, logloss), several binary tasks scored per task (AUC per target and their mean), and next-item
 * retrieval ranked over the full catalogue (HR@k, NDCG@k, MRR).
 */
import type { BaseModel } from '../../src/basic/model/base-model';
import type { ColumnarInput } from '../../src/basic/dataset/dataset';
import { auc } from '../../src/basic/metrics';

/** A prepared leaderboard task. */
export interface BenchTask {
  /** Training rows (columns) and validation rows. */
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  /** Rows in the training split (for samples/s). */
  trainRows: number;
  /** Constructor arguments that come from the data (features, targets, feature roles). */
  modelArgs: Record<string, unknown>;
  /** Quality metrics of a trained model on the test split (with `oracle_*` entries where known). */
  evaluate(model: BaseModel): Promise<Record<string, number>>;
  /** Name of the headline quality metric (for the chart and sorting). */
  primaryMetric: string;
  /** Inference over the test split (used for inference samples/s). */
  infer(model: BaseModel): Promise<unknown>;
  testRows: number;
  /** Side inputs a model needs before fit (TIGER's semantic ids, HLLM's item embeddings); models without the setter are untouched. */
  prepare?(model: BaseModel): void;
}

/** Encoded train / validation / test columns. */
export interface EncodedSplits {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
}

/** Number of rows of a column set. */
export function rowsOf(data: ColumnarInput): number {
  return Object.values(data)[0].length;
}

/** The data part of a BenchTask: the three splits and their row counts. */
export function splitsOf(d: EncodedSplits): Pick<BenchTask, 'train' | 'valid' | 'test' | 'trainRows' | 'testRows'> {
  return { train: d.train, valid: d.valid, test: d.test, trainRows: rowsOf(d.train), testRows: rowsOf(d.test) };
}

/**
 * One binary label: `auc` and `logloss` from the model's own evaluate (so configs must compile those metrics), plus
 * `oracle_auc` and `auc_vs_oracle` when the generator knows the true click probabilities (real data does not).
 */
export function binaryTask(d: EncodedSplits, modelArgs: Record<string, unknown>, oracleAuc?: number): BenchTask {
  return {
    ...splitsOf(d),
    modelArgs,
    primaryMetric: 'auc',
    async evaluate(model) {
      const r = await model.evaluate(d.test);
      const out: Record<string, number> = { auc: r.auc, logloss: r.logloss };
      if (oracleAuc !== undefined) Object.assign(out, { oracle_auc: oracleAuc, auc_vs_oracle: r.auc / oracleAuc });
      return out;
    },
    infer: (model) => model.predict(d.test),
  };
}

/** How a multi-task problem is scored. */
export interface MultiTaskSpec {
  /** Binary label columns of the splits, which are also the model's targets, in the model's order. */
  targets: string[];
  /** Metric suffix of a target where the column name would mislead (the funnel's 'conversion' column is the CTCVR label). */
  metricNames?: Record<string, string>;
  /** True probabilities per target on the test split, when a generator knows them: adds `oracle_auc_*`. */
  oracle?: Record<string, ArrayLike<number>>;
  /** Metrics particular to the problem, computed from the same predictions (e.g. ESMM's CVR). */
  extraMetrics?(preds: Record<string, Float32Array>, test: ColumnarInput): Record<string, number>;
}

/**
 * Several binary tasks scored from `predictTargets`: `auc_<task>` per target and `auc_mean` (the headline metric),
 * the same for the oracle when known, then the spec's extra metrics. The model gets `targets` from the spec.
 */
export function multiTaskTask(d: EncodedSplits, modelArgs: Record<string, unknown>, spec: MultiTaskSpec): BenchTask {
  const metricName = (target: string): string => spec.metricNames?.[target] ?? target;
  const meanOf = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    ...splitsOf(d),
    modelArgs: { ...modelArgs, targets: spec.targets },
    primaryMetric: 'auc_mean',
    async evaluate(model) {
      const preds = await model.predictTargets(d.test);
      const out: Record<string, number> = {};
      const aucs = spec.targets.map((t) => (out[`auc_${metricName(t)}`] = auc(d.test[t] as Float32Array, preds[t])));
      out.auc_mean = meanOf(aucs);
      const oracle = spec.oracle;
      if (oracle) {
        const oracleAucs = spec.targets.map((t) => (out[`oracle_auc_${metricName(t)}`] = auc(d.test[t] as Float32Array, oracle[t])));
        out.oracle_auc_mean = meanOf(oracleAucs);
      }
      return { ...out, ...(spec.extraMetrics?.(preds, d.test) ?? {}) };
    },
    infer: (model) => model.predictTargets(d.test),
  };
}

/** Metrics a next-item task reports by default, in this order (all from the model's own evaluate). */
export const NEXT_ITEM_METRICS = ['hr@10', 'ndcg@10', 'hr@50', 'ndcg@50', 'mrr'];

/** How a next-item task is scored. */
export interface NextItemSpec {
  /** Keys of the model's evaluate report to keep, in order (default NEXT_ITEM_METRICS). */
  metrics?: string[];
  /** Metrics known from the data alone (e.g. the synthetic generator's oracle hit rate). */
  extraMetrics?(): Record<string, number>;
  /** Rows scored per chunk by evaluate (default: the model's); long histories need small chunks to fit wasm memory. */
  evalBatchSize?: number;
}

/**
 * Next-item retrieval (HSTU, SASRec): one training row per sequence, and valid / test rows of a history and its
 * held-out next item, ranked against the whole catalogue by the model's own `evaluate` (HR@k, NDCG@k, MRR; nothing
 * excluded). `hr@10` is the headline metric; inference throughput is that of the same evaluation.
 */
export function nextItemTask(d: EncodedSplits, modelArgs: Record<string, unknown>, spec: NextItemSpec = {}): BenchTask {
  const keys = spec.metrics ?? NEXT_ITEM_METRICS;
  return {
    ...splitsOf(d),
    modelArgs,
    primaryMetric: 'hr@10',
    async evaluate(model) {
      const r = await model.evaluate(d.test, { batchSize: spec.evalBatchSize });
      const out: Record<string, number> = {};
      for (const k of keys) out[k] = r[k];
      return { ...out, ...(spec.extraMetrics?.() ?? {}) };
    },
    infer: (model) => model.evaluate(d.test, { batchSize: spec.evalBatchSize }),
  };
}
