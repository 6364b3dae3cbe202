/**
 * ONNX export of TIGER (generative retrieval): one graph from the history and the decoded prefix to the next code's
 * log-probabilities at every position, plus the valid tuples. ONNX Runtime's log-probabilities equal tfjs's within
 * 1e-5 (teacher-forced item log-likelihoods against TIGER.scoreItems, histories of every length 0..maxLen); a beam
 * search over the item tuples run here on ONNX Runtime's outputs returns the items and scores of model.recommend();
 * the file passes the ONNX checker (python3-onnx; skipped with a message where it is missing).
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { Rng } from '../src/basic/random';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { TIGER } from '../src/models/generative/tiger';
import { hasOnnxChecker, maxAbsDiff, onnxCheck, ortOutputs } from './helpers/ort';

const hasChecker = hasOnnxChecker(__filename);

let dir: string;
beforeAll(async () => {
  await initBackend({ log: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-onnx-tiger-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

/**
 * Beam search as a server would run it on the exported graph: at step p every beam feeds its history and its codes
 * so far, reads log_probs_p, and is extended by the codes that continue a valid tuple (item_codes); the best `beam`
 * per row are kept (k at the last step). Ties keep the order of the tuples in item_codes, as recommend() does.
 */
async function onnxBeamSearch(file: string, hist: Int32Array, L: number, P: number, k: number, beam: number, itemCodes: number[], itemIds: number[]) {
  interface Node {
    children: Map<number, Node>;
    item: number;
  }
  const root: Node = { children: new Map(), item: 0 };
  itemIds.forEach((id, r) => {
    let node = root;
    for (let p = 0; p < P; p++) {
      const c = itemCodes[r * P + p];
      if (!node.children.has(c)) node.children.set(c, { children: new Map(), item: 0 });
      node = node.children.get(c)!;
    }
    node.item = id;
  });
  const rows = hist.length / L;
  let beams = Array.from({ length: rows }, (_, row) => ({ row, codes: [] as number[], node: root, score: 0 }));
  for (let p = 0; p < P; p++) {
    const R = beams.length;
    const h = new Int32Array(R * L);
    const prefix = new Int32Array(R * (P - 1));
    beams.forEach((bm, i) => {
      h.set(hist.subarray(bm.row * L, (bm.row + 1) * L), i * L);
      prefix.set(bm.codes, i * (P - 1));
    });
    const out = (await ortOutputs(file, { hist: h, prefix_codes: prefix }, R))[`log_probs_${p}`];
    const K = out.dims[1];
    const perRow: Array<typeof beams> = Array.from({ length: rows }, () => []);
    beams.forEach((bm, i) => {
      for (const [code, child] of bm.node.children) perRow[bm.row].push({ row: bm.row, codes: [...bm.codes, code], node: child, score: bm.score + out.values[i * K + code] });
    });
    beams = perRow.flatMap((c) => c.sort((a, b) => b.score - a.score).slice(0, p + 1 === P ? k : beam));
  }
  return { items: beams.map((b) => b.node.item), scores: beams.map((b) => b.score) };
}

describe('ONNX export of TIGER', () => {
  it.each(['end', 'start'] as const)('history aligned at the %s: history + decoded prefix -> next-code log-probabilities within 1e-5 of tfjs; a beam search over ONNX Runtime returns recommend()\'s items; checker passes', async (historyAlignment) => {
    const d = syntheticNextItem({ seed: 7, numUsers: 80, numItems: 40, markovWeight: 0.8, seqLen: [4, 10], maxLen: 8, embeddingDim: 8 });
    const L = d.historyFeature.maxLen;
    // semantic ids: three codes per item, all tuples distinct
    const codebookSizes = [4, 4, 3];
    const P = codebookSizes.length;
    const codes = Int32Array.from({ length: 40 * P }, (_, i) => {
      const r = Math.floor(i / P);
      return [r % 4, Math.floor(r / 4) % 4, Math.floor(r / 16)][i % P];
    });
    const model = new TIGER({ sequenceFeatures: [d.historyFeature], codebookSizes, seed: 3, heads: 2, dropout: 0, encoderBlocks: 1, decoderBlocks: 2, beamSize: 6, historyAlignment }).setSemanticIds({ codes, numItems: 40, codebookSizes });
    model.compile({ lr: 1e-2 });
    await model.fit({ hist: d.train.hist, target_item: d.train.target_item }, { epochs: 1, batchSize: 64, verbose: 0 });
    const file = path.join(dir, `TIGER-${historyAlignment}.onnx`);
    const { signature } = await model.exportOnnx(file);
    expect(signature.inputs).toEqual([
      { name: 'hist', dtype: 'int32', shape: ['batch', L] },
      { name: 'prefix_codes', dtype: 'int32', shape: ['batch', P - 1] },
    ]);
    expect(signature.outputs.map((o) => o.name)).toEqual(['log_probs_0', 'log_probs_1', 'log_probs_2', 'item_codes', 'item_ids']);

    // histories of every length 0..maxLen, twice
    const rows = 2 * (L + 1);
    const rng = new Rng(11);
    const hist = new Int32Array(rows * L);
    for (let i = 0; i < rows; i++) for (let j = 0; j < i % (L + 1); j++) hist[i * L + j] = 1 + rng.int(40);
    // teacher-forced log p(item | history) of 5 candidates per row: the sum of each code's log-probability
    const C = 5;
    const candidates = Int32Array.from({ length: rows * C }, () => 1 + rng.int(40));
    const expected = await model.scoreItems({ hist }, candidates);
    const h = new Int32Array(rows * C * L);
    const prefix = new Int32Array(rows * C * (P - 1));
    candidates.forEach((item, i) => {
      h.set(hist.subarray(Math.floor(i / C) * L, (Math.floor(i / C) + 1) * L), i * L);
      prefix.set(codes.subarray((item - 1) * P, (item - 1) * P + P - 1), i * (P - 1));
    });
    const out = await ortOutputs(file, { hist: h, prefix_codes: prefix }, rows * C);
    const got = Array.from(candidates, (item, i) => codebookSizes.reduce((acc, K, p) => acc + out[`log_probs_${p}`].values[i * K + codes[(item - 1) * P + p]], 0));
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
    // log-probabilities: each position's distribution sums to 1
    for (let p = 0; p < P; p++) {
      const K = codebookSizes[p];
      for (let i = 0; i < 3; i++) expect(Math.abs(out[`log_probs_${p}`].values.slice(i * K, (i + 1) * K).reduce((a, v) => a + Math.exp(v), 0) - 1)).toBeLessThan(1e-5);
    }
    expect(out.item_codes.values).toEqual(Array.from(codes));
    expect(out.item_ids.values).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    // a host beam search over ONNX Runtime's log-probabilities finds recommend()'s top items
    const k = 5;
    const recs = await model.recommend({ hist }, { k, beamSize: 6 });
    const found = await onnxBeamSearch(file, hist, L, P, k, 6, out.item_codes.values, out.item_ids.values);
    expect(found.items).toEqual(Array.from(recs.items));
    expect(maxAbsDiff(found.scores, recs.scores)).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });

  it('a TIGER without semantic ids is refused with the message that names setSemanticIds', async () => {
    const d = syntheticNextItem({ seed: 1, numUsers: 10, numItems: 20, seqLen: [3, 5], maxLen: 5, embeddingDim: 8 });
    const model = new TIGER({ sequenceFeatures: [d.historyFeature], codebookSizes: [4, 5] });
    await expect(model.toOnnx()).rejects.toThrow(/no valid semantic ids set .* call setSemanticIds/);
    model.dispose();
  });
});
