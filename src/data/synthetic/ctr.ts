import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { auc } from '../../basic/metrics';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';

/** Options of {@link syntheticCtr}. */
export interface SyntheticCtrOptions {
  rows: number;
  seed?: number;
  /** Vocabulary size (including padding id 0) of each categorical field. */
  vocabSizes?: number[];
  /** Number of dense features (standard normal). */
  denseCount?: number;
  /** Field pairs whose latent vectors interact; default every pair (i, i+1) and (i, i+2). */
  interactionPairs?: Array<[number, number]>;
  /** Width of the planted latent vectors. */
  latentDim?: number;
  /** Scale of the interaction term. */
  interactionScale?: number;
  /**
   * Field-aware interactions (the FFM model): an id has a separate latent vector for each field it interacts with,
   * z_{i,j}[id_i], so that logit pairs read <z_{i,j}[id_i], z_{j,i}[id_j]> and no single vector per id explains
   * them (default false: one shared vector per id). Leaves the default data unchanged when off.
   */
  fieldAware?: boolean;
  /** Popularity skew of ids. */
  zipfExponent?: number;
  /** Embedding width declared on the returned features. */
  embeddingDim?: number;
  validFraction?: number;
  testFraction?: number;
}

/** One split of a synthetic task: model inputs plus the true click probability of each row. */
export interface SyntheticSplit {
  data: ColumnarInput;
  oracle: Float32Array;
  /** AUC of the true probabilities against the sampled labels: the best any model can expect. */
  oracleAuc: number;
}

/** A synthetic CTR task with planted structure. */
export interface SyntheticCtr {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  features: { sparse: SparseFeature[]; dense: DenseFeature[] };
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  oracle: { train: SyntheticSplit; valid: SyntheticSplit; test: SyntheticSplit };
}

/**
 * Clicks drawn from a known logistic model: per-id biases, pairwise interactions of planted latent vectors
 * between chosen field pairs, and a linear term in the dense features:
 *   logit = b0 + sum_f bias[f][id_f] + s * sum_{(i,j) in P} <z_i[id_i], z_j[id_j]> + <w, x>
 * so factorization models can recover it, and the oracle probability sigmoid(logit) is returned with the data.
 */
export function syntheticCtr(opts: SyntheticCtrOptions): SyntheticCtr {
  const {
    rows,
    seed = 7,
    vocabSizes = [300, 200, 100, 50, 50, 150, 40, 20],
    denseCount = 3,
    latentDim = 4,
    interactionScale = 1.0,
    zipfExponent = 1.05,
    embeddingDim = 16,
    validFraction = 0.1,
    testFraction = 0.1,
  } = opts;
  requireRows('syntheticCtr', rows);
  const F = vocabSizes.length;
  const pairs = opts.interactionPairs ?? Array.from({ length: F }, (_, i) => [[i, (i + 1) % F], [i, (i + 2) % F]] as Array<[number, number]>).flat();
  const rng = new Rng(seed);
  const latent = vocabSizes.map((v) => Float32Array.from({ length: v * latentDim }, () => rng.normal() / Math.sqrt(latentDim)));
  const bias = vocabSizes.map((v) => Float32Array.from({ length: v }, () => 0.3 * rng.normal()));
  const denseW = Float32Array.from({ length: denseCount }, () => 0.5 * rng.normal());
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, zipfExponent));
  // each field gets its own random id permutation so popularity is not aligned with id order across fields
  const perms = vocabSizes.map((v) => {
    const p = Int32Array.from({ length: v - 1 }, (_, i) => i + 1);
    rng.shuffle(p);
    return p;
  });

  // drawn after everything else so that the default (shared) task keeps its exact random stream
  const pairLatent = opts.fieldAware
    ? pairs.map(([i, j]) => [i, j].map((f) => Float32Array.from({ length: vocabSizes[f] * latentDim }, () => rng.normal() / Math.sqrt(latentDim))))
    : null;

  const ids = vocabSizes.map(() => new Int32Array(rows));
  const dense = Array.from({ length: denseCount }, () => new Float32Array(rows));
  const logits = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = -1.2;
    const row = new Int32Array(F);
    for (let f = 0; f < F; f++) {
      const id = perms[f][samplers[f].sample(rng) - 1];
      row[f] = id;
      ids[f][r] = id;
      z += bias[f][id];
    }
    for (let p = 0; p < pairs.length; p++) {
      const [i, j] = pairs[p];
      const [zi, zj] = pairLatent ? pairLatent[p] : [latent[i], latent[j]];
      let dot = 0;
      const a = row[i] * latentDim;
      const b = row[j] * latentDim;
      for (let k = 0; k < latentDim; k++) dot += zi[a + k] * zj[b + k];
      z += interactionScale * dot;
    }
    for (let d = 0; d < denseCount; d++) {
      const x = rng.normal();
      dense[d][r] = x;
      z += denseW[d] * x;
    }
    logits[r] = z;
  }
  const labels = new Float32Array(rows);
  const probs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    probs[r] = sigmoid(logits[r]);
    labels[r] = rng.next() < probs[r] ? 1 : 0;
  }

  const sparseFeatures = vocabSizes.map((v, f) => new SparseFeature({ name: `c${f}`, vocabSize: v, embeddingDim }));
  const denseFeatures = Array.from({ length: denseCount }, (_, d) => new DenseFeature({ name: `d${d}` }));
  const split = ([lo, hi]: [number, number]): SyntheticSplit => {
    const data: ColumnarInput = { label: labels.slice(lo, hi) };
    sparseFeatures.forEach((f, i) => (data[f.name] = ids[i].slice(lo, hi)));
    denseFeatures.forEach((f, i) => (data[f.name] = dense[i].slice(lo, hi)));
    const oracle = probs.slice(lo, hi);
    return { data, oracle, oracleAuc: hi > lo ? auc(data.label as Float32Array, oracle) : NaN };
  };
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    features: { sparse: sparseFeatures, dense: denseFeatures },
    sparseFeatures,
    denseFeatures,
    oracle: { train, valid, test },
  };
}
