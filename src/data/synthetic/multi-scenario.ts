import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';
import { addDenseResponse, correlatedVector, normalVector, requireCorrelation, requireTwoTaskNames, sinusoidResponse, TaskFeatureColumns } from './task-features';

/** Options of {@link syntheticMultiScenario}. */
export interface SyntheticMultiScenarioOptions {
  rows: number;
  seed?: number;
  /** Share of rows of each scenario (default [0.5, 0.3, 0.2]); the number of scenarios is its length. */
  scenarioShares?: number[];
  /**
   * Correlation between scenarios of their dense response directions (default 0): 1 = one shared function,
   * 0 = each scenario responds to its own directions, so a model must condition on the scenario.
   */
  scenarioCorrelation?: number;
  /** Correlation of the two tasks' directions within a scenario (default 0.5). */
  taskCorrelation?: number;
  /** Vocabulary size (including padding id 0) of each ordinary categorical field (default [30, 15]). */
  vocabSizes?: number[];
  /** Number of dense features (standard normal; default 8). */
  denseCount?: number;
  /** Dense directions per scenario and task (default 2). */
  directions?: number;
  /** Weight of the scenario-specific dense response (default 3). */
  denseScale?: number;
  /** Names of the two label columns (default ['click', 'like']). */
  taskNames?: [string, string];
  /** Embedding width declared on the returned features (default 8). */
  embeddingDim?: number;
  validFraction?: number;
  testFraction?: number;
}

/** A two-task, multi-scenario problem with known probabilities. */
export interface SyntheticMultiScenario {
  /** Columns: 'scenario' (ids 1..S), the other features and one binary label column per task. */
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  /** Includes the scenario feature (first). */
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  taskNames: [string, string];
  /** Name of the scenario id column ('scenario'), for compile's `scenarioColumn` and the scenario models. */
  scenarioColumn: string;
  numScenarios: number;
  /** True probability of each task's label per row, by task name. */
  oracle: { train: Record<string, Float32Array>; valid: Record<string, Float32Array>; test: Record<string, Float32Array> };
}

/**
 * Two binary tasks served in S scenarios (domains, e.g. home feed / search / detail page) of unequal size:
 *   logit_{s,t} = b_{s,t} + sum_f bias_t[f][id_f] + c / sqrt(M) * sum_{m<M} r(<w_{s,t,m}, x>),
 *   r(a) = 0.5 a + mean_k sin(alpha_k a + beta_k)
 * The id biases are shared by all scenarios; the dense response, which dominates, uses directions w_{s,t} of the
 * row's scenario, drawn with correlation `scenarioCorrelation` across scenarios and `taskCorrelation` across tasks.
 * A model that does not condition its dense part on the scenario fits an average of S different functions; the
 * small scenarios suffer most, since the average follows the large one.
 */
export function syntheticMultiScenario(opts: SyntheticMultiScenarioOptions): SyntheticMultiScenario {
  const {
    rows,
    seed = 7,
    scenarioShares = [0.5, 0.3, 0.2],
    scenarioCorrelation = 0,
    taskCorrelation = 0.5,
    vocabSizes = [30, 15],
    denseCount = 8,
    directions = 2,
    denseScale = 3,
    taskNames = ['click', 'like'],
    embeddingDim = 8,
    validFraction = 0.1,
    testFraction = 0.2,
  } = opts;
  requireRows('syntheticMultiScenario', rows);
  const S = scenarioShares.length;
  if (S < 2 || scenarioShares.some((p) => !(p > 0))) throw new Error('syntheticMultiScenario: scenarioShares must hold at least two positive shares');
  requireCorrelation('syntheticMultiScenario', 'scenarioCorrelation', scenarioCorrelation);
  requireCorrelation('syntheticMultiScenario', 'taskCorrelation', taskCorrelation);
  requireTwoTaskNames('syntheticMultiScenario', taskNames);
  const rng = new Rng(seed);
  const draw = (n: number, scale: number) => normalVector(rng, n, scale);
  const mix = (base: Float32Array, rho: number, scale: number) => correlatedVector(rng, base, rho, scale);
  const dirScale = 1.5 / Math.sqrt(denseCount);
  // w[s][t][m]: a common direction per (task, m), mixed into each scenario's own by scenarioCorrelation
  const common = Array.from({ length: directions }, () => draw(denseCount, dirScale));
  const w = Array.from({ length: S }, () => {
    const first = common.map((c) => mix(c, scenarioCorrelation, dirScale));
    return [first, first.map((d) => mix(d, taskCorrelation, dirScale))];
  });
  const bias = [0, 1].map(() => vocabSizes.map((v) => draw(v, 0.4)));
  const base = Array.from({ length: S }, () => [rng.uniform(-1, 0), rng.uniform(-1, 0)]);
  const response = sinusoidResponse(rng);
  const total = scenarioShares.reduce((a, b) => a + b, 0);
  const cdf = scenarioShares.map((_, s) => scenarioShares.slice(0, s + 1).reduce((a, b) => a + b, 0) / total);
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, 1.0));

  const scenario = new Int32Array(rows);
  const columns = new TaskFeatureColumns(rows, vocabSizes, denseCount, embeddingDim);
  const p = [new Float32Array(rows), new Float32Array(rows)];
  const y = [new Float32Array(rows), new Float32Array(rows)];
  const x = new Float64Array(denseCount);
  for (let r = 0; r < rows; r++) {
    const u = rng.next();
    let s = 0;
    while (s < S - 1 && u >= cdf[s]) s++;
    scenario[r] = s + 1;
    const z = [base[s][0], base[s][1]];
    vocabSizes.forEach((_, f) => {
      const id = samplers[f].sample(rng);
      columns.ids[f][r] = id;
      z[0] += bias[0][f][id];
      z[1] += bias[1][f][id];
    });
    columns.drawDense(rng, r, x);
    for (let t = 0; t < 2; t++) {
      z[t] = addDenseResponse(z[t], w[s][t], x, response, denseScale);
      p[t][r] = sigmoid(z[t]);
      y[t][r] = rng.next() < p[t][r] ? 1 : 0;
    }
  }

  const scenarioFeature = new SparseFeature({ name: 'scenario', vocabSize: S + 1, embeddingDim });
  const sparseFeatures = [scenarioFeature, ...columns.sparseFeatures];
  const { denseFeatures } = columns;
  const [n1, n2] = taskNames;
  const split = ([lo, hi]: [number, number]) => ({
    data: columns.slice(lo, hi, { scenario: scenario.slice(lo, hi), [n1]: y[0].slice(lo, hi), [n2]: y[1].slice(lo, hi) }),
    oracle: { [n1]: p[0].slice(lo, hi), [n2]: p[1].slice(lo, hi) },
  });
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    sparseFeatures,
    denseFeatures,
    taskNames: [n1, n2],
    scenarioColumn: 'scenario',
    numScenarios: S,
    oracle: { train: train.oracle, valid: valid.oracle, test: test.oracle },
  };
}
