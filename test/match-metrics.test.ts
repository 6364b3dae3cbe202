import { hitAt, mrrAt, ndcgAt, recallAt, retrievalMetrics, TopK, topKItems } from '../src/basic/retrieval-metrics';
import { Rng } from '../src/basic/random';

describe('TopK selection', () => {
  it('equals a full sort (score desc, then id asc) for random scores with ties', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + rng.int(300);
      const k = 1 + rng.int(40);
      // coarse scores so that ties are common
      const scores = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4);
      const exclude = new Set(Array.from({ length: 5 }, () => rng.int(n)));
      const got = topKItems(scores, k, { exclude });
      const ref = Array.from({ length: n }, (_, i) => i)
        .filter((i) => !exclude.has(i))
        .sort((a, b) => scores[b] - scores[a] || a - b)
        .slice(0, k);
      expect(Array.from(got.ids)).toEqual(ref);
      expect(Array.from(got.scores)).toEqual(ref.map((i) => scores[i]));
    }
  });

  it('ignores NaN and validates k', () => {
    const sel = new TopK(2);
    [NaN, 1, 3, NaN, 2].forEach((s, i) => sel.push(s, i));
    const ids = new Int32Array(2);
    const sc = new Float32Array(2);
    expect(sel.drainInto(ids, sc)).toBe(2);
    expect(Array.from(ids)).toEqual([2, 4]);
    expect(() => new TopK(0)).toThrow(/k must be a positive integer/);
  });
});

describe('retrieval metrics', () => {
  const ranked = [7, 3, 9, 1, 4];
  it('match their definitions', () => {
    expect(recallAt(ranked, [3, 4, 8], 2)).toBeCloseTo(1 / 3);
    expect(recallAt(ranked, [3, 4, 8], 5)).toBeCloseTo(2 / 3);
    expect(hitAt(ranked, [4], 4)).toBe(0);
    expect(hitAt(ranked, [4], 5)).toBe(1);
    expect(mrrAt(ranked, [9, 4], 5)).toBeCloseTo(1 / 3);
    expect(mrrAt(ranked, [8], 5)).toBe(0);
    // hits at ranks 2 and 5; ideal: 2 hits at ranks 1, 2
    expect(ndcgAt(ranked, [3, 4], 5)).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3)), 10);
    // more relevant items than k: the ideal DCG has only k terms
    expect(ndcgAt([1, 2], [1, 2, 3], 2)).toBeCloseTo(1, 10);
    expect(recallAt(ranked, [], 5)).toBe(0);
  });

  it('averages over queries with one key per metric and cutoff', () => {
    const r = retrievalMetrics([ranked, [1, 2]], [[7], [5]], [1, 5]);
    expect(Object.keys(r).sort()).toEqual(['hit@1', 'hit@5', 'mrr@1', 'mrr@5', 'ndcg@1', 'ndcg@5', 'recall@1', 'recall@5']);
    expect(r['hit@1']).toBe(0.5);
    expect(r['mrr@5']).toBe(0.5);
    expect(() => retrievalMetrics([ranked], [], [5])).toThrow(/1 ranked lists but 0 relevant sets/);
  });
});
