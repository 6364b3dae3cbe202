import { Dataset } from '../../basic/dataset/dataset';
import { Rng } from '../../basic/random';
import { ItemCatalog } from './item-catalog';

/** Negatives drawn for one training step: catalogue positions, their ids and (popularity sampling) log(N Q). */
export interface SampledNegatives {
  positions: Int32Array;
  ids: Int32Array;
  logQ: Float32Array | null;
}

/**
 * Item frequencies of the training data and what is derived from them: uniform or popularity (count^power)
 * negative sampling, and the log-Q terms of the sampled-softmax correction. Frequencies are indexed by catalogue
 * position, so they are reset when the catalogue changes.
 */
export class NegativeSampler {
  private counts: Float64Array | null = null;
  /** Smoothed total of `counts` (null = recompute). */
  private countsTotal: number | null = null;
  private cdf: Float64Array | null = null;
  /** Whether the counts came from setItemPopularity (then training data does not overwrite them). */
  fromUser = false;

  constructor(
    readonly kind: 'uniform' | 'popularity',
    readonly power: number,
  ) {}

  /** Forget all counts (the catalogue changed). */
  reset(): void {
    this.counts = null;
    this.fromUser = false;
    this.invalidate();
  }

  /** Counts given by the user, by item id (`counts[j]` for ids[j], or for id j when `ids` is omitted). */
  setPopularity(catalog: ItemCatalog, counts: ArrayLike<number>, ids?: ArrayLike<number>): void {
    const out = new Float64Array(catalog.ids.length);
    for (let j = 0; j < counts.length; j++) {
      const c = counts[j];
      if (!(c >= 0)) throw new Error(`setItemPopularity: counts[${j}] must be a non-negative number (got ${c})`);
      const p = catalog.position(ids ? ids[j] : j);
      if (p >= 0) out[p] += c;
    }
    this.counts = out;
    this.fromUser = true;
    this.invalidate();
  }

  /** Add the items of `column` (optionally only rows `rows`) to the counts. */
  count(catalog: ItemCatalog, data: Dataset, column: string, rows?: ArrayLike<number>): void {
    if (!this.counts || this.counts.length !== catalog.ids.length) this.counts = new Float64Array(catalog.ids.length);
    const col = data.column(column).data as Int32Array;
    const n = rows ? rows.length : data.numRows;
    for (let i = 0; i < n; i++) {
      const p = catalog.position(col[rows ? rows[i] : i]);
      if (p >= 0) this.counts[p]++;
    }
    this.invalidate();
  }

  /** Drop the counts gathered from training data (a new fit counts its own data). */
  clearCounted(): void {
    if (this.fromUser) return;
    this.counts = null;
    this.invalidate();
  }

  /**
   * N negatives for training step `step`, from a generator keyed by (seed, step) rather than the shared training
   * stream: the step counter is saved with the model, so a loaded model draws exactly the negatives the original
   * would have drawn next. `withLogQ` adds log(N Q(item)) for the popularity sampler.
   */
  draw(catalog: ItemCatalog, seed: number, step: number, N: number, withLogQ: boolean): SampledNegatives {
    const rng = new Rng((Math.imul(seed ^ 0x5bd1e995, 0x01000193) ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0);
    const positions = new Int32Array(N);
    const cdf = this.kind === 'popularity' ? this.distribution(catalog) : null;
    for (let n = 0; n < N; n++) positions[n] = cdf ? searchCdf(cdf, rng.next() * cdf[cdf.length - 1]) : rng.int(catalog.ids.length);
    const ids = new Int32Array(N);
    for (let n = 0; n < N; n++) ids[n] = catalog.ids[positions[n]];
    let logQ: Float32Array | null = null;
    if (withLogQ && cdf) {
      // expected number of times each candidate is drawn: N * Q(item)
      const total = cdf[cdf.length - 1];
      logQ = new Float32Array(N);
      for (let n = 0; n < N; n++) logQ[n] = Math.log((N * (cdf[positions[n]] - (positions[n] > 0 ? cdf[positions[n] - 1] : 0))) / total);
    }
    return { positions, ids, logQ };
  }

  /** log of each item's smoothed training frequency (Laplace +1 over the catalogue); zeros before any counting. */
  logFrequency(catalog: ItemCatalog, ids: Int32Array): Float32Array {
    const counts = this.counts;
    const out = new Float32Array(ids.length);
    if (!counts) return out; // no counts yet: a constant shift, which the softmax ignores
    if (this.countsTotal === null) {
      this.countsTotal = catalog.ids.length;
      for (let i = 0; i < counts.length; i++) this.countsTotal += counts[i];
    }
    const total = this.countsTotal;
    for (let i = 0; i < ids.length; i++) {
      const p = catalog.position(ids[i]);
      out[i] = Math.log(((p >= 0 ? counts[p] : 0) + 1) / total);
    }
    return out;
  }

  /** log(N * Q(item)) of `ids` under the popularity sampler. */
  sampledLogQ(catalog: ItemCatalog, ids: Int32Array, N: number): Float32Array {
    const cdf = this.distribution(catalog);
    const total = cdf[cdf.length - 1];
    const out = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const p = catalog.position(ids[i]);
      const w = p >= 0 ? cdf[p] - (p > 0 ? cdf[p - 1] : 0) : 0;
      out[i] = Math.log(Math.max((N * w) / total, 1e-30));
    }
    return out;
  }

  private distribution(catalog: ItemCatalog): Float64Array {
    if (this.cdf) return this.cdf;
    const n = catalog.ids.length;
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += Math.pow((this.counts ? this.counts[i] : 0) + 1, this.power);
      cdf[i] = acc;
    }
    this.cdf = cdf;
    return cdf;
  }

  private invalidate(): void {
    this.cdf = null;
    this.countsTotal = null;
  }
}

/** Smallest index i with cdf[i] > u (cdf non-decreasing). */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
