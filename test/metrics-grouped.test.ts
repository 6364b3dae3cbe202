import { groupedMetricAt, GROUPED_METRICS, GroupedMetric } from '../src/basic/grouped-metrics';
import { f1, ks, mape, precision, r2, recall } from '../src/basic/threshold-metrics';
import { metrics } from '../src/basic/catalog';
import { Rng } from '../src/basic/random';

/** Plain definition of a metric on one ranked list of 0/1 relevances. */
function plain(metric: GroupedMetric, rel: number[], K: number): number {
  const R = rel.reduce((a, b) => a + b, 0);
  const top = rel.slice(0, K);
  const hits = top.reduce((a, b) => a + b, 0);
  switch (metric) {
    case 'hit':
      return hits > 0 ? 1 : 0;
    case 'precision':
      return hits / K;
    case 'recall':
      return hits / R;
    case 'mrr': {
      const i = top.indexOf(1);
      return i < 0 ? 0 : 1 / (i + 1);
    }
    case 'ndcg': {
      let dcg = 0;
      top.forEach((r, i) => (dcg += r / Math.log2(i + 2)));
      let ideal = 0;
      for (let i = 0; i < Math.min(K, R); i++) ideal += 1 / Math.log2(i + 2);
      return dcg / ideal;
    }
    case 'map': {
      let s = 0;
      let seen = 0;
      top.forEach((r, i) => {
        if (r) s += ++seen / (i + 1);
      });
      return s / Math.min(K, R);
    }
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const p of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...p]);
  });
  return out;
}

/** Brute force: average the plain metric over every order of the tied rows (each tie block permuted). */
function bruteForce(metric: GroupedMetric, labels: number[], scores: number[], groups: number[], K: number): number {
  const byGroup = new Map<number, number[]>();
  groups.forEach((g, i) => byGroup.set(g, [...(byGroup.get(g) ?? []), i]));
  let total = 0;
  let count = 0;
  for (const rows of byGroup.values()) {
    if (!rows.some((r) => labels[r] === 1)) continue;
    const distinct = [...new Set(rows.map((r) => scores[r]))].sort((a, b) => b - a);
    const blocks = distinct.map((s) => rows.filter((r) => scores[r] === s));
    let orders: number[][] = [[]];
    for (const b of blocks) {
      const next: number[][] = [];
      for (const o of orders) for (const p of permutations(b)) next.push([...o, ...p]);
      orders = next;
    }
    total += orders.reduce((a, o) => a + plain(metric, o.map((r) => labels[r]), K), 0) / orders.length;
    count++;
  }
  return count ? total / count : NaN;
}

function randomData(seed: number, groups: number) {
  const rng = new Rng(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  const gs: number[] = [];
  for (let g = 0; g < groups; g++) {
    const n = 1 + rng.int(6);
    for (let i = 0; i < n; i++) {
      labels.push(rng.next() < 0.4 ? 1 : 0);
      scores.push(rng.int(4) / 4); // few distinct values: many ties
      gs.push(g * 7 + 3);
    }
  }
  return { labels, scores, groups: gs };
}

describe('grouped ranking metrics @K against brute force over tie orders', () => {
  for (const metric of GROUPED_METRICS) {
    it(`${metric}@K for K = 1, 2, 3, 5 on random data with ties`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const d = randomData(seed, 25);
        for (const K of [1, 2, 3, 5]) {
          const got = groupedMetricAt(metric, Float32Array.from(d.labels), Float32Array.from(d.scores), Int32Array.from(d.groups), K);
          expect(got).toBeCloseTo(bruteForce(metric, d.labels, d.scores, d.groups, K), 10);
        }
      }
    });
  }
  it('are registered as name@K families that need groupColumn, and reject bad K', () => {
    const spec = metrics.resolve('ndcg@3');
    expect(spec.needsGroups).toBe(true);
    expect(spec.higherIsBetter).toBe(true);
    const d = randomData(9, 10);
    expect(spec.fn(Float32Array.from(d.labels), Float32Array.from(d.scores), Int32Array.from(d.groups))).toBeCloseTo(bruteForce('ndcg', d.labels, d.scores, d.groups, 3), 10);
    expect(() => metrics.resolve('ndcg@0')).toThrow(/K must be a positive integer, e.g. 'ndcg@10'/);
    expect(() => metrics.resolve('recall@x')).toThrow(/K must be a positive integer/);
    expect(metrics.list()).toEqual(expect.arrayContaining(['ndcg@K', 'map@K', 'mrr@K', 'hit@K', 'precision@K', 'recall@K', 'ks', 'f1', 'r2', 'mape']));
  });
});

describe('threshold, KS and regression metrics against brute force', () => {
  const rng = new Rng(5);
  const n = 300;
  const y = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  const p = Float32Array.from({ length: n }, () => Math.round(rng.next() * 10) / 10); // ties, and some exactly at thresholds

  it('precision, recall, f1 at thresholds (score >= threshold is positive)', () => {
    for (const t of [0.3, 0.5, 0.7]) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (let i = 0; i < n; i++) {
        if (p[i] >= t && y[i] === 1) tp++;
        if (p[i] >= t && y[i] === 0) fp++;
        if (p[i] < t && y[i] === 1) fn++;
      }
      const P = tp / (tp + fp);
      const R = tp / (tp + fn);
      expect(precision(y, p, t)).toBeCloseTo(P, 12);
      expect(recall(y, p, t)).toBeCloseTo(R, 12);
      expect(f1(y, p, t)).toBeCloseTo((2 * P * R) / (P + R), 12);
    }
    expect(precision([0, 1], [0.1, 0.2])).toBe(0); // nothing predicted positive
  });

  it('ks is the largest |TPR - FPR| over every threshold', () => {
    let best = 0;
    for (const t of new Set(p)) {
      let tp = 0;
      let fp = 0;
      for (let i = 0; i < n; i++) if (p[i] >= t) y[i] ? tp++ : fp++;
      const P = y.reduce((a, b) => a + b, 0);
      best = Math.max(best, Math.abs(tp / P - fp / (n - P)));
    }
    expect(ks(y, p)).toBeCloseTo(best, 12);
    expect(ks([1, 1], [0.2, 0.4])).toBeNaN();
  });

  it('r2 and mape', () => {
    const t = Float32Array.from({ length: 50 }, (_, i) => (i % 7) - 3);
    const q = Float32Array.from(t, (v, i) => v + ((i % 3) - 1) * 0.5);
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const ssr = t.reduce((a, v, i) => a + (v - q[i]) ** 2, 0);
    const sst = t.reduce((a, v) => a + (v - mean) ** 2, 0);
    expect(r2(t, q)).toBeCloseTo(1 - ssr / sst, 6);
    const nz = [...t.keys()].filter((i) => t[i] !== 0);
    expect(mape(t, q)).toBeCloseTo(nz.reduce((a, i) => a + Math.abs(t[i] - q[i]) / Math.abs(t[i]), 0) / nz.length, 6);
    expect(r2([2, 2], [2, 2])).toBe(1);
    expect(mape([0, 0], [1, 2])).toBeNaN();
  });
});
