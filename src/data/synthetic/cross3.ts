import { Rng } from '../../basic/random';
import { SparseFeature } from '../../basic/features';
import { auc } from '../../basic/metrics';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';
import type { SyntheticSplit } from './ctr';

/** Options of {@link syntheticCross3}. */
export interface SyntheticCross3Options {
  rows: number;
  seed?: number;
  /** Vocabulary size (including padding id 0) of each categorical field. */
  vocabSizes?: number[];
  /** The three fields whose latent values are multiplied (default [0, 1, 2]). */
  crossFields?: [number, number, number];
  /** Width k of the planted latent vectors; the cross term is sum_k z1_k z2_k z3_k (default 2). */
  latentDim?: number;
  /** Distribution of the latent values: random signs (default) or standard normal. */
  latent?: 'sign' | 'normal';
  /** Scale of the third-order term in the logit (default 3). */
  crossScale?: number;
  /** Standard deviation of the per-id first-order biases of every field (default 0.2). */
  biasScale?: number;
  /** Popularity skew of ids (default 0.5: mild, so most ids are seen often enough to learn their sign). */
  zipfExponent?: number;
  /** Embedding width declared on the returned features (default 8). */
  embeddingDim?: number;
  /**
   * Standard deviation of the declared features' normal row initialiser (default 0.1). A third-order term of
   * embeddings scaled 0.01 is ~1e-6 at the start, so every model would first sit on a long plateau.
   */
  embeddingInitStd?: number;
  validFraction?: number;
  testFraction?: number;
}

/** A synthetic CTR task whose signal is a third-order feature cross. */
export interface SyntheticCross3 {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  oracle: { train: SyntheticSplit; valid: SyntheticSplit; test: SyntheticSplit };
}

/**
 * Clicks whose main signal is a pure third-order interaction of three fields:
 *   logit = b0 + sum_f bias_f[id_f] + s * sum_k z1_k[id_1] z2_k[id_2] z3_k[id_3]
 * Latent values are random signs (magnitude 1 / sqrt(k)), so the cross behaves like a parity: every pair of the
 * three fields, and every single field, is independent of the cross term. First- and second-order models
 * (LR, FM) therefore cannot see it at all, and a model has to multiply three fields to recover it. The remaining
 * fields only carry first-order biases (distractors). The oracle probability sigmoid(logit) comes with the data.
 */
export function syntheticCross3(opts: SyntheticCross3Options): SyntheticCross3 {
  const {
    rows,
    seed = 11,
    vocabSizes = [60, 60, 60, 40, 40, 40],
    crossFields = [0, 1, 2],
    latentDim = 2,
    latent: latentKind = 'sign',
    crossScale = 3,
    biasScale = 0.2,
    zipfExponent = 0.5,
    embeddingDim = 8,
    embeddingInitStd = 0.1,
    validFraction = 0.1,
    testFraction = 0.2,
  } = opts;
  requireRows('syntheticCross3', rows);
  const F = vocabSizes.length;
  if (crossFields.length !== 3 || new Set(crossFields).size !== 3 || crossFields.some((f) => !Number.isInteger(f) || f < 0 || f >= F)) {
    throw new Error(`syntheticCross3: crossFields must be three distinct field indices in [0, ${F}) (got [${crossFields}])`);
  }
  if (!Number.isInteger(latentDim) || latentDim < 1) throw new Error(`syntheticCross3: latentDim must be a positive integer (got ${latentDim})`);
  const rng = new Rng(seed);
  const amp = 1 / Math.sqrt(latentDim);
  const latent = crossFields.map((f) => Float32Array.from({ length: vocabSizes[f] * latentDim }, () => (latentKind === 'sign' ? (rng.next() < 0.5 ? -amp : amp) : amp * rng.normal())));
  const bias = vocabSizes.map((v) => Float32Array.from({ length: v }, () => biasScale * rng.normal()));
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, zipfExponent));
  const perms = vocabSizes.map((v) => {
    const p = Int32Array.from({ length: v - 1 }, (_, i) => i + 1);
    rng.shuffle(p);
    return p;
  });

  const ids = vocabSizes.map(() => new Int32Array(rows));
  const probs = new Float32Array(rows);
  const labels = new Float32Array(rows);
  const row = new Int32Array(F);
  for (let r = 0; r < rows; r++) {
    let z = -0.3;
    for (let f = 0; f < F; f++) {
      const id = perms[f][samplers[f].sample(rng) - 1];
      row[f] = id;
      ids[f][r] = id;
      z += bias[f][id];
    }
    let cross = 0;
    const [a, b, c] = crossFields.map((f) => row[f] * latentDim);
    for (let k = 0; k < latentDim; k++) cross += latent[0][a + k] * latent[1][b + k] * latent[2][c + k];
    // latent values have magnitude 1/sqrt(k) each, so rescale the k-term sum back to unit scale
    z += crossScale * cross * Math.sqrt(latentDim);
    probs[r] = sigmoid(z);
    labels[r] = rng.next() < probs[r] ? 1 : 0;
  }

  const sparseFeatures = vocabSizes.map((v, f) => new SparseFeature({
    name: `c${f}`,
    vocabSize: v,
    embeddingDim,
    initializer: { type: 'normal' as const, std: embeddingInitStd },
  }));
  const split = ([lo, hi]: [number, number]): SyntheticSplit => {
    const data: ColumnarInput = { label: labels.slice(lo, hi) };
    sparseFeatures.forEach((f, i) => (data[f.name] = ids[i].slice(lo, hi)));
    const oracle = probs.slice(lo, hi);
    return { data, oracle, oracleAuc: hi > lo ? auc(data.label as Float32Array, oracle) : NaN };
  };
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return { train: train.data, valid: valid.data, test: test.data, sparseFeatures, oracle: { train, valid, test } };
}
