import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { Dataset } from '../src/basic/dataset/dataset';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { syntheticFunnel } from '../src/data/synthetic/funnel';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';

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

  it('times events in sessions: short gaps within, long gaps between, and a break resets the transition', () => {
    const opts = { numUsers: 300, numItems: 200, numTopics: 5, seqLen: [20, 40] as [number, number], seed: 4 };
    const plain = syntheticNextItem(opts);
    const sessions = syntheticNextItem({ ...opts, sessionBreak: 0.4 });
    let breaks = 0;
    let gaps = 0;
    for (let u = 1; u <= 300; u++) {
      const t = sessions.timestamps[u];
      expect(t.length).toBe(sessions.sequences[u].length);
      for (let i = 1; i < t.length; i++) {
        const gap = t[i] - t[i - 1];
        expect(gap <= 600 || gap >= 3600).toBe(true);
        if (gap >= 3600) breaks++;
        gaps++;
      }
      // without breaks every gap is within a session
      for (let i = 1; i < plain.timestamps[u].length; i++) expect(plain.timestamps[u][i] - plain.timestamps[u][i - 1]).toBeLessThanOrEqual(600);
    }
    expect(breaks / gaps).toBeGreaterThan(0.37);
    expect(breaks / gaps).toBeLessThan(0.43);
    // the time columns line up with the histories and targets
    const r = 9;
    const u = (sessions.test.user_id as Int32Array)[r];
    const n = sessions.sequences[u].length;
    expect((sessions.test.target_time as Float64Array)[r]).toBe(sessions.timestamps[u][n - 1]);
    const histTime = Array.from((sessions.test.hist_time as Float64Array).subarray(r * 50, r * 50 + 50)).filter((x) => x > 0);
    expect(histTime).toEqual(Array.from(sessions.timestamps[u].subarray(Math.max(0, n - 1 - 50), n - 1)));
    // after a break the previous item carries no weight, and ignoring time can only lower the ceiling
    const prev = sessions.sequences[1][0];
    const within = sessions.oracle.distribution(1, prev, { newSession: false });
    const opened = sessions.oracle.distribution(1, prev, { newSession: true });
    expect(opened.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    expect(Math.max(...Array.from(within).map((p, x) => p - opened[x]))).toBeGreaterThan(0.1);
    expect(sessions.oracle.hitRateAt(10, 'test', true)).toBeLessThan(sessions.oracle.hitRateAt(10, 'test') - 0.005);
    expect(plain.oracle.hitRateAt(10, 'test', true)).toBe(plain.oracle.hitRateAt(10, 'test'));
    expect(() => syntheticNextItem({ sessionBreak: 1.5 })).toThrow(/sessionBreak must be in \[0, 1\]/);
  });

  it('gives sessions their own topic: the time since the last event then decides the preference', () => {
    const d2 = syntheticNextItem({ numUsers: 400, numItems: 200, numTopics: 8, seed: 6, markovWeight: 0.5, sessionBreak: 0.3, sessionFocus: 1, topicsPerUser: [2, 4] });
    // within a session every non-transition item comes from the session's topic
    const p = d2.oracle.distribution(1, 0, { sessionTopic: 3 });
    let inTopic = 0;
    p.forEach((x, id) => id > 0 && d2.itemTopic[id] === 3 && (inTopic += x));
    expect(inTopic).toBeCloseTo(1, 9);
    // a time-blind ranking must hedge between continuing the session and opening a new one
    const aware = d2.oracle.expectedHitRateAt(10);
    const blind = d2.oracle.expectedHitRateAt(10, 'test', true);
    expect(aware).toBeGreaterThan(blind + 0.03);
    expect(d2.oracle.hitRateAt(10)).toBeGreaterThan(d2.oracle.hitRateAt(10, 'test', true));
    expect(() => d2.oracle.distribution(1, 0, { sessionTopic: 8 })).toThrow(/sessionTopic must be -1 or a topic in 0..7/);
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

describe('row-based generators', () => {
  it('reject a row count that is not an integer >= 10, naming the generator', () => {
    expect(() => syntheticCtr({ rows: 3 })).toThrow(/^syntheticCtr: rows must be an integer >= 10 \(got 3\)$/);
    expect(() => syntheticFunnel({ rows: 20.5 })).toThrow(/^syntheticFunnel: rows must be an integer >= 10 \(got 20.5\)$/);
    expect(() => syntheticTwoTasks({ rows: 0 })).toThrow(/^syntheticTwoTasks: rows must be/);
  });
});
