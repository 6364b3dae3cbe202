/**
 * Ranking metrics for next-item prediction over a full catalogue. Each evaluated row contributes the rank of its
 * true next item among all candidates, given as the number of candidates scored strictly higher (`greater`) and
 * the number scored exactly the same (`equal`, the target excluded). Ties are split evenly: the target is taken to
 * be equally likely at any of the tied positions, so a model that scores everything alike gets the HR@k of a
 * random ranking rather than a perfect one.
 */

/** Hit rate @k of one row: probability that the target lands in the top k. */
export function hitRateAt(greater: number, equal: number, k: number): number {
  return Math.min(1, Math.max(0, (k - greater) / (equal + 1)));
}

/** NDCG @k of one row with a single relevant item: 1 / log2(rank + 2) if rank < k, averaged over tied ranks. */
export function ndcgAt(greater: number, equal: number, k: number): number {
  let g = 0;
  const last = Math.min(greater + equal, k - 1);
  for (let pos = greater; pos <= last; pos++) g += 1 / Math.log2(pos + 2);
  return g / (equal + 1);
}

/** Reciprocal rank of one row, averaged over tied ranks. */
export function reciprocalRank(greater: number, equal: number): number {
  if (equal === 0) return 1 / (greater + 1);
  // mean of 1/(p+1) over p = greater..greater+equal, via harmonic numbers for large tie groups
  let s = 0;
  if (equal < 1000) {
    for (let p = greater; p <= greater + equal; p++) s += 1 / (p + 1);
  } else {
    s = harmonic(greater + equal + 1) - harmonic(greater);
  }
  return s / (equal + 1);
}

function harmonic(n: number): number {
  if (n < 1) return 0;
  if (n < 100) {
    let s = 0;
    for (let i = 1; i <= n; i++) s += 1 / i;
    return s;
  }
  return Math.log(n) + 0.5772156649015329 + 1 / (2 * n) - 1 / (12 * n * n);
}

/** Accumulates per-row ranks into HR@k, NDCG@k (for each k) and MRR. */
export class RankingAccumulator {
  private count = 0;
  private readonly hr: number[];
  private readonly ndcg: number[];
  private mrr = 0;

  /** @param ks cut-offs, e.g. [10, 50] */
  constructor(readonly ks: readonly number[]) {
    for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new Error(`RankingAccumulator: cut-offs must be positive integers (got ${k})`);
    this.hr = ks.map(() => 0);
    this.ndcg = ks.map(() => 0);
  }

  /** Add one row's rank counts. */
  add(greater: number, equal: number): void {
    this.count++;
    this.ks.forEach((k, i) => {
      this.hr[i] += hitRateAt(greater, equal, k);
      this.ndcg[i] += ndcgAt(greater, equal, k);
    });
    this.mrr += reciprocalRank(greater, equal);
  }

  /** Rows added so far. */
  get rows(): number {
    return this.count;
  }

  /** Means over the rows: `hr@k`, `ndcg@k` for each cut-off, and `mrr`. */
  result(): Record<string, number> {
    const n = Math.max(1, this.count);
    const out: Record<string, number> = {};
    this.ks.forEach((k, i) => {
      out[`hr@${k}`] = this.hr[i] / n;
      out[`ndcg@${k}`] = this.ndcg[i] / n;
    });
    out.mrr = this.mrr / n;
    return out;
  }
}
