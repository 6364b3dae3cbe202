import { auc } from '../src/basic/metrics';
import { syntheticCross3 } from '../src/data/synthetic/cross3';
import { syntheticInterestSequence } from '../src/data/synthetic/interest-sequence';

describe('syntheticCross3', () => {
  const d = syntheticCross3({ rows: 20_000, seed: 2 });

  it('returns splits, features and oracle probabilities', () => {
    const n = (d.train.label as Float32Array).length + (d.valid.label as Float32Array).length + (d.test.label as Float32Array).length;
    expect(n).toBe(20_000);
    expect(d.sparseFeatures.map((f) => f.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    d.sparseFeatures.forEach((f) => {
      const col = d.train[f.name] as Int32Array;
      expect(Math.min(...col)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...col)).toBeLessThan(f.vocabSize);
    });
    expect(d.oracle.test.oracle.length).toBe((d.test.label as Float32Array).length);
    expect(d.oracle.test.oracleAuc).toBeGreaterThan(0.8);
  });

  it('hides the signal from every single field (a parity-like third-order cross)', () => {
    // the best any one-field model can do: score each row by its id's empirical click rate on the train split
    const y = d.train.label as Float32Array;
    for (const f of [0, 1, 2]) {
      const col = d.train[`c${f}`] as Int32Array;
      const clicks = new Float64Array(d.sparseFeatures[f].vocabSize);
      const seen = new Float64Array(d.sparseFeatures[f].vocabSize);
      for (let i = 0; i < y.length; i++) {
        clicks[col[i]] += y[i];
        seen[col[i]]++;
      }
      const test = d.test[`c${f}`] as Int32Array;
      const score = Float32Array.from(test, (id) => (clicks[id] + 1) / (seen[id] + 2));
      expect(auc(d.test.label as Float32Array, score)).toBeLessThan(0.62);
    }
  });

  it('validates its options', () => {
    expect(() => syntheticCross3({ rows: 5 })).toThrow(/rows/);
    expect(() => syntheticCross3({ rows: 100, crossFields: [0, 0, 1] })).toThrow(/crossFields/);
  });
});

describe('syntheticInterestSequence', () => {
  const d = syntheticInterestSequence({ rows: 6000, seed: 3 });
  const L = d.behaviorFeature.maxLen;

  it('returns left-aligned histories, a target sharing their table, and oracle probabilities', () => {
    expect(d.targetItemFeature.tableName).toBe(d.behaviorFeature.tableName);
    const hist = d.train.hist_item as Int32Array;
    const rows = hist.length / L;
    for (let i = 0; i < rows; i++) {
      let ended = false;
      for (let t = 0; t < L; t++) {
        const v = hist[i * L + t];
        if (v === 0) ended = true;
        else expect(ended).toBe(false);
      }
    }
    expect(d.oracle.test.oracleAuc).toBeGreaterThan(0.85);
  });

  it('puts the current interest at the end: the last item predicts the label better than the most frequent cluster', () => {
    const hist = d.test.hist_item as Int32Array;
    const target = d.test.target_item as Int32Array;
    const y = d.test.label as Float32Array;
    const c = d.itemCluster;
    const lastMatch = new Float32Array(y.length);
    const countMatch = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      let last = 0;
      let count = 0;
      for (let t = 0; t < L; t++) {
        const v = hist[i * L + t];
        if (v === 0) break;
        last = v;
        if (c[v] === c[target[i]]) count++;
      }
      lastMatch[i] = c[last] === c[target[i]] ? 1 : 0;
      countMatch[i] = count;
    }
    const byLast = auc(y, lastMatch);
    const byCount = auc(y, countMatch);
    expect(byLast).toBeGreaterThan(0.75);
    expect(byLast).toBeGreaterThan(byCount);
  });
});
