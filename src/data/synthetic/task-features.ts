import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';

/**
 * Building blocks of the multi-task generators (`syntheticTwoTasks`, `syntheticMultiScenario`): Zipf-distributed id
 * columns `c0..`, standard normal dense columns `d0..`, task vectors drawn correlated with each other, and the
 * non-linear dense response of MMoE's synthetic study. Every helper draws from the caller's `Rng` in a fixed order,
 * so a generator's data depend only on its seed and options.
 */

/** `n` independent N(0, scale^2) draws. */
export function normalVector(rng: Rng, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/**
 * A vector whose entries have correlation `rho` with `base`'s: rho * base + sqrt(1 - rho^2) * N(0, scale^2) per entry
 * (MMoE's synthetic study sets the cosine between two tasks' weight vectors this way).
 */
export function correlatedVector(rng: Rng, base: Float32Array, rho: number, scale: number): Float32Array {
  const tail = Math.sqrt(1 - rho * rho);
  return Float32Array.from(base, (v) => rho * v + tail * scale * rng.normal());
}

/**
 * The response curve of MMoE's synthetic study, r(a) = 0.5 a + mean_k sin(alpha_k a + beta_k) with alpha = 1, 1.7, 2.9
 * and phases beta_k drawn uniformly in [0, pi).
 */
export function sinusoidResponse(rng: Rng): (a: number) => number {
  const alphas = [1, 1.7, 2.9];
  const betas = alphas.map(() => rng.uniform(0, Math.PI));
  return (a) => 0.5 * a + alphas.reduce((sum, al, m) => sum + Math.sin(al * a + betas[m]), 0) / alphas.length;
}

/**
 * z + scale / sqrt(M) * sum_{m<M} r(<w_m, x>): a logit plus the term driven by M dense directions (added term by term
 * onto z, so the rounding and thereby the drawn labels stay those of the generators' earlier inline loops).
 */
export function addDenseResponse(z: number, directions: Float32Array[], x: Float64Array, response: (a: number) => number, scale: number): number {
  for (const w of directions) {
    let a = 0;
    for (let d = 0; d < x.length; d++) a += w[d] * x[d];
    z += (scale * response(a)) / Math.sqrt(directions.length);
  }
  return z;
}

/** Throws unless `value` is a correlation in [-1, 1]; the message names the generator and the option. */
export function requireCorrelation(generator: string, name: string, value: number): void {
  if (!(value >= -1 && value <= 1)) throw new Error(`${generator}: ${name} must be in [-1, 1] (got ${value})`);
}

/** Throws unless `taskNames` holds two different names. */
export function requireTwoTaskNames(generator: string, taskNames: readonly string[]): void {
  if (taskNames.length !== 2 || taskNames[0] === taskNames[1]) throw new Error(`${generator}: taskNames must be two different names`);
}

/** The id and dense columns of a generated task, filled row by row, and their feature declarations. */
export class TaskFeatureColumns {
  readonly ids: Int32Array[];
  readonly dense: Float32Array[];
  readonly sparseFeatures: SparseFeature[];
  readonly denseFeatures: DenseFeature[];

  /**
   * @param vocabSizes vocabulary size (padding id 0 included) of each id column `c0..`
   * @param denseCount number of dense columns `d0..`
   */
  constructor(rows: number, vocabSizes: number[], denseCount: number, embeddingDim: number) {
    this.ids = vocabSizes.map(() => new Int32Array(rows));
    this.dense = Array.from({ length: denseCount }, () => new Float32Array(rows));
    this.sparseFeatures = vocabSizes.map((v, f) => new SparseFeature({ name: `c${f}`, vocabSize: v, embeddingDim }));
    this.denseFeatures = Array.from({ length: denseCount }, (_, d) => new DenseFeature({ name: `d${d}` }));
  }

  /** Draw row r's dense values (standard normal) into the columns and into `x`. */
  drawDense(rng: Rng, r: number, x: Float64Array): void {
    for (let d = 0; d < this.dense.length; d++) {
      x[d] = rng.normal();
      this.dense[d][r] = x[d];
    }
  }

  /** Rows [lo, hi) of every id and dense column, by feature name, added to `data`. */
  slice(lo: number, hi: number, data: ColumnarInput): ColumnarInput {
    this.sparseFeatures.forEach((f, i) => (data[f.name] = this.ids[i].slice(lo, hi)));
    this.denseFeatures.forEach((f, i) => (data[f.name] = this.dense[i].slice(lo, hi)));
    return data;
  }
}
