import { Rng } from '../../basic/random';

/** Sampler for ids 1..n-1 with Zipf-like popularity p(rank r) ~ 1 / r^exponent (id 0 stays padding). */
export class ZipfSampler {
  private readonly cdf: Float64Array;
  constructor(readonly vocabSize: number, exponent: number) {
    const n = vocabSize - 1;
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let r = 1; r <= n; r++) {
      acc += 1 / Math.pow(r, exponent);
      this.cdf[r - 1] = acc;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= acc;
  }
  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }
}

/** The row-count check every row-based generator starts with; the error names the generator. */
export function requireRows(generator: string, rows: number): void {
  if (!Number.isInteger(rows) || rows < 10) throw new Error(`${generator}: rows must be an integer >= 10 (got ${rows})`);
}

/**
 * Build the train / valid / test splits of a generated task: rows are cut by fractions into three contiguous ranges
 * (the rows are i.i.d., so contiguous ranges are fair) and `make` turns each [lo, hi) range into a split.
 */
export function splitRows<T>(rows: number, validFraction: number, testFraction: number, make: (range: [number, number]) => T): { train: T; valid: T; test: T } {
  if (!(validFraction >= 0 && testFraction >= 0 && validFraction + testFraction < 1)) throw new Error('validFraction + testFraction must be in [0, 1)');
  const nTest = Math.round(rows * testFraction);
  const nValid = Math.round(rows * validFraction);
  const nTrain = rows - nTest - nValid;
  return { train: make([0, nTrain]), valid: make([nTrain, nTrain + nValid]), test: make([nTrain + nValid, rows]) };
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
