import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { HLLM } from '../src/models/generative/hllm';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

// many items, few users: most items are seen a handful of times in training (rare / cold)
const d = syntheticNextItem({ seed: 11, numUsers: 300, numItems: 600, numTopics: 12, markovWeight: 0.5, seqLen: [10, 20], maxLen: 20, embeddingDim: 32 });
const oracle = d.oracle.hitRateAt(10);
// supplied "content" embeddings that carry signal: the item's topic (one-hot) plus noise, as a text model's
// category-aware embedding would; 16 wide
const contentDim = 16;
const content = new Float32Array(600 * contentDim);
const rng = new Rng(5);
for (let id = 1; id <= 600; id++) {
  for (let j = 0; j < contentDim; j++) content[(id - 1) * contentDim + j] = 0.3 * rng.normal();
  content[(id - 1) * contentDim + d.itemTopic[id]] += 1;
}
const shared = { sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0.1, temperature: 0.1, numNegatives: 64, blocks: 1 };
const fitOpts = { epochs: 8, batchSize: 64, verbose: 0 as const };
const train = { hist: d.trainSequences.slice(1) };
// test rows whose target item is rare in training (at most 3 occurrences): where supplied embeddings should help
const seen = new Int32Array(601);
for (const seq of d.trainSequences) for (const id of seq) seen[id]++;
const testHist = d.test.hist as Int32Array;
const testTarget = d.test.target_item as Int32Array;
const rareRows = Array.from(testTarget.keys()).filter((r) => seen[testTarget[r]] <= 3);
const rare = { hist: Int32Array.from(rareRows.flatMap((r) => Array.from(testHist.subarray(r * 20, (r + 1) * 20)))), target_item: Int32Array.from(rareRows, (r) => testTarget[r]) };

describe('HLLM', () => {
  let hllm: HLLM;
  // Measured at these settings (8 epochs): HLLM HR@10 0.327 (0.44 of the oracle's 0.737) vs SASRec 0.400 on all 300
  // test rows, and 0.054 vs 0.125 on the 56 rows whose target occurs at most 3 times in training: topic-only content
  // makes items of one topic look alike, which costs more than it gives here (docs/models-generative.md, HLLM).
  it('learns the next-item task from supplied embeddings to a stated fraction of the oracle; numTensors flat', async () => {
    hllm = new HLLM({ ...shared, contentDim, itemEncoderDims: [32] }).setItemEmbeddings(content);
    hllm.compile({ lr: 5e-3 });
    const counts: number[] = [];
    await hllm.fit(train, { ...fitOpts, onStep: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const r = await hllm.evaluate(d.test);
    const rRare = await hllm.evaluate(rare);
    console.log(`HLLM HR@10 ${r['hr@10'].toFixed(3)} NDCG@10 ${r['ndcg@10'].toFixed(3)} (oracle HR@10 ${oracle.toFixed(3)}); ${rareRows.length} rows with a rare target: ${rRare['hr@10'].toFixed(3)} / ${rRare['ndcg@10'].toFixed(3)}`);
    expect(r['hr@10']).toBeGreaterThanOrEqual(0.4 * oracle);
  });

  it('save -> load keeps the supplied embeddings and scores identically', async () => {
    const store = new MemoryStore();
    await hllm.save(store);
    const again = (await BaseModel.load(store)) as HLLM;
    expect(again).toBeInstanceOf(HLLM);
    const rows = { hist: (d.test.hist as Int32Array).slice(0, 40 * 20) };
    expect(await again.userEmbeddings(rows)).toEqual(await hllm.userEmbeddings(rows));
    expect(await again.itemEmbeddings()).toEqual(await hllm.itemEmbeddings());
    again.dispose();
    hllm.dispose();
  });

  it('refuses missing or misshaped item embeddings and unknown options', async () => {
    const m = new HLLM({ ...shared, contentDim });
    await expect(m.userEmbeddings({ hist: [[1, 2]] })).rejects.toThrow(/no item embeddings supplied; call setItemEmbeddings/);
    expect(() => m.setItemEmbeddings(new Float32Array(10))).toThrow(/expected a Float32Array of \(vocabSize-1\) x contentDim = 600 x 16 values/);
    expect(() => new HLLM({ ...shared, contentDim: 0 })).toThrow(/contentDim must be a positive integer/);
    expect(() => new HLLM({ ...shared, contentDim, itemDims: [3] } as never)).toThrow(/HLLM options: unknown option 'itemDims'/);
    m.dispose();
  });
});
