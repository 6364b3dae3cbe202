import { accuracy, auc, gauc, logloss, mae, mse, rmse } from '../src/basic/metrics';

/** Deterministic PRNG so failures are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reference AUC: fraction of positive-negative pairs ordered correctly, ties = 1/2. */
function bruteAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

describe('auc', () => {
  it('matches the O(n^2) pair count on heavily tied random data', () => {
    const rnd = mulberry32(42);
    for (const n of [2000, 37]) {
      const labels = new Float32Array(n);
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        labels[i] = rnd() < 0.3 ? 1 : 0;
        // Correlated with the label so the AUC is away from 0.5, rounded for ties.
        scores[i] = Math.round((rnd() + 0.3 * labels[i]) * 10) / 10;
      }
      expect(auc(labels, scores)).toBeCloseTo(bruteAuc(labels, scores), 12);
    }
  });

  it('handles perfect, reversed and constant rankings', () => {
    const labels = [0, 0, 1, 0, 1, 1];
    const perfect = [0.1, 0.2, 0.8, 0.3, 0.9, 0.7];
    expect(auc(labels, perfect)).toBe(1);
    expect(auc(labels, perfect.map((s) => -s))).toBe(0);
    expect(auc(labels, [3, 3, 3, 3, 3, 3])).toBe(0.5);
  });

  it('accepts every label array type', () => {
    const scores = [0.2, 0.9, 0.6, 0.5];
    const expected = 0.75; // pairs 0.9>0.2, 0.9>0.6, 0.5>0.2 correct; 0.5<0.6 wrong
    expect(auc([0, 1, 0, 1], scores)).toBe(expected);
    expect(auc(new Int32Array([0, 1, 0, 1]), scores)).toBe(expected);
    expect(auc(new Uint8Array([0, 1, 0, 1]), scores)).toBe(expected);
    expect(auc(new Float32Array([0, 1, 0, 1]), new Float32Array(scores))).toBe(expected);
  });

  it('returns NaN when only one class is present', () => {
    expect(auc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(auc([0, 0], [0.1, 0.2])).toBeNaN();
  });

  it('throws on length mismatch, empty input and NaN scores', () => {
    expect(() => auc([0, 1], [0.5])).toThrow('auc: length mismatch (labels: 2, scores: 1)');
    expect(() => auc([], [])).toThrow(/auc: empty input/);
    expect(() => auc([0, 1], [0.5, NaN])).toThrow(/auc: scores contain NaN/);
  });

  it('scores 1e6 items quickly', () => {
    const n = 1_000_000;
    const rnd = mulberry32(7);
    const labels = new Uint8Array(n);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = rnd() < 0.1 ? 1 : 0;
      scores[i] = rnd() + 0.2 * labels[i];
    }
    const t0 = performance.now();
    const v = auc(labels, scores);
    const ms = performance.now() - t0;
    expect(v).toBeGreaterThan(0.5);
    expect(v).toBeLessThan(1);
    expect(ms).toBeLessThan(5000);
  });
});

describe('gauc', () => {
  it('weights per-group AUC by impressions and skips single-class groups', () => {
    const labels = [1, 0, 0, /* g2 */ 1, 1, 0, 0, /* g3 single class */ 1, 1, /* g4 */ 0, 1];
    const scores = [0.9, 0.1, 0.95, 0.6, 0.2, 0.3, 0.1, 0.5, 0.4, 0.7, 0.7];
    const groups = [1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4];
    // g1: pos 0.9 vs negs {0.1, 0.95} -> 1/2; g2: pos {0.6,0.2} vs negs {0.3,0.1}: 0.6>both, 0.2>0.1 -> 3/4;
    // g4: tie -> 1/2. Weights 3, 4, 2.
    const expected = (3 * 0.5 + 4 * 0.75 + 2 * 0.5) / 9;
    expect(gauc(labels, scores, groups)).toBeCloseTo(expected, 12);
  });

  it('equals auc for a single group and NaN when no group is valid', () => {
    const labels = [0, 1, 1, 0, 1];
    const scores = [0.3, 0.4, 0.1, 0.2, 0.9];
    expect(gauc(labels, scores, [5, 5, 5, 5, 5])).toBeCloseTo(auc(labels, scores), 12);
    expect(gauc([1, 0], [0.3, 0.2], [1, 2])).toBeNaN();
  });

  it('throws when groups length differs', () => {
    expect(() => gauc([0, 1], [0.1, 0.2], [1])).toThrow('gauc: length mismatch (labels: 2, groups: 1)');
  });
});

describe('logloss', () => {
  it('matches the direct formula', () => {
    const rnd = mulberry32(3);
    const n = 500;
    const labels = new Float32Array(n);
    const probs = new Float64Array(n);
    let ref = 0;
    for (let i = 0; i < n; i++) {
      labels[i] = rnd() < 0.5 ? 1 : 0;
      probs[i] = 0.01 + 0.98 * rnd();
      ref += -(labels[i] * Math.log(probs[i]) + (1 - labels[i]) * Math.log(1 - probs[i]));
    }
    expect(logloss(labels, probs)).toBeCloseTo(ref / n, 12);
  });

  it('clips probabilities to [eps, 1-eps]', () => {
    expect(logloss([1, 0], [0, 1])).toBeCloseTo(-Math.log(1e-7), 6);
    expect(Number.isFinite(logloss([1, 0], [0, 1]))).toBe(true);
    expect(logloss([1], [0], 1e-3)).toBeCloseTo(-Math.log(1e-3), 12);
    expect(logloss([1, 0], [1, 0])).toBeCloseTo(-Math.log(1 - 1e-7), 12);
  });

  it('throws with both lengths in the message', () => {
    expect(() => logloss([1, 0, 1], [0.5, 0.5])).toThrow('logloss: length mismatch (labels: 3, probs: 2)');
    expect(() => logloss([], [])).toThrow(/logloss: empty input/);
  });
});

describe('accuracy and regression metrics', () => {
  it('computes accuracy with the default and a custom threshold', () => {
    const labels = [1, 0, 1, 0];
    const probs = [0.6, 0.4, 0.3, 0.5];
    expect(accuracy(labels, probs)).toBe(0.5);
    expect(accuracy(labels, probs, 0.35)).toBe(0.25);
    expect(accuracy(labels, probs, 0.55)).toBe(0.75);
  });

  it('computes mse, rmse and mae', () => {
    const t = [1, 2, 3, 4];
    const p = [1.5, 2, 2, 6];
    expect(mse(t, p)).toBeCloseTo((0.25 + 0 + 1 + 4) / 4, 12);
    expect(rmse(t, p)).toBeCloseTo(Math.sqrt(5.25 / 4), 12);
    expect(mae(t, p)).toBeCloseTo((0.5 + 0 + 1 + 2) / 4, 12);
  });

  it('throws on mismatched or empty inputs', () => {
    expect(() => accuracy([1], [0.5, 0.5])).toThrow('accuracy: length mismatch (labels: 1, probs: 2)');
    expect(() => mse([1, 2], [1])).toThrow('mse: length mismatch (targets: 2, preds: 1)');
    expect(() => rmse([1], [1, 2])).toThrow('rmse: length mismatch (targets: 1, preds: 2)');
    expect(() => mae([], [])).toThrow(/mae: empty input/);
  });
});
