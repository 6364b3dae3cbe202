/**
 * Built-in synthetic tasks of the leaderboard, one adapter per (family, generator): how to make the data, which
 * constructor arguments a model gets, and how quality is measured (with the oracle value where one exists).
 */
import type { BaseModel } from '../../src/basic/model/base-model';
import type { ColumnarInput } from '../../src/data/dataset';
import { auc } from '../../src/basic/metrics';
import { syntheticCtr } from '../../src/data/synthetic/ctr';
import { syntheticCross3 } from '../../src/data/synthetic/cross3';
import { syntheticInterestSequence } from '../../src/data/synthetic/interest-sequence';
import { syntheticFunnel } from '../../src/data/synthetic/funnel';
import { syntheticTwoTasks } from '../../src/data/synthetic/multitask';
import { syntheticRetrieval } from '../../src/data/synthetic/retrieval';
import { syntheticNextItem } from '../../src/data/synthetic/next-item';
import { featureFromSpec, featureToSpec, Feature } from '../../src/basic/features';

/** The same feature with a wider row initialiser (MIND's squash needs it, see docs/models-match.md). */
function withInitStd(f: Feature, std: number): Feature {
  const spec = featureToSpec(f) as unknown as Record<string, unknown>;
  return featureFromSpec({ ...spec, initializer: { type: 'normal', std } } as never);
}

type Retriever = BaseModel & { evaluateRetrieval(data: ColumnarInput, opts: { ks: number[]; groupBy?: string }): Promise<Record<string, number>> };

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
}

type TaskFactory = (options: Record<string, unknown>) => BenchTask;

function rowsOf(data: ColumnarInput): number {
  return Object.values(data)[0].length;
}

function binaryTask(
  d: { train: ColumnarInput; valid: ColumnarInput; test: ColumnarInput },
  modelArgs: Record<string, unknown>,
  oracleAuc: number,
): BenchTask {
  return {
    train: d.train,
    valid: d.valid,
    test: d.test,
    trainRows: rowsOf(d.train),
    testRows: rowsOf(d.test),
    modelArgs,
    primaryMetric: 'auc',
    async evaluate(model) {
      const r = await model.evaluate(d.test);
      return { auc: r.auc, logloss: r.logloss, oracle_auc: oracleAuc, auc_vs_oracle: r.auc / oracleAuc };
    },
    infer: (model) => model.predict(d.test),
  };
}

/** Tasks by name as used in configs (`data.synthetic`). */
export const TASKS: Record<string, TaskFactory> = {
  /** CTR with pairwise interactions and a dense term (src/data/synthetic/ctr.ts). */
  ctr(options) {
    const d = syntheticCtr({ rows: 200_000, seed: 7, ...options });
    return binaryTask(d, { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures }, d.oracle.test.oracleAuc);
  },
  /** CTR whose signal is a third-order cross (src/data/synthetic/cross3.ts). */
  cross3(options) {
    const d = syntheticCross3({ rows: 100_000, ...options });
    return binaryTask(d, { sparseFeatures: d.sparseFeatures }, d.oracle.test.oracleAuc);
  },
  /** Behaviour sequences with a drifting interest (src/data/synthetic/interest-sequence.ts). */
  'interest-sequence'(options) {
    const d = syntheticInterestSequence({ rows: 20_000, ...options });
    return binaryTask(
      d,
      {
        sparseFeatures: d.sparseFeatures,
        sequenceFeatures: d.sequenceFeatures,
        behaviorFeature: d.behaviorFeature.name,
        targetItemFeature: d.targetItemFeature.name,
        contextFeatures: d.contextFeatures.map((f) => f.name),
      },
      d.oracle.test.oracleAuc,
    );
  },
  /** Impression -> click -> conversion funnel (src/data/synthetic/funnel.ts). */
  funnel(options) {
    const d = syntheticFunnel({ rows: 200_000, ...options } as never);
    const test = d.test;
    const o = d.oracle.test;
    return {
      train: d.train,
      valid: d.valid,
      test,
      trainRows: rowsOf(d.train),
      testRows: rowsOf(test),
      modelArgs: { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click', 'conversion'] },
      primaryMetric: 'auc_mean',
      async evaluate(model) {
        const preds = await model.predictTargets(test);
        const click = test.click as Float32Array;
        const conv = test.conversion as Float32Array;
        const ctcvr = preds.ctcvr ?? preds.conversion;
        const out: Record<string, number> = {
          auc_click: auc(click, preds.ctr ?? preds.click),
          auc_ctcvr: auc(conv, ctcvr),
          oracle_auc_click: auc(click, o.pctr),
          oracle_auc_ctcvr: auc(conv, o.pctcvr),
        };
        if (preds.cvr) {
          out.auc_cvr_entire_space = auc(o.potentialConversion, preds.cvr);
          out.oracle_auc_cvr_entire_space = auc(o.potentialConversion, o.pcvr);
        }
        out.auc_mean = (out.auc_click + out.auc_ctcvr) / 2;
        return out;
      },
      infer: (model) => model.predictTargets(test),
    };
  },
  /** Two partly conflicting tasks (src/data/synthetic/multitask.ts). */
  'two-tasks'(options) {
    const d = syntheticTwoTasks({ rows: 200_000, ...options } as never);
    const [t1, t2] = d.taskNames;
    return {
      train: d.train,
      valid: d.valid,
      test: d.test,
      trainRows: rowsOf(d.train),
      testRows: rowsOf(d.test),
      modelArgs: { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: [t1, t2] },
      primaryMetric: 'auc_mean',
      async evaluate(model) {
        const preds = await model.predictTargets(d.test);
        const a1 = auc(d.test[t1] as Float32Array, preds[t1]);
        const a2 = auc(d.test[t2] as Float32Array, preds[t2]);
        const o1 = auc(d.test[t1] as Float32Array, d.oracle.test[t1]);
        const o2 = auc(d.test[t2] as Float32Array, d.oracle.test[t2]);
        return { [`auc_${t1}`]: a1, [`auc_${t2}`]: a2, auc_mean: (a1 + a2) / 2, oracle_auc_mean: (o1 + o2) / 2 };
      },
      infer: (model) => model.predictTargets(d.test),
    };
  },
  /** Users mixing several item interest clusters (src/data/synthetic/retrieval.ts); recall over the catalogue. */
  'interest-clusters'(options) {
    const { initStd = 0.1, ...rest } = options as { initStd?: number };
    const d = syntheticRetrieval({ numUsers: 1000, numItems: 1000, numClusters: 40, clustersPerUser: [2, 4], historyLen: 20, trainPerUser: 10, testPerUser: 3, embeddingDim: 8, seed: 3, ...rest } as never);
    const userFeatures = d.userFeatures.map((f) => withInitStd(f, initStd));
    const itemFeatures = d.itemFeatures.map((f) => withInitStd(f, initStd));
    return {
      train: d.train,
      valid: d.test,
      test: d.test,
      trainRows: rowsOf(d.train),
      testRows: rowsOf(d.test),
      modelArgs: { userFeatures, itemFeatures },
      primaryMetric: 'recall@50',
      async evaluate(model) {
        const r = await (model as Retriever).evaluateRetrieval(d.test, { ks: [10, 50], groupBy: 'user_id' });
        return { ...r, oracle_hit_rate_50: d.oracle.hitRateAt(50) };
      },
      infer: (model) => (model as Retriever).evaluateRetrieval(d.test, { ks: [50], groupBy: 'user_id' }),
    };
  },
  /** Next-item sequences from a known Markov / topic process (src/data/synthetic/next-item.ts). */
  'next-item'(options) {
    const d = syntheticNextItem({ seed: 5, numUsers: 1000, numItems: 300, markovWeight: 0.8, embeddingDim: 32, ...options } as never);
    const train = { hist: d.trainSequences.slice(1) } as unknown as ColumnarInput;
    return {
      train,
      valid: d.valid,
      test: d.test,
      trainRows: d.trainSequences.length - 1,
      testRows: rowsOf(d.test),
      modelArgs: { sequenceFeatures: [d.historyFeature] },
      primaryMetric: 'hr@10',
      async evaluate(model) {
        const r = await model.evaluate(d.test);
        return { 'hr@10': r['hr@10'], 'ndcg@10': r['ndcg@10'], 'hr@50': r['hr@50'], mrr: r.mrr, 'oracle_hr@10': d.oracle.hitRateAt(10) };
      },
      infer: (model) => model.evaluate(d.test),
    };
  },
};

/**
 * Real datasets from local files (`npm run bench -- --data movielens-1m:/path/to/ml-1m`): the loader's CTR view
 * (rating >= 4), a seeded 80/10/10 random split, and a DataProcessor fitted on the training part.
 */
export const FILE_TASKS: Record<string, (dir: string, options: Record<string, unknown>) => Promise<BenchTask>> = {
  async 'movielens-1m'(dir, options) {
    const { loadMovieLens1M } = await import('../../src/data/loaders');
    const { DataProcessor } = await import('../../src/data/processor');
    const ds = await loadMovieLens1M(dir, options as never);
    const split = ds.randomSplit(2024, [0.8, 0.1, 0.1], ds.ctr({ threshold: 4 }));
    const processor = new DataProcessor({ sparse: ['user_id', 'item_id', 'gender', 'age', 'occupation', 'zip'], labels: ['label'], embeddingDim: 16 });
    await processor.fit(split.train);
    const [train, valid, test] = [split.train, split.valid, split.test].map((t) => processor.transform(t));
    return binaryTask({ train, valid, test }, processor.modelConfig(), NaN);
  },
};

/** Look up a task; the error lists the known names. */
export function makeTask(name: string, options: Record<string, unknown>): BenchTask {
  const f = TASKS[name];
  if (!f) throw new Error(`unknown synthetic task '${name}' (known: ${Object.keys(TASKS).join(', ')})`);
  return f(options);
}
