/**
 * ONNX export of the sequence models: next-item models (HSTU, SASRec, GRU4Rec, HLLM) as the padded history -> the
 * next-item vector plus the item matrix (HLLM's: its item MLP over the supplied embeddings, computed at export), and SDM's user tower, whose masks are computed in the graph from the
 * history's lengths. ONNX Runtime equals tfjs within 1e-5 on histories of every length (empty and full ones
 * included) at a batch size other than the traced one; the files pass the ONNX checker (python3-onnx; skipped
 * with a message where it is missing). Models with timestamps (the temporal bias): onnx-temporal-export.test.ts.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { SequenceFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { GRU4Rec, HLLM, HSTU, HSTURanker, SASRec, SequentialRecommender } from '../src/models/generative';
import { DenseFeature, SparseFeature } from '../src/basic/features';
import { SDM } from '../src/models/match/sdm';
import { hasOnnxChecker, maxAbsDiff, onnxCheck, ortOutputs } from './helpers/ort';

const hasChecker = hasOnnxChecker(__filename);

let dir: string;
beforeAll(async () => {
  await initBackend({ log: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-onnx-seq-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

/** Padded histories [rows x maxLen] of every length 0..maxLen (row i has length i % (maxLen + 1)), ids in 1..V-1. */
function histories(rows: number, maxLen: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(rows * maxLen);
  for (let i = 0; i < rows; i++) {
    const len = i % (maxLen + 1);
    for (let j = 0; j < len; j++) out[i * maxLen + j] = 1 + rng.int(vocab - 1);
  }
  return out;
}

const ROWS = 29; // every length 0..maxLen, and not the traced batch size
const d = syntheticNextItem({ seed: 7, numUsers: 80, numItems: 40, markovWeight: 0.8, seqLen: [4, 12], maxLen: 12, embeddingDim: 8 });
const shared = { sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, temperature: 0.1, numNegatives: 16 };
/** HLLM's supplied item embeddings (e.g. a text model's): 6 values per item. */
const content = (() => {
  const rng = new Rng(5);
  return Float32Array.from({ length: (d.historyFeature.vocabSize - 1) * 6 }, () => rng.uniform(-1, 1));
})();

describe('ONNX export of sequence models', () => {
  it.each<[string, () => SequentialRecommender]>([
    ['HSTU', () => new HSTU({ ...shared, heads: 2, layer: { concatUA: true } })],
    ['HSTU (absolute positions, 1 head)', () => new HSTU({ ...shared, absolutePositions: true })],
    ['SASRec', () => new SASRec({ ...shared, heads: 2 })],
    ['SASRec (reference layout, dot scoring)', () => new SASRec({ ...shared, temperature: undefined, heads: 2, layout: 'reference', scoring: 'dot' })],
    ['GRU4Rec', () => new GRU4Rec({ ...shared, hiddenDim: 12, blocks: 2 })],
    ['HLLM (item MLP over supplied embeddings + id embeddings)', () => new HLLM({ ...shared, heads: 2, contentDim: 6, itemEncoderDims: [10] }).setItemEmbeddings(content)],
    ['HLLM (content only)', () => new HLLM({ ...shared, contentDim: 6, useIdEmbedding: false }).setItemEmbeddings(content)],
  ])('%s: history -> next-item vector; ONNX Runtime equals tfjs within 1e-5 for every history length; items and ids exported; checker passes', async (name, make) => {
    const model = make();
    model.compile({ lr: 1e-2 });
    await model.fit({ hist: d.trainSequences.slice(1) }, { epochs: 1, batchSize: 32, verbose: 0 });
    const file = path.join(dir, `${name.replace(/\W+/g, '_')}.onnx`);
    const { signature } = await model.exportOnnx(file);
    const L = d.historyFeature.maxLen;
    expect(signature.inputs).toEqual([{ name: 'hist', dtype: 'int32', shape: ['batch', L] }]);
    const hist = histories(ROWS, L, d.historyFeature.vocabSize, 11);
    const out = await ortOutputs(file, { hist }, ROWS);
    const expected = await model.userEmbeddings({ hist });
    expect(out.user_vectors.dims).toEqual([ROWS, model.dim]);
    expect(maxAbsDiff(out.user_vectors.values, expected)).toBeLessThan(1e-5);
    // an empty history has the zero vector in both
    expect(out.user_vectors.values.slice(0, model.dim).every((v) => v === 0)).toBe(true);
    expect(Float32Array.from(out.item_embeddings.values)).toEqual(await model.itemEmbeddings());
    expect(out.item_ids.values).toEqual(Array.from({ length: d.historyFeature.vocabSize - 1 }, (_, i) => i + 1));
    // the server's top 5 (user x items / temperature) are the model's own recommendations
    const rec = await model.recommend({ hist: hist.slice(5 * L, 6 * L) }, { k: 5 });
    const D = model.dim;
    const u = out.user_vectors.values.slice(5 * D, 6 * D);
    const scores = out.item_ids.values.map((id, r) => ({ id, s: u.reduce((acc, x, k) => acc + x * out.item_embeddings.values[r * D + k], 0) }));
    expect(scores.sort((a, b) => b.s - a.s).slice(0, 5).map((x) => x.id)).toEqual(Array.from(rec.items));
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });

  it('HSTURanker: context, history (items + actions) and candidates -> per-candidate probabilities [batch, C, T] within 1e-5 of tfjs; checker passes', async () => {
    const H = 8;
    const C = 5;
    const rng = new Rng(21);
    const requests = (rows: number, withLabels: boolean) => {
      const cols: Record<string, Int32Array | Float32Array> = {
        user_id: Int32Array.from({ length: rows }, () => 1 + rng.int(30)),
        age: Int32Array.from({ length: rows }, () => 1 + rng.int(4)),
        price: Float32Array.from({ length: rows }, () => rng.uniform(0, 1)),
        hist_items: new Int32Array(rows * H),
        hist_actions: new Int32Array(rows * H),
        candidates: new Int32Array(rows * C),
      };
      if (withLabels) for (const t of ['click', 'like']) cols[t] = new Float32Array(rows * C);
      for (let r = 0; r < rows; r++) {
        const h = r % (H + 1); // every history length 0..H
        for (let j = 0; j < h; j++) {
          cols.hist_items[r * H + j] = 1 + rng.int(39);
          cols.hist_actions[r * H + j] = 1 + rng.int(4);
        }
        const c = r % (C + 1); // every candidate count 0..C
        for (let j = 0; j < c; j++) {
          cols.candidates[r * C + j] = 1 + rng.int(39);
          if (withLabels) {
            cols.click[r * C + j] = rng.next() < 0.4 ? 1 : 0;
            cols.like[r * C + j] = cols.click[r * C + j] && rng.next() < 0.5 ? 1 : 0;
          }
        }
      }
      return cols;
    };
    const item = { vocabSize: 40, embeddingDim: 8, embeddingName: 'item' };
    const model = new HSTURanker({
      sparseFeatures: [new SparseFeature({ name: 'user_id', vocabSize: 31, embeddingDim: 8 }), new SparseFeature({ name: 'age', vocabSize: 5, embeddingDim: 8 })],
      denseFeatures: [new DenseFeature({ name: 'price' })],
      sequenceFeatures: [new SequenceFeature({ name: 'hist_items', maxLen: H, ...item }), new SequenceFeature({ name: 'hist_actions', vocabSize: 5, embeddingDim: 8, maxLen: H }), new SequenceFeature({ name: 'candidates', maxLen: C, ...item })],
      targets: ['click', 'like'],
      heads: 2,
      seed: 2,
      dropout: 0,
      head: { dims: [8] },
    });
    model.compile({ lr: 1e-2 });
    await model.fit(requests(120, true), { epochs: 1, batchSize: 32, verbose: 0 });
    const file = path.join(dir, 'HSTURanker.onnx');
    const { signature } = await model.exportOnnx(file);
    expect(signature.outputs[0]).toEqual({ name: 'predictions', shape: ['batch', C, 2], columns: ['click', 'like'] });
    const test = requests(ROWS, false);
    const columns = Object.fromEntries(signature.inputs.map((i) => [i.name, test[i.name]]));
    const out = await ortOutputs(file, columns, ROWS);
    const expected = await model.predictTargets(test);
    const got = out.predictions.values;
    const want = new Float32Array(ROWS * C * 2);
    ['click', 'like'].forEach((t, k) => expected[t].forEach((v, i) => (want[i * 2 + k] = v)));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });

  it('SDM: user tower (session GRU + causal self-attention, long-term attention) -> user vectors within 1e-5 of tfjs; checker passes', async () => {
    const H = 8;
    const S = 4;
    const t = syntheticRetrieval({ numUsers: 60, numItems: 40, numClusters: 4, clustersPerUser: [1, 2], historyLen: H, trainPerUser: 4, testPerUser: 1, embeddingDim: 8, seed: 5 });
    const histF = t.sequenceFeatures[0];
    const recent = new SequenceFeature({ name: 'recent', vocabSize: histF.vocabSize, embeddingDim: histF.embeddingDim, embeddingName: histF.tableName, maxLen: S });
    const withSession = (h: Int32Array) => {
      const n = h.length / H;
      const r = new Int32Array(n * S);
      for (let i = 0; i < n; i++) r.set(h.subarray(i * H, i * H + S), i * S);
      return r;
    };
    const model = new SDM({ userFeatures: [histF, recent], itemFeatures: t.itemFeatures, shortTermFeature: 'recent', longTermFeature: 'hist', numNegatives: 16, seed: 1 });
    model.compile({ lr: 1e-2 });
    await model.fit({ ...t.train, recent: withSession(t.train.hist as Int32Array) }, { epochs: 1, batchSize: 64, verbose: 0 });
    const file = path.join(dir, 'SDM.onnx');
    const { signature } = await model.exportOnnx(file);
    expect(signature.inputs.map((i) => i.name).sort()).toEqual(['hist', 'recent']);
    // sessions of every length 0..S (left-aligned prefixes of the histories)
    const hist = histories(ROWS, H, histF.vocabSize, 12);
    const rec = withSession(hist);
    for (let i = 0; i < ROWS; i++) rec.fill(0, i * S + (i % (S + 1)), (i + 1) * S);
    const expected = await model.userEmbeddings({ hist, recent: rec });
    const out = await ortOutputs(file, { hist, recent: rec }, ROWS);
    expect(out.user_vectors.dims).toEqual(expected.shape);
    expect(maxAbsDiff(out.user_vectors.values, expected.values)).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });
});
