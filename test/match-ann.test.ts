import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
import { MIND } from '../src/models/match/mind';
import { MatchModel } from '../src/models/match/match-model';
import { ExactItemIndex } from '../src/models/match/item-index';
import { HnswItemIndex } from '../src/models/match/hnsw-index';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const d = syntheticRetrieval({ numUsers: 60, numItems: 40, numClusters: 4, clustersPerUser: [1, 2], historyLen: 5, trainPerUser: 4, testPerUser: 1, embeddingDim: 8, seed: 5 });
const base = { userFeatures: d.userFeatures, itemFeatures: d.itemFeatures, seed: 3 };
const lists = (a: Int32Array[]) => a.map((r) => Array.from(r));

async function trained<M extends MatchModel>(m: M): Promise<M> {
  m.compile({ lr: 1e-2 });
  await m.fit(d.train, { epochs: 2, batchSize: 32, verbose: 0 });
  return m;
}

describe("recommend with index: 'hnsw'", () => {
  it('equals exact top-K on a small catalogue (the graph search visits every item), with and without excludeSeen', async () => {
    const m = await trained(new YouTubeDNN({ ...base, numNegatives: 16, mlp: { dims: [16] } }));
    for (const excludeSeen of [false, true]) {
      const exact = await m.recommend(d.test, 10, { excludeSeen });
      const ann = await m.recommend(d.test, 10, { excludeSeen, index: 'hnsw' });
      expect(lists(ann.ids)).toEqual(lists(exact.ids));
      ann.scores.forEach((row, r) => row.forEach((s, i) => expect(s).toBeCloseTo(exact.scores[r][i], 4)));
    }
    const ev = await m.evaluateRetrieval(d.test, { ks: [10], index: 'hnsw' });
    expect(ev['recall@10']).toBeCloseTo((await m.evaluateRetrieval(d.test, { ks: [10] }))['recall@10'], 10);
    m.dispose();
  });

  it('scores multi-interest users by their best interest, as exact search does', async () => {
    const m = await trained(new MIND({ ...base, numInterests: 3, dynamicInterests: true, numNegatives: 16, mlp: { dims: [16] } }));
    const exact = await m.recommend(d.test, 8, { excludeSeen: true });
    const ann = await m.recommend(d.test, 8, { excludeSeen: true, index: 'hnsw' });
    expect(lists(ann.ids)).toEqual(lists(exact.ids));
    m.dispose();
  });

  it('is saved and loaded with the model (same graph, same settings, same results); tensors are not leaked', async () => {
    const m = await trained(new YouTubeDNN({ ...base, numNegatives: 16, mlp: { dims: [16] } }));
    const built = m.buildItemIndex({ connectivity: 8, expansionSearch: 40 });
    expect(built.size).toBe(40);
    const before = tf.memory().numTensors;
    const want = await m.recommend(d.test, 5, { index: 'hnsw' });
    expect(tf.memory().numTensors).toBe(before);
    const store = new MemoryStore();
    await m.save(store);
    expect(store.files.has('item-index.usearch')).toBe(true);
    const manifest = await store.readJson<{ params: { connectivity: number; expansionSearch: number } }>('item-index.json');
    expect(manifest.params).toMatchObject({ connectivity: 8, expansionSearch: 40 });
    const again = await MatchModel.load<YouTubeDNN>(store);
    expect(lists((await again.recommend(d.test, 5, { index: 'hnsw' })).ids)).toEqual(lists(want.ids));
    // a corrupted graph is refused with the file named
    const bytes = store.files.get('item-index.usearch')!;
    bytes[bytes.length - 1] ^= 0xff;
    await expect(MatchModel.load(store)).rejects.toThrow(/item-index\.usearch is corrupted/);
    // saved without an HNSW graph: no index files
    again.clearIndex();
    const other = new MemoryStore();
    await again.save(other);
    expect(other.files.has('item-index.json')).toBe(false);
    m.dispose();
    again.dispose();
  });

  it('rejects bad settings and unknown index kinds with the field named', async () => {
    const m = new YouTubeDNN({ ...base, mlp: { dims: [16] } });
    expect(() => m.buildItemIndex({ connectivity: 0 })).toThrow(/connectivity must be a positive integer/);
    expect(() => m.buildItemIndex({ expansionSearch: 2.5 })).toThrow(/expansionSearch must be a positive integer/);
    await expect(m.recommend(d.test, 5, { index: 'faiss' as 'hnsw' })).rejects.toThrow(/index must be 'exact' or 'hnsw' \(got 'faiss'\)/);
    m.dispose();
  });
});

describe('HnswItemIndex', () => {
  it('recall@10 against exact top-K is >= 0.95 on 5000 clustered vectors of width 16', () => {
    const rng = new Rng(11);
    const n = 5000;
    const dim = 16;
    const centres = Array.from({ length: 50 }, () => Array.from({ length: dim }, () => rng.normal()));
    const clustered = (rows: number) => {
      const out = new Float32Array(rows * dim);
      for (let i = 0; i < rows; i++) {
        const c = centres[rng.int(50)];
        for (let j = 0; j < dim; j++) out[i * dim + j] = c[j] + 0.5 * rng.normal();
      }
      return out;
    };
    const items = { ids: Int32Array.from({ length: n }, (_, i) => i + 1), matrix: clustered(n), dim };
    const q = 200;
    // queries come from the same distribution as the items, as user and item towers share one space
    const queries = tf.tensor2d(clustered(q), [q, dim]);
    const exact = new ExactItemIndex(items);
    const ann = HnswItemIndex.build(items);
    const query = { vectors: queries, rows: q, interests: 1, interestMask: null };
    const none = Array.from({ length: q }, () => null);
    const want = exact.search(query, 10, none, 1);
    const got = ann.search(query, 10, none, 1);
    let hits = 0;
    for (let r = 0; r < q; r++) {
      const truth = new Set(want.ids[r]);
      for (const id of got.ids[r]) if (truth.has(id)) hits++;
    }
    expect(hits / (q * 10)).toBeGreaterThanOrEqual(0.95);
    exact.dispose();
    ann.dispose();
    queries.dispose();
  });
});
