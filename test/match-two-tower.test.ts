import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DenseFeature, SequenceFeature, SparseFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { DSSM } from '../src/models/match/dssm';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
import { MIND } from '../src/models/match/mind';
import { MatchModel, readEmbeddings } from '../src/models/match/match-model';
import { BaseModel } from '../src/basic/model/base-model';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const tiny = (seed = 5, testPerUser = 1) =>
  syntheticRetrieval({ numUsers: 60, numItems: 40, numClusters: 4, clustersPerUser: [1, 2], historyLen: 5, trainPerUser: 4, testPerUser, embeddingDim: 8, seed });

/** Brute-force reference: rank every item by score (desc, id asc), drop excluded ones, compute the metrics from their definitions. */
function bruteForce(scores: (row: number, item: number) => number, rows: number, items: Int32Array, relevant: number[][], exclude: Array<Set<number>>, k: number) {
  const ranked: number[][] = [];
  const m = { recall: 0, hit: 0, ndcg: 0, mrr: 0 };
  for (let r = 0; r < rows; r++) {
    const order = Array.from(items)
      .filter((id) => !exclude[r].has(id))
      .map((id) => ({ id, s: scores(r, id) }))
      .sort((a, b) => b.s - a.s || a.id - b.id)
      .map((x) => x.id);
    const top = order.slice(0, k);
    ranked.push(top);
    const rel = new Set(relevant[r]);
    const hits = top.map((id) => (rel.has(id) ? 1 : 0));
    m.recall += hits.reduce((a: number, b) => a + b, 0) / rel.size;
    m.hit += hits.some((h) => h) ? 1 : 0;
    const first = hits.indexOf(1);
    m.mrr += first >= 0 ? 1 / (first + 1) : 0;
    let dcg = 0;
    hits.forEach((h, i) => (dcg += h / Math.log2(i + 2)));
    let idcg = 0;
    for (let i = 0; i < Math.min(k, rel.size); i++) idcg += 1 / Math.log2(i + 2);
    m.ndcg += dcg / idcg;
  }
  return { ranked, metrics: { [`recall@${k}`]: m.recall / rows, [`hit@${k}`]: m.hit / rows, [`ndcg@${k}`]: m.ndcg / rows, [`mrr@${k}`]: m.mrr / rows } };
}

function expectMetricsClose(got: Record<string, number>, want: Record<string, number>) {
  for (const [key, v] of Object.entries(want)) expect(got[key]).toBeCloseTo(v, 10);
}

describe('training modes', () => {
  const d = tiny();
  const base = { userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 3 };
  const cases: Array<[string, () => MatchModel]> = [
    ['DSSM listwise in-batch + log-Q', () => new DSSM({ ...base, userMlp: { dims: [16] }, itemMlp: { dims: [16] }, outputDim: 8 })],
    ['DSSM pairwise hinge in-batch', () => new DSSM({ ...base, mode: 'pairwise', pairwiseLoss: 'hinge', pairwiseLossParams: { margin: 0.5 }, userMlp: { dims: [16] }, itemMlp: { dims: [16] } })],
    ['YouTubeDNN sampled softmax, popularity sampler', () => new YouTubeDNN({ ...base, sampler: 'popularity', numNegatives: 16, mlp: { dims: [16] } })],
    ['YouTubeDNN pairwise BPR, sampled', () => new YouTubeDNN({ ...base, mode: 'pairwise', numNegatives: 8, mlp: { dims: [16] } })],
    ['YouTubeDNN listwise sigmoid, in-batch', () => new YouTubeDNN({ ...base, negatives: 'in-batch', listwiseLoss: 'sigmoid', mlp: { dims: [16] } })],
    ['MIND dynamic interests, sampled', () => new MIND({ ...base, numInterests: 3, dynamicInterests: true, numNegatives: 16, mlp: { dims: [16] } })],
    ['MIND full routing gradient, in-batch', () => new MIND({ ...base, numInterests: 2, routingGradient: 'full', negatives: 'in-batch', attentionPower: 'hard', mlp: { dims: [16] } })],
  ];
  it.each(cases)('%s: finite decreasing loss, numTensors flat over steps', async (_name, make) => {
    const m = make();
    m.compile({ lr: 1e-2 });
    const counts: number[] = [];
    const h = await m.fit(d.train, { epochs: 6, batchSize: 32, verbose: 0, onStep: () => counts.push(tf.memory().numTensors) });
    expect(h.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    expect(h.epochs[5].loss).toBeLessThan(h.epochs[0].loss);
    expect(new Set(counts.slice(1)).size).toBe(1);
    // serving paths release everything they allocate apart from the cached item matrix
    await m.recommend(d.test, 5);
    const before = tf.memory().numTensors;
    await m.recommend(d.test, 5, { excludeSeen: true });
    await m.evaluateRetrieval(d.test, { ks: [5] });
    await m.userEmbeddings(d.test);
    await m.predict(d.test);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('pointwise mode trains BCE on labelled pairs', async () => {
    const rng = new Rng(2);
    const n = d.train.item_id.length as number;
    const neg = Int32Array.from({ length: n }, () => 1 + rng.int(40));
    const train = {
      user_id: Int32Array.from([...(d.train.user_id as Int32Array), ...(d.train.user_id as Int32Array)]),
      hist: Int32Array.from([...(d.train.hist as Int32Array), ...(d.train.hist as Int32Array)]),
      item_id: Int32Array.from([...(d.train.item_id as Int32Array), ...neg]),
      label: Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 : 0)),
    };
    const m = new YouTubeDNN({ ...base, mode: 'pointwise', mlp: { dims: [16] } });
    m.compile({ lr: 1e-2 });
    const h = await m.fit(train, { epochs: 8, batchSize: 32, verbose: 0 });
    expect(h.epochs[7].loss).toBeLessThan(h.epochs[0].loss);
    expect((await m.evaluate(train)).auc).toBeGreaterThan(0.7);
    m.dispose();
  });
});

describe('full-catalogue retrieval', () => {
  it('evaluateRetrieval and recommend match a brute-force reference, with and without excludeSeen (two-tower)', async () => {
    const d = tiny(7);
    const m = new DSSM({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 4, userMlp: { dims: [16] }, itemMlp: { dims: [16] }, outputDim: 8 });
    m.compile({ lr: 1e-2 });
    await m.fit(d.train, { epochs: 3, batchSize: 32, verbose: 0 });
    const users = await m.userEmbeddings(d.test);
    const items = m.itemEmbeddings();
    const D = items.shape[1];
    const pos = new Map(Array.from(items.ids!, (id, j) => [id, j]));
    const score = (r: number, id: number) => {
      let s = 0;
      for (let j = 0; j < D; j++) s += users.values[r * D + j] * items.values[pos.get(id)! * D + j];
      return s / m.temperature;
    };
    const rows = d.test.user_id.length as number;
    const relevant = Array.from(d.test.item_id as Int32Array, (id) => [id]);
    const seen = Array.from(d.test.user_id as Int32Array, (u) => new Set(Array.from(d.histories[u])));
    const none = seen.map(() => new Set<number>());
    for (const k of [5, 10]) {
      const withSeen = bruteForce(score, rows, items.ids!, relevant, seen, k);
      expectMetricsClose(await m.evaluateRetrieval(d.test, { ks: [k] }), withSeen.metrics);
      expectMetricsClose(await m.evaluateRetrieval(d.test, { ks: [k], excludeSeen: false }), bruteForce(score, rows, items.ids!, relevant, none, k).metrics);
      const recs = await m.recommend(d.test, k, { excludeSeen: true });
      expect(recs.ids.map((a) => Array.from(a))).toEqual(withSeen.ranked);
      for (let r = 0; r < rows; r++) recs.scores[r].forEach((s, i) => expect(s).toBeCloseTo(score(r, recs.ids[r][i]), 4));
    }
    // explicit seen lists replace the history
    const explicit = Array.from({ length: rows }, (_, r) => [((r * 7) % 40) + 1]);
    expectMetricsClose(await m.evaluateRetrieval(d.test, { ks: [10], excludeSeen: explicit }), bruteForce(score, rows, items.ids!, relevant, explicit.map((l) => new Set(l)), 10).metrics);
    m.dispose();
  });

  it('groups rows into one query per user and scores multi-interest users by their best active interest', async () => {
    const d = tiny(9, 3);
    const m = new MIND({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 4, numInterests: 3, dynamicInterests: true, numNegatives: 16, mlp: { dims: [16] } });
    m.compile({ lr: 1e-2 });
    await m.fit(d.train, { epochs: 2, batchSize: 32, verbose: 0 });
    const users = await m.userEmbeddings(d.test);
    const [, K, D] = users.shape;
    // histories of 5 items: K_u = floor(log2 5) = 2 of 3 interests are active
    expect(Array.from(users.interestMask!.subarray(0, 3))).toEqual([1, 1, 0]);
    const items = m.itemEmbeddings();
    const score = (r: number, id: number) => {
      let best = -Infinity;
      for (let k = 0; k < K; k++) {
        if (!users.interestMask![r * K + k]) continue;
        let s = 0;
        for (let j = 0; j < D; j++) s += users.values[(r * K + k) * D + j] * items.values[(id - 1) * D + j];
        best = Math.max(best, s);
      }
      return best;
    };
    // one query per user: its first row's features, all its test items relevant
    const userIds = d.test.user_id as Int32Array;
    const firstRow: number[] = [];
    const relevant: number[][] = [];
    userIds.forEach((u, r) => {
      if (r === 0 || userIds[r - 1] !== u) {
        firstRow.push(r);
        relevant.push([]);
      }
      relevant[relevant.length - 1].push((d.test.item_id as Int32Array)[r]);
    });
    const ref = bruteForce((q, id) => score(firstRow[q], id), firstRow.length, items.ids!, relevant, firstRow.map((r) => new Set(Array.from(d.histories[userIds[r]]))), 10);
    expectMetricsClose(await m.evaluateRetrieval(d.test, { ks: [10], groupBy: 'user_id' }), ref.metrics);
    m.dispose();
  });
});

/** Users and items with extra item features (category, dense price): the catalogue must be given explicitly. */
function richTask() {
  const rng = new Rng(8);
  const numItems = 50;
  const cat = Int32Array.from({ length: numItems }, (_, i) => 1 + (i % 5));
  const price = Float32Array.from({ length: numItems }, () => rng.next());
  const rows = 400;
  const user = Int32Array.from({ length: rows }, () => 1 + rng.int(30));
  const hist = Int32Array.from({ length: rows * 4 }, () => rng.int(numItems + 1));
  const item = Int32Array.from({ length: rows }, () => 1 + rng.int(numItems));
  const itemIds = Int32Array.from({ length: numItems }, (_, i) => i + 1);
  const train = { user_id: user, hist, item_id: item, item_cat: Int32Array.from(item, (id) => cat[id - 1]), item_price: Float32Array.from(item, (id) => price[id - 1]) };
  const catalog = { item_id: itemIds, item_cat: cat, item_price: price };
  const userFeatures = [new SparseFeature({ name: 'user_id', vocabSize: 31, embeddingDim: 8 }), new SequenceFeature({ name: 'hist', vocabSize: numItems + 1, embeddingDim: 8, embeddingName: 'item_id', maxLen: 4 })];
  const itemFeatures = [new SparseFeature({ name: 'item_id', vocabSize: numItems + 1, embeddingDim: 8 }), new SparseFeature({ name: 'item_cat', vocabSize: 6, embeddingDim: 4 }), new DenseFeature({ name: 'item_price' })];
  return { train, catalog, userFeatures, itemFeatures };
}

describe('persistence and export', () => {
  it('save -> load -> recommend is identical (catalogue with extra item features, file store); training resumes', async () => {
    const t = richTask();
    const m = new DSSM({ userFeatures: t.userFeatures, itemFeatures: t.itemFeatures, negatives: 'sampled', sampler: 'popularity', numNegatives: 16, seed: 6, userMlp: { dims: [16] }, itemMlp: { dims: [16] } });
    await expect(m.recommend(t.train, 5)).rejects.toThrow(/needs the item catalogue.*setItemCatalog/);
    m.setItemCatalog(t.catalog);
    m.compile({ lr: 1e-2 });
    await m.fit(t.train, { epochs: 2, batchSize: 64, verbose: 0 });
    const before = await m.recommend(t.train, 10, { excludeSeen: true });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-match-'));
    await m.save(dir);
    const again = await DSSM.load<DSSM>(dir);
    const after = await again.recommend(t.train, 10, { excludeSeen: true });
    expect(after.ids.map((a) => Array.from(a))).toEqual(before.ids.map((a) => Array.from(a)));
    expect(after.scores.map((a) => Array.from(a))).toEqual(before.scores.map((a) => Array.from(a)));
    await m.fit(t.train, { epochs: 1, batchSize: 64, verbose: 0, shuffle: false, maxSteps: 2 });
    await again.fit(t.train, { epochs: 1, batchSize: 64, verbose: 0, shuffle: false, maxSteps: 2 });
    const a = (await m.userEmbeddings(t.train)).values;
    const b = (await again.userEmbeddings(t.train)).values;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    await fs.rm(dir, { recursive: true });
    m.dispose();
    again.dispose();
  });

  it('MIND round-trips through a memory store (frozen routing logits included)', async () => {
    const d = tiny(3);
    const m = new MIND({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 2, numInterests: 2, numNegatives: 16, mlp: { dims: [16] } });
    m.compile({ lr: 1e-2 });
    await m.fit(d.train, { epochs: 1, batchSize: 32, verbose: 0 });
    const store = new MemoryStore();
    await m.save(store);
    const again = await BaseModel.load<MIND>(store);
    expect(again).toBeInstanceOf(MIND);
    const [x, y] = [await m.recommend(d.test, 8, { excludeSeen: true }), await again.recommend(d.test, 8, { excludeSeen: true })];
    expect(y.ids.map((r) => Array.from(r))).toEqual(x.ids.map((r) => Array.from(r)));
    expect(y.scores.map((r) => Array.from(r))).toEqual(x.scores.map((r) => Array.from(r)));
    m.dispose();
    again.dispose();
  });

  it('exports item and user embeddings with a JSON manifest', async () => {
    const d = tiny(4);
    const m = new MIND({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 2, numInterests: 2, numNegatives: 16, mlp: { dims: [16] } });
    const store = new MemoryStore();
    const manifest = await m.exportItemEmbeddings(store);
    expect(manifest).toMatchObject({ format: 'nextrec-ts-embeddings', kind: 'item', modelName: 'MIND', shape: [40, 8], similarity: 'dot' });
    const items = await readEmbeddings(store, 'item_embeddings');
    expect(Array.from(items.ids!)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Array.from(items.values)).toEqual(Array.from(m.itemEmbeddings().values));
    await m.exportUserEmbeddings(d.test, store, 'users');
    const users = await readEmbeddings(store, 'users');
    expect(users.shape).toEqual([60, 2, 8]);
    expect(users.manifest.kind).toBe('user');
    store.files.get('users.bin')![3] ^= 0xff;
    await expect(readEmbeddings(store, 'users')).rejects.toThrow(/users.bin is corrupted/);
    m.dispose();
  });
});

describe('serving speed', () => {
  it('recommends for one user over 100k items of dim 64 quickly once the index is built', async () => {
    const itemFeature = new SparseFeature({ name: 'item_id', vocabSize: 100_001, embeddingDim: 64 });
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 100_001, embeddingDim: 64, embeddingName: 'item_id', maxLen: 20 });
    const m = new YouTubeDNN({ userFeatures: [hist], itemFeatures: [itemFeature], mlp: { dims: [64] }, seed: 1 });
    const user = { hist: [Array.from({ length: 20 }, (_, i) => 1 + i * 4999)] };
    await m.recommend(user, 50, { excludeSeen: true });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await m.recommend(user, 50, { excludeSeen: true });
      times.push(performance.now() - t0);
      expect(r.ids[0].length).toBe(50);
    }
    times.sort((a, b) => a - b);
    // the benchmark (benchmarks/match-recommend.ts) measures ~10 ms; shared CI machines get a wide margin
    expect(times[2]).toBeLessThan(150);
    m.dispose();
  });
});

describe('clear errors', () => {
  const d = tiny();
  it('validates the configuration', () => {
    expect(() => new DSSM({ userFeatures: [], itemFeatures: d.itemFeatures })).toThrow(/userFeatures must list at least one feature/);
    expect(() => new DSSM({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, sparseFeatures: [] } as never)).toThrow(/use userFeatures \/ itemFeatures instead of sparseFeatures/);
    expect(() => new DSSM({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, itemIdFeature: 'nope' })).toThrow(/itemIdFeature 'nope' must be one of the sparse itemFeatures/);
    expect(() => new DSSM({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, temperature: 0 })).toThrow(/temperature must be a finite number > 0/);
    expect(() => new DSSM({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, pairwiseLoss: 'warp' })).toThrow(/unknown pairwise loss 'warp' \(known: bpr, hinge\)/);
    expect(() => new YouTubeDNN({ userFeatures: d.userFeatures, itemFeatures: [...d.itemFeatures, new DenseFeature({ name: 'p' })] })).toThrow(/itemFeatures must be exactly the id feature/);
    expect(() => new MIND({ userFeatures: [d.userFeatures[0]], itemFeatures: d.itemFeatures })).toThrow(/behaviorFeature '' must be a user SequenceFeature/);
    expect(() => new MIND({ userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, attentionPower: 0.5 })).toThrow(/attentionPower must be 0 \(plain mean of the interests\), a finite number >= 1 or 'hard'/);
  });
  it('explains excludeSeen without a history and bad k', async () => {
    const m = new YouTubeDNN({ userFeatures: [d.userFeatures[0]], itemFeatures: d.itemFeatures, mlp: { dims: [8] } });
    await expect(m.recommend({ user_id: [1] }, 5, { excludeSeen: true })).rejects.toThrow(/excludeSeen: true needs a user sequence feature sharing the item table 'item_id'/);
    await expect(m.recommend({ user_id: [1] }, 0)).rejects.toThrow(/k must be a positive integer/);
    await expect(m.recommend({ user: [1] }, 5)).rejects.toThrow(/missing column\(s\): user_id/);
    m.dispose();
  });
});
