/**
 * Built-in synthetic tasks of the leaderboard, one adapter per (family, generator): how to make the data, which
 * constructor arguments a model gets, and how quality is measured (with the oracle value where one exists).
 * Real datasets read from local files are in file-tasks.ts.
 */
import type { BaseModel } from '../../src/basic/model/base-model';
import type { ColumnarInput } from '../../src/basic/dataset/dataset';
import { auc } from '../../src/basic/metrics';
import { syntheticCtr } from '../../src/data/synthetic/ctr';
import { syntheticCross3 } from '../../src/data/synthetic/cross3';
import { syntheticInterestSequence } from '../../src/data/synthetic/interest-sequence';
import { syntheticFunnel } from '../../src/data/synthetic/funnel';
import { syntheticTwoTasks } from '../../src/data/synthetic/multitask';
import { syntheticMultiScenario } from '../../src/data/synthetic/multi-scenario';
import { syntheticRetrieval } from '../../src/data/synthetic/retrieval';
import { syntheticNextItem } from '../../src/data/synthetic/next-item';
import { featureFromSpec, featureToSpec, Feature, SequenceFeature } from '../../src/basic/features';
import { BenchTask, binaryTask, multiTaskTask, nextItemTask, rowsOf } from './task-shapes';
import { SemanticIdOptions, semanticIdsFromSequences, supplySideInputs, topicContent } from './generative-inputs';

export type { BenchTask } from './task-shapes';

/** The same feature with a wider row initialiser (MIND's squash needs it, see docs/models-match.md). */
function withInitStd(f: Feature, std: number): Feature {
  const spec = featureToSpec(f) as unknown as Record<string, unknown>;
  return featureFromSpec({ ...spec, initializer: { type: 'normal', std } } as never);
}

type Retriever = BaseModel & { evaluateRetrieval(data: ColumnarInput, opts: { ks: number[]; groupBy?: string }): Promise<Record<string, number>> };

type TaskFactory = (options: Record<string, unknown>) => BenchTask | Promise<BenchTask>;

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
  /** Impression -> click -> conversion funnel (src/data/synthetic/funnel.ts); 'conversion' is the CTCVR label. */
  funnel(options) {
    const d = syntheticFunnel({ rows: 200_000, ...options } as never);
    const o = d.oracle.test;
    return multiTaskTask(d, { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures }, {
      targets: ['click', 'conversion'],
      metricNames: { conversion: 'ctcvr' },
      oracle: { click: o.pctr, conversion: o.pctcvr },
      // a model with a CVR head (ESMM) is also scored on the conversion every impression would have had
      extraMetrics: (preds): Record<string, number> =>
        preds.cvr
          ? { auc_cvr_entire_space: auc(o.potentialConversion, preds.cvr), oracle_auc_cvr_entire_space: auc(o.potentialConversion, o.pcvr) }
          : {},
    });
  },
  /** Two partly conflicting tasks (src/data/synthetic/multitask.ts). */
  'two-tasks'(options) {
    const d = syntheticTwoTasks({ rows: 200_000, ...options } as never);
    return multiTaskTask(d, { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures }, { targets: [...d.taskNames], oracle: d.oracle.test });
  },
  /** Two tasks in several scenarios of unequal size (src/data/synthetic/multi-scenario.ts); also per-scenario AUC. */
  'multi-scenario'(options) {
    const d = syntheticMultiScenario({ rows: 200_000, ...options } as never);
    const scenario = d.test[d.scenarioColumn] as Int32Array;
    const ids = Array.from({ length: d.numScenarios }, (_, s) => s + 1);
    const rowsOfScenario = ids.map((s) => Array.from({ length: scenario.length }, (_, i) => i).filter((i) => scenario[i] === s));
    const pick = (xs: ArrayLike<number>, rows: number[]) => Float32Array.from(rows, (i) => xs[i]);
    const perScenario = (preds: Record<string, Float32Array>, prefix: string): Record<string, number> => {
      const out: Record<string, number> = {};
      const all: number[] = [];
      for (const t of d.taskNames) {
        ids.forEach((s, k) => all.push((out[`${prefix}auc_${t}_scenario${s}`] = auc(pick(d.test[t] as Float32Array, rowsOfScenario[k]), pick(preds[t], rowsOfScenario[k])))));
      }
      out[`${prefix}auc_scenario_mean`] = all.reduce((a, b) => a + b, 0) / all.length;
      return out;
    };
    return multiTaskTask(d, { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures }, {
      targets: [...d.taskNames],
      oracle: d.oracle.test,
      extraMetrics: (preds) => ({ ...perScenario(preds, ''), ...perScenario(d.oracle.test, 'oracle_') }),
    });
  },
  /** Users mixing several item interest clusters (src/data/synthetic/retrieval.ts); recall over the catalogue. */
  'interest-clusters'(options) {
    // historyOnly: the user side is the behaviour history alone (models without a profile input, e.g. ComiRec)
    // sessionLength: also a 'recent' column, the latest items of the history sharing its table (SDM's short-term input)
    const { initStd = 0.1, historyOnly = false, sessionLength, ...rest } = options as { initStd?: number; historyOnly?: boolean; sessionLength?: number };
    const raw = syntheticRetrieval({ numUsers: 1000, numItems: 1000, numClusters: 40, clustersPerUser: [2, 4], historyLen: 20, trainPerUser: 10, testPerUser: 3, embeddingDim: 8, seed: 3, ...rest } as never);
    const d = sessionLength === undefined ? raw : withRecentSession(raw, sessionLength);
    const userFeatures = (historyOnly ? d.sequenceFeatures : d.userFeatures).map((f) => withInitStd(f, initStd));
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
  // semanticIds: build TIGER's ids from the training sequences; content: supply HLLM's item embeddings (topic + noise);
  // metrics: which of the model's evaluate keys to report (a beam-search model reports hr/ndcg only);
  // prefixRows: train on one row per (history prefix, next item) instead of whole sequences (a model that encodes the
  // history bidirectionally, like TIGER, learns one position per sequence row and step)
  async 'next-item'(options) {
    const { semanticIds, content, prefixRows = false, metrics = ['hr@10', 'ndcg@10', 'hr@50', 'mrr'], ...rest } = options as {
      semanticIds?: SemanticIdOptions;
      content?: { dim: number; noise: number };
      prefixRows?: boolean;
      metrics?: string[];
    };
    const d = syntheticNextItem({ seed: 5, numUsers: 1000, numItems: 300, markovWeight: 0.8, embeddingDim: 32, ...rest } as never);
    const numItems = d.historyFeature.vocabSize - 1;
    const train = (prefixRows ? { hist: d.train.hist, target_item: d.train.target_item } : { hist: d.trainSequences.slice(1) }) as unknown as ColumnarInput;
    const ids = semanticIds ? await semanticIdsFromSequences(d.trainSequences.slice(1), numItems, semanticIds) : undefined;
    const vectors = content ? topicContent(d.itemTopic, numItems, content.dim, content.noise) : undefined;
    const modelArgs: Record<string, unknown> = { sequenceFeatures: [d.historyFeature] };
    if (ids) modelArgs.codebookSizes = ids.codebookSizes;
    if (content) modelArgs.contentDim = content.dim;
    return {
      ...nextItemTask({ train, valid: d.valid, test: d.test }, modelArgs, { metrics, extraMetrics: () => ({ 'oracle_hr@10': d.oracle.hitRateAt(10) }) }),
      prepare: (model) => supplySideInputs(model, { semanticIds: ids, content: vectors }),
    };
  },
};

/** A retrieval data set with a 'recent' sequence column: the last `length` items of each 'hist' row, same table. */
function withRecentSession<D extends ReturnType<typeof syntheticRetrieval>>(d: D, length: number): D {
  const hist = d.sequenceFeatures.find((f) => f.name === 'hist');
  if (!hist) throw new Error("interest-clusters: sessionLength needs the 'hist' sequence");
  const H = hist.maxLen;
  if (!Number.isInteger(length) || length < 1 || length > H) throw new Error(`interest-clusters: sessionLength must be an integer in 1..${H} (got ${length})`);
  const recent = new SequenceFeature({ name: 'recent', vocabSize: hist.vocabSize, embeddingDim: hist.embeddingDim, embeddingName: hist.tableName, maxLen: length });
  const cut = (rows: ColumnarInput): ColumnarInput => {
    const h = rows.hist as Int32Array;
    const n = h.length / H;
    const r = new Int32Array(n * length);
    for (let i = 0; i < n; i++) r.set(h.subarray((i + 1) * H - length, (i + 1) * H), i * length);
    return { ...rows, recent: r };
  };
  return { ...d, train: cut(d.train), test: cut(d.test), sequenceFeatures: [...d.sequenceFeatures, recent], userFeatures: [...d.userFeatures, recent] };
}

/** Look up a task; the error lists the known names. */
export async function makeTask(name: string, options: Record<string, unknown>): Promise<BenchTask> {
  const f = TASKS[name];
  if (!f) throw new Error(`unknown synthetic task '${name}' (known: ${Object.keys(TASKS).join(', ')})`);
  return f(options);
}
