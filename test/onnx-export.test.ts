/**
 * ONNX export: for every ranking and multi-task model in the registry, ONNX Runtime (onnxruntime-node) scores
 * the exported graph equal to tfjs within 1e-5, at a batch size other than the traced one; the file passes the
 * ONNX checker (Debian python3-onnx; skipped with a message where it is missing). Match models export their user
 * tower and item matrix; the sequence models (HSTU, SASRec, GRU4Rec, HSTURanker, SDM) are tested in
 * onnx-sequence-export.test.ts, hashed features and WideDeep crosses in onnx-hash.test.ts.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { models } from '../src/basic/model/model-registry';
import '../src/models/match';
import '../src/models/generative';
import { MATCH_ZOO, RANKING_ZOO, matchTask, zooData, zooFeatures } from './helpers/onnx-zoo';
import { OneTrans } from '../src/models/ranking';
import { main } from '../src/cli';
import { hasOnnxChecker, onnxCheck, ortRun, ortRunMany } from './helpers/ort';

/**
 * Sequence models, exported and checked against ONNX Runtime in onnx-sequence-export.test.ts (with timestamps:
 * onnx-temporal-export.test.ts; TIGER: onnx-generative-retrieval.test.ts). No registered model is refused.
 */
const SEQUENCE_EXPORTED = ['HSTU', 'SASRec', 'GRU4Rec', 'HLLM', 'HSTURanker', 'SDM', 'TIGER'];

const hasChecker = hasOnnxChecker(__filename);

let dir: string;
beforeAll(async () => {
  await initBackend({ log: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-onnx-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

const ROWS = 53; // not the traced batch size: the graph's batch axis is dynamic
const results = new Map<string, { worst: number; checker: string }>();

describe('ONNX export', () => {
  it('covers every registered model: ranking / multi-task and match exported here, sequence models in the sibling files; none refused', () => {
    expect([...new Set([...RANKING_ZOO.map(([n]) => n.replace(/-.*/, '')), ...MATCH_ZOO.map(([n]) => n.replace(/-.*/, '')), ...SEQUENCE_EXPORTED])].sort()).toEqual(models.list().filter((n) => n !== 'BaseModel').sort());
  });

  beforeAll(async () => {
    // every model trained briefly and exported, then one ONNX Runtime process and one checker run for all
    const jobs: Array<{ name: string; file: string; data: Record<string, Int32Array | Float32Array>; rows: number; expected: Record<string, Float32Array> }> = [];
    for (const [name, make] of RANKING_ZOO) {
      const model = make();
      model.compile({ lr: 1e-2 });
      await model.fit(zooData(96, 2), { epochs: 1, batchSize: 32, verbose: 0 });
      const file = path.join(dir, `${name}.onnx`);
      await model.exportOnnx(file);
      const data = zooData(ROWS, 7);
      jobs.push({ name, file, data, rows: ROWS, expected: await model.predictTargets(data) });
      model.dispose();
    }
    const scores = await ortRunMany(jobs);
    const verdicts = hasChecker ? onnxCheck(jobs.map((j) => j.file)) : jobs.map(() => 'skipped');
    jobs.forEach((job, j) => {
      const { values, T } = scores[j];
      let worst = 0;
      Object.keys(job.expected).slice(0, T).forEach((t, k) => {
        for (let i = 0; i < ROWS; i++) worst = Math.max(worst, Math.abs(values[i * T + k] - job.expected[t][i]));
      });
      results.set(job.name, { worst, checker: verdicts[j] });
    });
  }, 300_000);

  it.each(RANKING_ZOO.map(([n]) => n))('%s: ONNX Runtime scores equal tfjs scores within 1e-5; the ONNX checker passes', (name) => {
    const r = results.get(name)!;
    expect(r.worst).toBeLessThan(1e-5);
    if (hasChecker) expect({ name, checker: r.checker }).toEqual({ name, checker: 'ok' });
  });

  it.each(MATCH_ZOO)('%s: user tower + item matrix; ONNX Runtime user vectors equal tfjs within 1e-5', async (name, make) => {
    const task = matchTask();
    const model = make(task);
    model.compile({ lr: 1e-2 });
    await model.fit(task.train, { epochs: 1, batchSize: 64, verbose: 0 });
    const file = path.join(dir, `${name}.onnx`);
    const { signature } = await model.exportOnnx(file);
    const n = 23;
    const users: Record<string, Int32Array | Float32Array> = {};
    for (const i of signature.inputs) users[i.name] = (task.test[i.name] as Int32Array | Float32Array).slice(0, n * (i.shape.length === 2 ? (i.shape[1] as number) : 1));
    const expected = await model.userEmbeddings(users);
    const { outputs } = await ortRun(file, users, n);
    expect(outputs.user_vectors.dims).toEqual(expected.shape);
    let worst = 0;
    outputs.user_vectors.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.values[i]))));
    expect(worst).toBeLessThan(1e-5);
    expect(Float32Array.from(outputs.item_embeddings.values)).toEqual(model.itemEmbeddings().values);
    expect(Int32Array.from(outputs.item_ids.values)).toEqual(model.itemEmbeddings().ids);
    if (hasChecker) expect({ name, checker: onnxCheck([file])[0] }).toEqual({ name, checker: 'ok' });
    model.dispose();
  });

  it('float16 tables halve the table bytes and stay within 1e-3 of the float32 scores', async () => {
    const model = RANKING_ZOO[0][1]();
    const full = await model.toOnnx();
    const half = await model.toOnnx({ float16Tables: true });
    expect(half.bytes.length).toBeLessThan(full.bytes.length);
    const file = path.join(dir, 'half.onnx');
    await fs.writeFile(file, half.bytes);
    await fs.writeFile(`${file}.json`, JSON.stringify(half.signature));
    const data = zooData(20, 3);
    const expected = await model.predict(data);
    const { values } = await ortRun(file, data, 20);
    for (let i = 0; i < 20; i++) expect(Math.abs(values[i] - expected[i])).toBeLessThan(1e-3);
    model.dispose();
  });

  it('CLI: nextrec-ts export --run DIR --format onnx writes model.onnx and its signature; a bad format is named', async () => {
    const model = RANKING_ZOO[0][1]();
    const run = path.join(dir, 'run');
    await model.save(run, { weightsOnly: true });
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['export', '--run', run, '--format', 'onnx'])).toBe(0);
      expect(log.mock.calls.flat().join('\n')).toMatch(/wrote .*model\.onnx \(inputs: item:int32\[batch\] user:int32\[batch\]/);
      expect(await main(['export', '--run', run, '--format', 'tflite'])).toBe(1);
      expect(err.mock.calls.flat().join('\n')).toMatch(/--format must be 'onnx' \(got 'tflite'\)/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const data = zooData(9, 4);
    const { values } = await ortRun(path.join(run, 'model.onnx'), data, 9);
    const expected = await model.predict(data);
    for (let i = 0; i < 9; i++) expect(Math.abs(values[i] - expected[i])).toBeLessThan(1e-5);
    model.dispose();
  });

  it('Atan2 (EulerNet phases; ONNX has none) is rebuilt with the right quadrant, also where x = 0', async () => {
    const { OnnxGraphBuilder } = await import('../src/basic/onnx/graph');
    const { translateKernel, OPSET } = await import('../src/basic/onnx/translate');
    const { encodeOnnxModel, valueInfo, OnnxDataType } = await import('../src/basic/onnx/onnx-proto');
    const g = new OnnxGraphBuilder(1, () => 'y');
    const [out] = translateKernel(g, { kernelName: 'Atan2', attrs: {}, inputs: [], outputs: [] }, ['y', 'x']);
    g.node('Identity', [out], {}, ['angle']);
    const io = (n: string) => valueInfo(n, OnnxDataType.FLOAT, ['batch']);
    const file = path.join(dir, 'atan2.onnx');
    await fs.writeFile(file, encodeOnnxModel({ name: 'atan2', node: g.nodes, initializer: g.initializers, input: [io('y'), io('x')], output: [io('angle')] }, OPSET, '0.1.0'));
    await fs.writeFile(`${file}.json`, JSON.stringify({ inputs: [{ name: 'y', dtype: 'float32', shape: ['batch'] }, { name: 'x', dtype: 'float32', shape: ['batch'] }], outputs: [{ name: 'angle', shape: ['batch'] }] }));
    const y = Float32Array.from([1, 1, -1, -1, 0, 2, -2, 0, 0, 0.5]);
    const x = Float32Array.from([1, -1, -1, 1, -3, 0, 0, 0, 4, -1e-3]);
    const { values } = await ortRun(file, { y, x }, y.length);
    y.forEach((yi, i) => expect(Math.abs(values[i] - Math.atan2(yi, x[i]))).toBeLessThan(1e-6));
  });

  it.each([1, 2, 3])('OneTrans with sequence features (right-aligned S-tokens), %i blocks: ONNX Runtime equals tfjs within 1e-5', async (numBlocks) => {
    const model = new OneTrans({ ...zooFeatures(), mlp: { dims: [8] }, seed: 1, numBlocks });
    model.compile({ lr: 1e-2 });
    await model.fit(zooData(256, 2), { epochs: 1, batchSize: 64, verbose: 0 });
    const file = path.join(dir, `onetrans-seq-${numBlocks}.onnx`);
    await model.exportOnnx(file);
    const data = zooData(31, 3);
    const expected = await model.predict(data);
    const { values } = await ortRun(file, data, 31);
    for (let i = 0; i < 31; i++) expect(Math.abs(values[i] - expected[i])).toBeLessThan(1e-5);
    if (hasChecker) expect(onnxCheck([file])[0]).toEqual('ok');
    model.dispose();
  });
});
