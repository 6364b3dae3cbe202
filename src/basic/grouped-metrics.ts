/**
 * Per-group (per-user) ranking metrics @K from scored rows: each group's rows are ranked by score, metrics are
 * computed per group and averaged over the groups that have at least one positive row (label >= 0.5). Ties are
 * split evenly, as in sequence-metrics.ts: a tied block of rows is taken in uniformly random order and each
 * metric is its exact expected value, so a model that scores every row alike gets a random ranking's value rather
 * than one that depends on row order.
 *
 * Definitions for a group with R positive rows (r: 1-based rank, rel_r in {0, 1}):
 *   hit@K = [some rel_r = 1, r <= K]          precision@K = sum_{r<=K} rel_r / K
 *   recall@K = sum_{r<=K} rel_r / R            mrr@K = 1 / (first r with rel_r = 1), 0 when beyond K
 *   ndcg@K = sum_{r<=K} rel_r / log2(r + 1) over the ideal sum_{r<=min(K,R)} 1 / log2(r + 1)
 *   map@K = sum_{r<=K} rel_r precision@r / min(K, R)
 */

/** Names of the grouped @K metrics (registered as e.g. 'ndcg@10'). */
export const GROUPED_METRICS = ['hit', 'precision', 'recall', 'ndcg', 'map', 'mrr'] as const;
export type GroupedMetric = (typeof GROUPED_METRICS)[number];

/** A block of tied rows in rank order: starts at 0-based position `start`, `size` rows, `pos` positives. */
interface TieBlock {
  start: number;
  size: number;
  pos: number;
}

function blocksOf(rows: number[], labels: ArrayLike<number>, scores: ArrayLike<number>): TieBlock[] {
  rows.sort((a, b) => scores[b] - scores[a]);
  const out: TieBlock[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i;
    let pos = 0;
    while (j < rows.length && scores[rows[j]] === scores[rows[i]]) pos += labels[rows[j++]] >= 0.5 ? 1 : 0;
    out.push({ start: i, size: j - i, pos });
    i = j;
  }
  return out;
}

/** C(n, k) as a float (small n in practice; exact enough for probabilities). */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** Expected value of one metric for one group's tie blocks (R = total positives > 0). */
function groupValue(metric: GroupedMetric, blocks: TieBlock[], R: number, K: number): number {
  switch (metric) {
    case 'precision':
    case 'recall': {
      let hits = 0;
      for (const b of blocks) {
        if (b.start >= K) break;
        hits += (Math.min(K, b.start + b.size) - b.start) * (b.pos / b.size);
      }
      return metric === 'precision' ? hits / K : hits / R;
    }
    case 'ndcg': {
      let dcg = 0;
      for (const b of blocks) {
        for (let p = b.start; p < Math.min(K, b.start + b.size); p++) dcg += b.pos / b.size / Math.log2(p + 2);
      }
      let ideal = 0;
      for (let p = 0; p < Math.min(K, R); p++) ideal += 1 / Math.log2(p + 2);
      return dcg / ideal;
    }
    case 'hit':
    case 'mrr': {
      // the first block holding a positive decides both
      for (const b of blocks) {
        if (b.start >= K) return 0;
        if (b.pos === 0) continue;
        const slots = Math.min(K, b.start + b.size) - b.start;
        if (metric === 'hit') return 1 - choose(b.size - b.pos, slots) / choose(b.size, slots);
        // P(first positive at offset j) = C(size - j - 1, pos - 1) / C(size, pos)
        let rr = 0;
        const total = choose(b.size, b.pos);
        for (let j = 0; j < slots; j++) rr += choose(b.size - j - 1, b.pos - 1) / total / (b.start + j + 1);
        return rr;
      }
      return 0;
    }
    case 'map': {
      // E[sum_{r<K} rel_r (1/(r+1)) sum_{i<=r} rel_i]: pairs in one block are positive together with probability
      // pos(pos-1)/(size(size-1)); pairs across blocks are independent
      let sum = 0;
      let before = 0; // expected positives in earlier blocks
      for (const b of blocks) {
        if (b.start >= K) break;
        const q = b.pos / b.size;
        const pair = b.size > 1 ? (b.pos * (b.pos - 1)) / (b.size * (b.size - 1)) : 0;
        for (let r = b.start; r < Math.min(K, b.start + b.size); r++) sum += (q + before * q + (r - b.start) * pair) / (r + 1);
        before += b.pos;
      }
      return sum / Math.min(K, R);
    }
  }
}

/**
 * Mean over groups (with at least one positive) of a ranking metric @K. NaN when no group has a positive.
 * @throws naming the argument when lengths differ or K is not a positive integer
 */
export function groupedMetricAt(metric: GroupedMetric, labels: ArrayLike<number>, scores: ArrayLike<number>, groups: ArrayLike<number>, K: number): number {
  if (!Number.isInteger(K) || K < 1) throw new Error(`${metric}@K: K must be a positive integer (got ${K})`);
  if (labels.length !== scores.length || labels.length !== groups.length) {
    throw new Error(`${metric}@${K}: labels (${labels.length}), scores (${scores.length}) and groups (${groups.length}) must have the same length`);
  }
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`${metric}@${K}: score of row ${i} is NaN`);
    let list = rowsOf.get(groups[i]);
    if (!list) rowsOf.set(groups[i], (list = []));
    list.push(i);
  }
  let total = 0;
  let count = 0;
  for (const rows of rowsOf.values()) {
    let R = 0;
    for (const r of rows) R += labels[r] >= 0.5 ? 1 : 0;
    if (R === 0) continue;
    total += groupValue(metric, blocksOf(rows, labels, scores), R, K);
    count++;
  }
  return count ? total / count : NaN;
}
