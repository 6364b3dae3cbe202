import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';

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
  if (!(taskCorrelation >= -1 && taskCorrelation <= 1)) throw new Error(`syntheticTwoTasks: taskCorrelation must be in [-1, 1] (got ${taskCorrelation})`);
  if (taskNames.length !== 2 || taskNames[0] === taskNames[1]) throw new Error('syntheticTwoTasks: taskNames must be two different names');
  const rng = new Rng(seed);
  const F = vocabSizes.length;
  const K = 4;
  const rho = taskCorrelation;
  const tail = Math.sqrt(1 - rho * rho);
  const correlated = (base: Float32Array, scale: number) => Float32Array.from(base, (v) => rho * v + tail * scale * rng.normal());
  const draw = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const latentScale = 1 / Math.sqrt(K);
  const shared = vocabSizes.map((v) => draw(v * K, latentScale));
  const spec1 = vocabSizes.map((v) => draw(v * K, latentScale));
  const spec2 = spec1.map((a) => correlated(a, latentScale));
  const bias1 = vocabSizes.map((v) => draw(v, 0.4));
  const bias2 = bias1.map((a) => correlated(a, 0.4));
  const w1 = Array.from({ length: directions }, () => draw(denseCount, 1.5 / Math.sqrt(denseCount)));
  const w2 = w1.map((w) => correlated(w, 1.5 / Math.sqrt(denseCount)));
  // the response curve of MMoE's synthetic study, 0.5 a + sum_m sin(alpha_m a + beta_m), shared by both tasks;
  // the tasks differ in the direction a_t = <w_t, x> they apply it to
  const alphas = [1, 1.7, 2.9];
  const betas = alphas.map(() => rng.uniform(0, Math.PI));
  const denseResponse = (a: number) => 0.5 * a + alphas.reduce((sum, al, m) => sum + Math.sin(al * a + betas[m]), 0) / alphas.length;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < F; i++) pairs.push([i, (i + 1) % F]);
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, 1.0));

  const ids = vocabSizes.map(() => new Int32Array(rows));
  const dense = Array.from({ length: denseCount }, () => new Float32Array(rows));
  const p1 = new Float32Array(rows);
  const p2 = new Float32Array(rows);
  const y1 = new Float32Array(rows);
  const y2 = new Float32Array(rows);
  const row = new Int32Array(F);
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
      ids[f][r] = id;
      z1 += bias1[f][id];
      z2 += bias2[f][id];
    }
    for (const [i, j] of pairs) {
      const s = sharedWeight * dot(shared[i], row[i], shared[j], row[j]);
      z1 += s + dot(spec1[i], row[i], spec1[j], row[j]);
      z2 += s + dot(spec2[i], row[i], spec2[j], row[j]);
    }
    const x = new Float64Array(denseCount);
    for (let d = 0; d < denseCount; d++) {
      x[d] = rng.normal();
      dense[d][r] = x[d];
    }
    for (let m = 0; m < directions; m++) {
      let a1 = 0;
      let a2 = 0;
      for (let d = 0; d < denseCount; d++) {
        a1 += w1[m][d] * x[d];
        a2 += w2[m][d] * x[d];
      }
      z1 += (denseScale * denseResponse(a1)) / Math.sqrt(directions);
      z2 += (denseScale * denseResponse(a2)) / Math.sqrt(directions);
    }
    p1[r] = sigmoid(z1);
    p2[r] = sigmoid(z2);
    y1[r] = rng.next() < p1[r] ? 1 : 0;
    y2[r] = rng.next() < p2[r] ? 1 : 0;
  }

  const sparseFeatures = vocabSizes.map((v, f) => new SparseFeature({ name: `c${f}`, vocabSize: v, embeddingDim }));
  const denseFeatures = Array.from({ length: denseCount }, (_, d) => new DenseFeature({ name: `d${d}` }));
  const [n1, n2] = taskNames;
  const split = ([lo, hi]: [number, number]) => {
    const data: ColumnarInput = { [n1]: y1.slice(lo, hi), [n2]: y2.slice(lo, hi) };
    sparseFeatures.forEach((f, i) => (data[f.name] = ids[i].slice(lo, hi)));
    denseFeatures.forEach((f, i) => (data[f.name] = dense[i].slice(lo, hi)));
    return { data, oracle: { [n1]: p1.slice(lo, hi), [n2]: p2.slice(lo, hi) } };
  };
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
