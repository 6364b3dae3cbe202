import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { MemoryStore } from '../src/basic/store';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { cooccurrenceEmbeddings } from '../src/models/generative/cooccurrence';
import { RQVAE } from '../src/models/generative/rq-vae';
import { PrefixTrie, SemanticIds } from '../src/models/generative/semantic-ids';
import { TIGER } from '../src/models/generative/tiger';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

// the GRU4Rec test's Markov / topic process: 100 items, 600 users; the oracle knows the true next-item distribution
const d = syntheticNextItem({ seed: 7, numUsers: 600, numItems: 100, markovWeight: 0.8, seqLen: [10, 20], maxLen: 20, embeddingDim: 32 });
const oracle = d.oracle.hitRateAt(10);
let ids: SemanticIds;

beforeAll(async () => {
  // semantic ids from collaborative embeddings: co-occurrence SVD of the training sequences, then an RQ-VAE
  const emb = cooccurrenceEmbeddings(d.trainSequences, 100, 16, { seed: 1 });
  const vae = new RQVAE({ inputDim: 16, latentDim: 8, hiddenDims: [32], levels: 2, codebookSize: 8, seed: 1 });
  await vae.fit(emb, 100, { epochs: 40, batchSize: 50, lr: 3e-3 });
  ids = vae.semanticIds(emb, 100);
  vae.dispose();
});

const shared = () => ({ sequenceFeatures: [d.historyFeature], codebookSizes: ids.codebookSizes, seed: 3, heads: 2, dropout: 0.1 });

/** Every recommended id is a catalogue item with a valid tuple, and no row repeats an item. */
function expectValid(items: Int32Array, k: number, trie: PrefixTrie, codes: Int32Array, P: number): void {
  for (let r = 0; r < items.length / k; r++) {
    const row = Array.from(items.subarray(r * k, (r + 1) * k));
    expect(new Set(row).size).toBe(k);
    for (const id of row) {
      expect(id >= 1 && id <= 100).toBe(true);
      expect(trie.find(codes.subarray((id - 1) * P, id * P))!.item).toBe(id);
    }
  }
}

describe('TIGER', () => {
  it('constrained beam search never returns an invalid tuple or unknown item (untrained model, beams up to the catalogue)', async () => {
    const m = new TIGER({ ...shared(), encoderBlocks: 1, decoderBlocks: 1 }).setSemanticIds(ids);
    const trie = new PrefixTrie(ids);
    const P = ids.codebookSizes.length;
    // 60 users: the largest beam expands the whole catalogue per user
    const users = { hist: (d.test.hist as Int32Array).slice(0, 60 * 20) };
    for (const [k, beamSize] of [
      [10, 10],
      [50, 80],
      [100, 400],
    ]) {
      const recs = await m.recommend(users, { k, beamSize });
      expectValid(recs.items, k, trie, ids.codes, P);
    }
    expect(() => new TIGER({ ...shared(), codebookSizes: [] })).toThrow(/codebookSizes must be a non-empty list/);
    expect(() => new TIGER({ ...shared(), beam: 3 } as never)).toThrow(/TIGER options: unknown option 'beam'/);
    const fresh = new TIGER(shared());
    await expect(fresh.recommend(users, { k: 5 })).rejects.toThrow(/no valid semantic ids set .* call setSemanticIds/);
    expect(() => fresh.setSemanticIds({ ...ids, numItems: 99, codes: ids.codes.slice(0, 99 * P) })).toThrow(/99 items, but 'hist' has ids 1..100/);
    fresh.dispose();
    m.dispose();
  });

  let trained: TIGER;
  it('learns the next-item task to a stated fraction of the oracle; numTensors flat over training', async () => {
    const m = new TIGER({ ...shared(), encoderBlocks: 1, decoderBlocks: 1 }).setSemanticIds(ids);
    m.compile({ lr: 3e-3 });
    const counts: number[] = [];
    // one row per (history prefix, next item) of the training part
    await m.fit({ hist: d.train.hist, target_item: d.train.target_item }, { epochs: 3, batchSize: 128, verbose: 0, onStep: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const test = { hist: (d.test.hist as Int32Array).slice(0, 300 * 20), target_item: (d.test.target_item as Int32Array).slice(0, 300) };
    const r = await m.evaluate(test, { ks: [10] });
    console.log(`TIGER: HR@10 ${r['hr@10'].toFixed(3)} NDCG@10 ${r['ndcg@10'].toFixed(3)} (oracle HR@10 ${oracle.toFixed(3)}, ${(r['hr@10'] / oracle).toFixed(2)} of it)`);
    // measured 0.500 (0.52 of the oracle) after 3 epochs with the history right-aligned (0.370 left-aligned, the
    // earlier default); GRU4Rec reaches 0.85 of it on this task (docs)
    expect(r['hr@10']).toBeGreaterThanOrEqual(0.45 * oracle);
    trained = m;
  });

  it('save -> load gives identical recommendations and semantic ids', async () => {
    const store = new MemoryStore();
    await trained.save(store);
    const again = (await BaseModel.load(store)) as TIGER;
    expect(again).toBeInstanceOf(TIGER);
    expect(again.semanticIds().codes).toEqual(ids.codes);
    const rows = { hist: (d.test.hist as Int32Array).slice(0, 50 * 20) };
    const a = await trained.recommend(rows, { k: 10 });
    const b = await again.recommend(rows, { k: 10 });
    expect(b.items).toEqual(a.items);
    expect(b.scores).toEqual(a.scores);
    // a beam's score is the item's log-likelihood: scoring the returned items directly gives the same numbers
    const direct = await again.scoreItems(rows, a.items);
    for (let i = 0; i < direct.length; i++) expect(direct[i]).toBeCloseTo(a.scores[i], 4);
    again.dispose();
    // the save records the encoder alignment; a config saved before the option existed loads left-aligned
    const manifest = await store.readJson<{ config: Record<string, unknown> }>('manifest.json');
    expect(manifest.config.historyAlignment).toBe('end');
    delete manifest.config.historyAlignment;
    await store.writeJson('manifest.json', manifest);
    const legacy = (await BaseModel.load(store)) as TIGER;
    expect(legacy.historyAlignment).toBe('start');
    expect((await legacy.recommend(rows, { k: 10 })).items).not.toEqual(a.items);
    legacy.dispose();
    trained.dispose();
  });
});
