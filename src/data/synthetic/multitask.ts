import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';
import { addDenseResponse, correlatedVector, normalVector, requireCorrelation, requireTwoTaskNames, sinusoidResponse, TaskFeatureColumns } from './task-features';

/** Options of {@link syntheticTwoTasks}. */
export interface SyntheticTwoTasksOptions {
  rows: number;
  seed?: number;
  /** Vocabulary size (including padding id 0) of each categorical field. */
  vocabSizes?: number[];
  /** Number of dense features (standard normal; default 8). */
  denseCount?: number;
  /**
   * Correlation of the two tasks' task-specific parts (id biases, latent vectors, dense directions): 1 = same
   * task, 0 = unrelated, negative = conflicting (default -0.3).
   */
  taskCorrelation?: number;
  /** Weight of the part both tasks share, relative to the task-specific parts (default 0.3). */
  sharedWeight?: number;
  /** Number of dense directions each task responds to non-linearly (default 3). */
  directions?: number;
  /** Weight of the non-linear dense response (default 4). */
  denseScale?: number;
  /** Names of the two label columns (default ['click', 'like']). */
  taskNames?: [string, string];
  /** Embedding width declared on the returned features. */
  embeddingDim?: number;
  validFraction?: number;
  testFraction?: number;
}

/** A two-task problem with known per-task probabilities. */
export interface SyntheticTwoTasks {
  /** Columns: the features and one binary label column per task. */
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  taskNames: [string, string];
  /** True probability of each task's label per row, by task name. */
  oracle: { train: Record<string, Float32Array>; valid: Record<string, Float32Array>; test: Record<string, Float32Array> };
}

/**
 * Two binary tasks on the same impressions whose logits share one component and differ in another:
 *   logit_t = b + sum_f bias_t[f][id_f] + s * sum_{(i,j)} <S_i[id_i], S_j[id_j]> + sum_{(i,j)} <T_t,i[id_i], T_t,j[id_j]>
 *             + c / sqrt(M) * sum_{m<M} r(<w_t,m, x>),    r(a) = 0.5 a + mean_k sin(alpha_k a + beta_k)
 * The shared latent vectors S enter both tasks. The task-specific parts (id biases, latent vectors T_t and the M
 * dense directions w_t,m fed through the non-linear response r of MMoE's synthetic study) of task 2 are drawn
 * correlated with task 1's by `taskCorrelation`; below 1 the tasks need different features of the same input, and
 * with a negative value they pull shared representations in partly opposite directions. By default the dense,
 * non-linear part dominates, so the networks above the embeddings (where the multi-task models differ) matter.
 */
export function syntheticTwoTasks(opts: SyntheticTwoTasksOptions): SyntheticTwoTasks {
  const {
    rows,
    seed = 5,
    vocabSizes = [20, 10],
    denseCount = 8,
    taskCorrelation = -0.3,
    sharedWeight = 0.3,
    denseScale = 4,
    directions = 3,
    taskNames = ['click', 'like'],
    embeddingDim = 8,
    validFraction = 0.1,
    testFraction = 0.2,
  } = opts;
  requireRows('syntheticTwoTasks', rows);
  requireCorrelation('syntheticTwoTasks', 'taskCorrelation', taskCorrelation);
  requireTwoTaskNames('syntheticTwoTasks', taskNames);
  const rng = new Rng(seed);
  const F = vocabSizes.length;
  const K = 4;
  const correlated = (base: Float32Array, scale: number) => correlatedVector(rng, base, taskCorrelation, scale);
  const draw = (n: number, scale: number) => normalVector(rng, n, scale);
  const latentScale = 1 / Math.sqrt(K);
  const shared = vocabSizes.map((v) => draw(v * K, latentScale));
  const spec1 = vocabSizes.map((v) => draw(v * K, latentScale));
  const spec2 = spec1.map((a) => correlated(a, latentScale));
  const bias1 = vocabSizes.map((v) => draw(v, 0.4));
  const bias2 = bias1.map((a) => correlated(a, 0.4));
  const w1 = Array.from({ length: directions }, () => draw(denseCount, 1.5 / Math.sqrt(denseCount)));
  const w2 = w1.map((w) => correlated(w, 1.5 / Math.sqrt(denseCount)));
  // one response curve for both tasks: they differ in the directions a_t = <w_t, x> they apply it to
  const response = sinusoidResponse(rng);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < F; i++) pairs.push([i, (i + 1) % F]);
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, 1.0));

  const columns = new TaskFeatureColumns(rows, vocabSizes, denseCount, embeddingDim);
  const p1 = new Float32Array(rows);
  const p2 = new Float32Array(rows);
  const y1 = new Float32Array(rows);
  const y2 = new Float32Array(rows);
  const row = new Int32Array(F);
  const x = new Float64Array(denseCount);
  const dot = (a: Float32Array, ia: number, b: Float32Array, ib: number) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[ia * K + k] * b[ib * K + k];
    return s;
  };
  for (let r = 0; r < rows; r++) {
    let z1 = -1.0;
    let z2 = -1.0;
    for (let f = 0; f < F; f++) {
      const id = samplers[f].sample(rng);
      row[f] = id;
      columns.ids[f][r] = id;
      z1 += bias1[f][id];
      z2 += bias2[f][id];
    }
    for (const [i, j] of pairs) {
      const s = sharedWeight * dot(shared[i], row[i], shared[j], row[j]);
      z1 += s + dot(spec1[i], row[i], spec1[j], row[j]);
      z2 += s + dot(spec2[i], row[i], spec2[j], row[j]);
    }
    columns.drawDense(rng, r, x);
    z1 = addDenseResponse(z1, w1, x, response, denseScale);
    z2 = addDenseResponse(z2, w2, x, response, denseScale);
    p1[r] = sigmoid(z1);
    p2[r] = sigmoid(z2);
    y1[r] = rng.next() < p1[r] ? 1 : 0;
    y2[r] = rng.next() < p2[r] ? 1 : 0;
  }

  const { sparseFeatures, denseFeatures } = columns;
  const [n1, n2] = taskNames;
  const split = ([lo, hi]: [number, number]) => ({
    data: columns.slice(lo, hi, { [n1]: y1.slice(lo, hi), [n2]: y2.slice(lo, hi) }),
    oracle: { [n1]: p1.slice(lo, hi), [n2]: p2.slice(lo, hi) },
  });
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    sparseFeatures,
    denseFeatures,
    taskNames: [n1, n2],
    oracle: { train: train.oracle, valid: valid.oracle, test: test.oracle },
  };
}
