/**
 * ONNX export of HSTU's temporal attention bias (timestampColumn): the timestamps (and request times) are graph
 * inputs, and the gaps are bucketed in the graph exactly as on the host. The bucketing equals timeBucket on edge
 * gaps; HSTU and HSTURanker trained with timestamps score in ONNX Runtime within 1e-5 of tfjs over histories of
 * every length 0..maxLen (with and without a request-time column), and the files pass the ONNX checker.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { DenseFeature, SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { timeBucket } from '../src/basic/layers/positional';
import { OnnxGraphBuilder } from '../src/basic/onnx/graph';
import { OPSET } from '../src/basic/onnx/translate';
import { encodeOnnxModel, OnnxDataType, valueInfo } from '../src/basic/onnx/onnx-proto';
import { timeBucketOps } from '../src/basic/onnx/time-bias';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { HSTU, HSTURanker } from '../src/models/generative';
import { hasOnnxChecker, maxAbsDiff, onnxCheck, ortOutputs } from './helpers/ort';

const hasChecker = hasOnnxChecker(__filename);
type Cols = Record<string, Int32Array | Float32Array | Float64Array>;

let dir: string;
beforeAll(async () => {
  await initBackend({ log: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-onnx-time-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

/**
 * Rows of every history length 0..L (row i: i % (L + 1) items), with epoch-second timestamps a second to months
 * apart, and request times after the last item.
 */
function timedHistories(rows: number, L: number, vocab: number, seed: number) {
  const rng = new Rng(seed);
  const hist = new Int32Array(rows * L);
  const ts = new Float64Array(rows * L);
  const request = new Float64Array(rows);
  const scales = [1, 60, 3_600, 86_400, 2_592_000];
  for (let i = 0; i < rows; i++) {
    let t = 1.6e9 + Math.floor(rng.uniform(0, 1e8));
    const len = i % (L + 1);
    for (let j = 0; j < len; j++) {
      hist[i * L + j] = 1 + rng.int(vocab - 1);
      ts[i * L + j] = t;
      t += Math.floor(rng.uniform(0, 3) * scales[rng.int(scales.length)]);
    }
    request[i] = t + Math.floor(rng.uniform(0, 86_400));
  }
  return { hist, ts, request };
}

describe('ONNX export of the temporal attention bias', () => {
  it('the graph buckets time gaps exactly as timeBucket, at every bucket edge', async () => {
    const gaps: number[] = [0, 0.25, 0.999, 1, 1.5, 2, 2.999, 3, 86_400, 31_536_000, 2 ** 31 + 5, 1e12];
    for (let k = 1; k < 40; k++) gaps.push(2 ** k - 1 - 1e-6, 2 ** k - 1, 2 ** k - 0.5, 2 ** k);
    const K = 32;
    const g = new OnnxGraphBuilder(1, () => 'gap');
    g.node('Identity', [timeBucketOps(g, 'gap', K)], {}, ['bucket']);
    const file = path.join(dir, 'buckets.onnx');
    await fs.writeFile(file, encodeOnnxModel({ name: 'buckets', node: g.nodes, initializer: g.initializers, input: [valueInfo('gap', OnnxDataType.DOUBLE, ['batch'])], output: [valueInfo('bucket', OnnxDataType.INT64, ['batch'])] }, OPSET, '0.1.0'));
    await fs.writeFile(`${file}.json`, JSON.stringify({ inputs: [{ name: 'gap', dtype: 'float64', shape: ['batch'] }], outputs: [{ name: 'bucket', shape: ['batch'] }] }));
    const out = await ortOutputs(file, { gap: Float64Array.from(gaps) }, gaps.length);
    expect(out.bucket.values.map(Number)).toEqual(gaps.map((x) => timeBucket(x, K)));
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
  });

  const d = syntheticNextItem({ seed: 7, numUsers: 80, numItems: 40, markovWeight: 0.8, sessionBreak: 0.3, seqLen: [4, 12], maxLen: 12, embeddingDim: 8 });
  const ROWS = 29; // every length 0..maxLen, and not the traced batch size

  it.each([
    ['without a request-time column', false],
    ['with targetTimeColumn', true],
  ])('HSTU with timestampColumn, %s: ONNX Runtime equals tfjs within 1e-5 for every history length; the time bias matters; checker passes', async (_label, withRequest) => {
    const model = new HSTU({ sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, temperature: 0.1, numNegatives: 16, heads: 2, timestampColumn: 'ts', ...(withRequest ? { targetTimeColumn: 'request' } : {}) });
    model.compile({ lr: 2e-2 });
    const train: Cols = { hist: d.train.hist as Int32Array, ts: d.train.hist_time as Float64Array };
    if (withRequest) train.request = d.train.target_time as Float64Array;
    await model.fit(train, { epochs: 1, batchSize: 64, verbose: 0 });
    const file = path.join(dir, `HSTU-time-${withRequest}.onnx`);
    const { signature } = await model.exportOnnx(file);
    const L = d.historyFeature.maxLen;
    const inputs = [{ name: 'hist', dtype: 'int32', shape: ['batch', L] }, { name: 'ts', dtype: 'float64', shape: ['batch', L] }];
    if (withRequest) inputs.push({ name: 'request', dtype: 'float64', shape: ['batch'] });
    expect(signature.inputs).toEqual(inputs);
    const { hist, ts, request } = timedHistories(ROWS, L, d.historyFeature.vocabSize, 11);
    const cols: Cols = withRequest ? { hist, ts, request } : { hist, ts };
    const out = await ortOutputs(file, cols, ROWS);
    const expected = await model.userEmbeddings(cols);
    expect(maxAbsDiff(out.user_vectors.values, expected)).toBeLessThan(1e-5);
    // the same histories a day further apart: tfjs changes, and ONNX Runtime follows it
    const later = Float64Array.from(ts, (t, i) => (t === 0 ? 0 : t + (i % L) * 86_400));
    const shifted: Cols = withRequest ? { hist, ts: later, request: Float64Array.from(request, (t) => t + L * 86_400) } : { hist, ts: later };
    const expected2 = await model.userEmbeddings(shifted);
    expect(maxAbsDiff(expected2, expected)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff((await ortOutputs(file, shifted, ROWS)).user_vectors.values, expected2)).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });

  it.each([
    ['without requestTimeColumn', false],
    ['with requestTimeColumn', true],
  ])('HSTURanker with timestampColumn, %s: per-candidate probabilities within 1e-5 of tfjs for every history length; checker passes', async (_label, withRequest) => {
    const H = 8;
    const C = 4;
    const rng = new Rng(21);
    const requests = (rows: number, withLabels: boolean) => {
      const { hist, ts, request } = timedHistories(rows, H, 40, rows);
      const cols: Cols = {
        user_id: Int32Array.from({ length: rows }, () => 1 + rng.int(30)),
        price: Float32Array.from({ length: rows }, () => rng.uniform(0, 1)),
        hist_items: hist,
        hist_actions: Int32Array.from(hist, (v) => (v ? 1 + rng.int(4) : 0)),
        candidates: new Int32Array(rows * C),
        ts,
      };
      if (withRequest) cols.request = request;
      if (withLabels) cols.click = new Float32Array(rows * C);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < 1 + (r % C); j++) {
          cols.candidates[r * C + j] = 1 + rng.int(39);
          if (withLabels) cols.click[r * C + j] = rng.next() < 0.4 ? 1 : 0;
        }
      }
      return cols;
    };
    const item = { vocabSize: 40, embeddingDim: 8, embeddingName: 'item' };
    const model = new HSTURanker({
      sparseFeatures: [new SparseFeature({ name: 'user_id', vocabSize: 31, embeddingDim: 8 })],
      denseFeatures: [new DenseFeature({ name: 'price' })],
      sequenceFeatures: [new SequenceFeature({ name: 'hist_items', maxLen: H, ...item }), new SequenceFeature({ name: 'hist_actions', vocabSize: 5, embeddingDim: 8, maxLen: H }), new SequenceFeature({ name: 'candidates', maxLen: C, ...item })],
      targets: ['click'],
      seed: 2,
      dropout: 0,
      head: { dims: [8] },
      timestampColumn: 'ts',
      ...(withRequest ? { requestTimeColumn: 'request' } : {}),
    });
    model.compile({ lr: 2e-2 });
    await model.fit(requests(160, true), { epochs: 2, batchSize: 32, verbose: 0 });
    const file = path.join(dir, `HSTURanker-time-${withRequest}.onnx`);
    const { signature } = await model.exportOnnx(file);
    expect(signature.inputs.find((i) => i.name === 'ts')).toEqual({ name: 'ts', dtype: 'float64', shape: ['batch', H] });
    expect(signature.inputs.some((i) => i.name === 'request')).toBe(withRequest);
    const test = requests(ROWS, false);
    const columns = Object.fromEntries(signature.inputs.map((i) => [i.name, test[i.name]]));
    const out = await ortOutputs(file, columns, ROWS);
    const expected = (await model.predictTargets(test)).click;
    expect(maxAbsDiff(out.predictions.values, expected)).toBeLessThan(1e-5);
    const shifted: Cols = { ...test, ts: Float64Array.from(test.ts, (t, i) => (t === 0 ? 0 : t + (i % H) * 86_400)) };
    if (withRequest) shifted.request = Float64Array.from(test.request, (t) => t + H * 86_400);
    const expected2 = (await model.predictTargets(shifted)).click;
    expect(maxAbsDiff(expected2, expected)).toBeGreaterThan(1e-4);
    const out2 = await ortOutputs(file, Object.fromEntries(signature.inputs.map((i) => [i.name, shifted[i.name]])), ROWS);
    expect(maxAbsDiff(out2.predictions.values, expected2)).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
    model.dispose();
  });
});
