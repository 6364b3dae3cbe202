/**
 * Retrieval metrics over a full catalogue, computed on the host from ranked id lists.
 *
 * Ranking convention used everywhere in the library (and by the brute-force references in the tests): a higher
 * score ranks first; equal scores rank the smaller item id first, so results never depend on scan order or chunking.
 */

/**
 * Bounded selection of the k best (score, id) pairs seen so far: a min-heap on "worse first", so each candidate
 * costs one comparison against the current k-th best and only survivors pay O(log k).
 */
export class TopK {
  private readonly scores: Float32Array;
  private readonly ids: Int32Array;
  private n = 0;

  /** @param k how many entries to keep (>= 1) */
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`TopK: k must be a positive integer (got ${k})`);
    this.scores = new Float32Array(k);
    this.ids = new Int32Array(k);
  }

  /** Number of entries held (at most k). */
  get size(): number {
    return this.n;
  }

  /** Forget everything (keeps the buffers). */
  clear(): void {
    this.n = 0;
  }

  /** Whether (s, id) would enter the current selection; cheap pre-check before costlier filters such as exclusion. */
  accepts(s: number, id: number): boolean {
    if (s !== s) return false; // NaN never ranks
    return this.n < this.k || worse(this.scores[0], this.ids[0], s, id);
  }

  /** Offer a candidate. */
  push(s: number, id: number): void {
    if (!this.accepts(s, id)) return;
    if (this.n < this.k) {
      let i = this.n++;
      // sift up: parent must be worse than (or as bad as) child
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(s, id, this.scores[p], this.ids[p])) break;
        this.scores[i] = this.scores[p];
        this.ids[i] = this.ids[p];
        i = p;
      }
      this.scores[i] = s;
      this.ids[i] = id;
      return;
    }
    // replace the root (the worst kept) and sift down
    let i = 0;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && worse(this.scores[r], this.ids[r], this.scores[l], this.ids[l]) ? r : l;
      if (!worse(this.scores[c], this.ids[c], s, id)) break;
      this.scores[i] = this.scores[c];
      this.ids[i] = this.ids[c];
      i = c;
    }
    this.scores[i] = s;
    this.ids[i] = id;
  }

  /** The kept entries, best first, written to `ids` / `scores` at `offset`; returns how many were written. */
  drainInto(ids: Int32Array, scores: Float32Array, offset = 0): number {
    const m = this.n;
    const order = Array.from({ length: m }, (_, i) => i);
    order.sort((a, b) => (worse(this.scores[a], this.ids[a], this.scores[b], this.ids[b]) ? 1 : worse(this.scores[b], this.ids[b], this.scores[a], this.ids[a]) ? -1 : 0));
    for (let j = 0; j < m; j++) {
      ids[offset + j] = this.ids[order[j]];
      scores[offset + j] = this.scores[order[j]];
    }
    this.n = 0;
    return m;
  }
}

/** Whether (sa, ida) ranks below (sb, idb). */
function worse(sa: number, ida: number, sb: number, idb: number): boolean {
  return sa < sb || (sa === sb && ida > idb);
}

/**
 * Top-k item ids of one score vector where `scores[j]` is the score of `itemIds[j]` (default: item id j), skipping
 * ids in `exclude`. Best first.
 */
export function topKItems(scores: ArrayLike<number>, k: number, opts: { itemIds?: ArrayLike<number>; exclude?: ReadonlySet<number> } = {}): { ids: Int32Array; scores: Float32Array } {
  const sel = new TopK(k);
  const { itemIds, exclude } = opts;
  for (let j = 0; j < scores.length; j++) {
    const id = itemIds ? itemIds[j] : j;
    const s = scores[j];
    if (!sel.accepts(s, id)) continue;
    if (exclude && exclude.has(id)) continue;
    sel.push(s, id);
  }
  const ids = new Int32Array(sel.size);
  const out = new Float32Array(sel.size);
  sel.drainInto(ids, out);
  return { ids, scores: out };
}

/** Relevant ids: a list, or a set (reused as is). */
export type RelevantItems = ArrayLike<number> | ReadonlySet<number>;

function relevantSet(relevant: RelevantItems): ReadonlySet<number> {
  return relevant instanceof Set ? relevant : new Set(Array.from(relevant as ArrayLike<number>));
}

function checkK(fn: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${fn}: k must be a positive integer (got ${k})`);
}

/** Share of the relevant items that appear in the first k of `ranked` (0 when nothing is relevant). */
export function recallAt(ranked: ArrayLike<number>, relevant: RelevantItems, k: number): number {
  checkK('recallAt', k);
  const rel = relevantSet(relevant);
  if (rel.size === 0) return 0;
  let hits = 0;
  const seen = new Set<number>();
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const id = ranked[i];
    if (rel.has(id) && !seen.has(id)) {
      hits++;
      seen.add(id);
    }
  }
  return hits / rel.size;
}

/** 1 when at least one relevant item is in the first k of `ranked`, else 0. */
export function hitAt(ranked: ArrayLike<number>, relevant: RelevantItems, k: number): number {
  checkK('hitAt', k);
  const rel = relevantSet(relevant);
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (rel.has(ranked[i])) return 1;
  return 0;
}

/** Binary-relevance NDCG@k: sum over hits at rank r (1-based) of 1/log2(r+1), over the ideal DCG of min(|rel|, k) hits. */
export function ndcgAt(ranked: ArrayLike<number>, relevant: RelevantItems, k: number): number {
  checkK('ndcgAt', k);
  const rel = relevantSet(relevant);
  if (rel.size === 0) return 0;
  let dcg = 0;
  const seen = new Set<number>();
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const id = ranked[i];
    if (rel.has(id) && !seen.has(id)) {
      dcg += 1 / Math.log2(i + 2);
      seen.add(id);
    }
  }
  let idcg = 0;
  for (let i = 0; i < Math.min(k, rel.size); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/** Reciprocal rank (1-based) of the first relevant item within the first k of `ranked`, 0 when there is none. */
export function mrrAt(ranked: ArrayLike<number>, relevant: RelevantItems, k: number): number {
  checkK('mrrAt', k);
  const rel = relevantSet(relevant);
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (rel.has(ranked[i])) return 1 / (i + 1);
  return 0;
}

/** Names of the metrics {@link retrievalMetrics} reports, each suffixed with @k. */
export const RETRIEVAL_METRICS = ['recall', 'hit', 'ndcg', 'mrr'] as const;

/**
 * Mean recall@k, hit@k, NDCG@k and MRR@k over queries, keyed 'recall@50', 'hit@50', ... One query per entry of
 * `ranked` (its retrieved ids, best first, already-seen items removed) with the matching `relevant` ids.
 */
export function retrievalMetrics(ranked: ArrayLike<number>[], relevant: RelevantItems[], ks: number[]): Record<string, number> {
  if (ranked.length !== relevant.length) throw new Error(`retrievalMetrics: ${ranked.length} ranked lists but ${relevant.length} relevant sets`);
  if (ranked.length === 0) throw new Error('retrievalMetrics: no queries');
  if (!ks.length) throw new Error('retrievalMetrics: ks must list at least one cutoff');
  ks.forEach((k) => checkK('retrievalMetrics', k));
  const out: Record<string, number> = {};
  for (const k of ks) for (const m of RETRIEVAL_METRICS) out[`${m}@${k}`] = 0;
  for (let q = 0; q < ranked.length; q++) {
    const rel = relevantSet(relevant[q]);
    for (const k of ks) {
      out[`recall@${k}`] += recallAt(ranked[q], rel, k);
      out[`hit@${k}`] += hitAt(ranked[q], rel, k);
      out[`ndcg@${k}`] += ndcgAt(ranked[q], rel, k);
      out[`mrr@${k}`] += mrrAt(ranked[q], rel, k);
    }
  }
  for (const key of Object.keys(out)) out[key] /= ranked.length;
  return out;
}
