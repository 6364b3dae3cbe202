import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { Dataset } from '../src/data/dataset';

describe('syntheticRetrieval', () => {
  const d = syntheticRetrieval({ numUsers: 400, numItems: 600, numClusters: 12, historyLen: 15, trainPerUser: 5, seed: 3 });

  it('is deterministic for a seed and binds to its features', () => {
    const again = syntheticRetrieval({ numUsers: 400, numItems: 600, numClusters: 12, historyLen: 15, trainPerUser: 5, seed: 3 });
    expect(again.train).toEqual(d.train);
    expect(again.test).toEqual(d.test);
    expect(syntheticRetrieval({ numUsers: 400, numItems: 600, numClusters: 12, historyLen: 15, trainPerUser: 5, seed: 4 }).train).not.toEqual(d.train);
    const ds = Dataset.bind(d.train, [...d.sparseFeatures, ...d.sequenceFeatures], [{ name: 'label', type: 'binary' }]);
    expect(ds.numRows).toBe(400 * 5);
    expect(d.userFeatures.map((f) => f.name)).toEqual(['user_id', 'hist']);
    expect(d.itemFeatures.map((f) => f.name)).toEqual(['item_id']);
  });

  it('users mix a few clusters, and positives follow them', () => {
    let inInterest = 0;
    let total = 0;
    for (let u = 1; u <= 400; u++) {
      const mine = new Set(d.userInterests[u].map(([k]) => k));
      expect(mine.size).toBeGreaterThanOrEqual(1);
      expect(mine.size).toBeLessThanOrEqual(3);
      for (const id of d.histories[u]) {
        total++;
        if (mine.has(d.itemCluster[id])) inInterest++;
      }
      const p = d.oracle.relevance(u);
      expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    }
    expect(inInterest / total).toBeGreaterThan(0.9);
    // held-out targets never repeat the history
    for (let r = 0; r < d.test.user_id.length; r++) {
      const u = (d.test.user_id as Int32Array)[r];
      expect(Array.from(d.histories[u])).not.toContain((d.test.item_id as Int32Array)[r]);
    }
  });

  it('reports an oracle hit rate far above chance, consistent with its expectation', () => {
    const hr = d.oracle.hitRateAt(50);
    const expected = d.oracle.expectedHitRateAt(50);
    expect(hr).toBeGreaterThan(5 * (50 / (600 - 15)));
    expect(Math.abs(hr - expected)).toBeLessThan(0.08);
    expect(d.oracle.hitRateAt(600)).toBe(1);
  });
});

describe('syntheticNextItem', () => {
  const d = syntheticNextItem({ numUsers: 500, numItems: 300, numTopics: 6, seqLen: [12, 30], maxLen: 20, seed: 2 });

  it('builds leave-one-out splits from the generated sequences', () => {
    expect(d.valid.user_id.length).toBe(500);
    expect(d.test.user_id.length).toBe(500);
    const seq = d.sequences[7];
    const r = 6; // user 7 is row 6 of valid / test
    expect((d.test.target_item as Int32Array)[r]).toBe(seq[seq.length - 1]);
    expect((d.valid.target_item as Int32Array)[r]).toBe(seq[seq.length - 2]);
    const hist = Array.from((d.test.hist as Int32Array).subarray(r * 20, r * 20 + 20)).filter((x) => x > 0);
    expect(hist).toEqual(Array.from(seq.subarray(Math.max(0, seq.length - 1 - 20), seq.length - 1)));
    expect(d.trainSequences[7].length).toBe(seq.length - 2);
    const ds = Dataset.bind(d.train, [...d.sparseFeatures, ...d.sequenceFeatures], [{ name: 'label', type: 'binary' }]);
    expect(ds.numRows).toBe(d.trainSequences.slice(1).reduce((s, x) => s + x.length - 1, 0));
    expect(d.historyFeature.tableName).toBe(d.targetFeature.tableName);
    expect(syntheticNextItem({ numUsers: 500, numItems: 300, numTopics: 6, seqLen: [12, 30], maxLen: 20, seed: 2 }).train).toEqual(d.train);
  });

  it('follows its oracle: transitions are observed as often as the process says', () => {
    const p = d.oracle.distribution(1, d.sequences[1][0]);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    // empirical log-likelihood under the oracle beats a popularity model by a wide margin
    const pop = new Float64Array(301);
    for (let u = 1; u <= 500; u++) for (const x of d.trainSequences[u]) pop[x]++;
    const z = pop.reduce((s, x) => s + x, 0);
    let llOracle = 0;
    let llPop = 0;
    for (let u = 1; u <= 500; u++) {
      const s = d.sequences[u];
      const x = s[s.length - 1];
      llOracle += Math.log(d.oracle.distribution(u, s[s.length - 2])[x]);
      llPop += Math.log((pop[x] + 1) / (z + 300));
    }
    expect(llOracle / 500).toBeGreaterThan(llPop / 500 + 0.5);
  });

  it('oracle HR@10 is computable and far above a popularity ranking', () => {
    const hr = d.oracle.hitRateAt(10);
    const ndcg = d.oracle.ndcgAt(10);
    const expected = d.oracle.expectedHitRateAt(10);
    const pop = new Float64Array(301);
    for (let u = 1; u <= 500; u++) for (const x of d.trainSequences[u]) pop[x]++;
    const top10 = Array.from(pop.keys()).slice(1).sort((a, b) => pop[b] - pop[a]).slice(0, 10);
    const popHr = Array.from(d.test.target_item as Int32Array).filter((x) => top10.includes(x)).length / 500;
    expect(hr).toBeGreaterThan(popHr + 0.2);
    expect(ndcg).toBeLessThan(hr);
    expect(ndcg).toBeGreaterThan(0);
    expect(Math.abs(hr - expected)).toBeLessThan(0.07);
    expect(d.oracle.hitRateAt(300)).toBe(1);
    expect(d.oracle.hitRateAt(10, 'valid')).toBeGreaterThan(popHr);
  });
});
