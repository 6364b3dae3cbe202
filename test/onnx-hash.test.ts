/**
 * Hashed ids in ONNX graphs: the project's hashes (hashBucket for hashed / multi-hashed features, crossKey for
 * WideDeep's cross features) written as int64 ONNX ops (opset 17 has no bitwise XOR) equal the host's exactly on
 * edge-case and random ids, and models with hashed features or crosses export and score within 1e-5 of tfjs in
 * ONNX Runtime; the files pass the ONNX checker (python3-onnx; skipped with a message where it is missing).
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { DenseFeature, SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { hashBucket } from '../src/basic/embedding/hashing';
import { crossKey } from '../src/basic/embedding/feature-cross';
import { OnnxGraphBuilder } from '../src/basic/onnx/graph';
import { Uint32Ops } from '../src/basic/onnx/hash-ops';
import { OPSET } from '../src/basic/onnx/translate';
import { encodeOnnxModel, OnnxDataType, valueInfo } from '../src/basic/onnx/onnx-proto';
import { DeepFM, WideDeep, DIN } from '../src/models/ranking';
import { hasOnnxChecker, onnxCheck, ortOutputs } from './helpers/ort';

const hasChecker = hasOnnxChecker(__filename);

let dir: string;
beforeAll(async () => {
  await initBackend({ log: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-onnx-hash-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

describe('hashed ids in ONNX', () => {
  it('hashBucket (3 hash functions, odd and even table sizes) and crossKey equal the host bit for bit', async () => {
    const rng = new Rng(4);
    const edge = [0, 1, 2, -1, -2, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 0x7ffffffe, 123456789, -987654321];
    const n = 2000;
    const a = Int32Array.from({ length: n }, (_, i) => (i < edge.length ? edge[i] : Math.floor(rng.uniform(-(2 ** 31), 2 ** 31))));
    const b = Int32Array.from({ length: n }, (_, i) => (i < edge.length ? edge[edge.length - 1 - i] : i % 7 === 0 ? 0 : 1 + rng.int(1e6)));
    const g = new OnnxGraphBuilder(1, () => 'a');
    const ops = new Uint32Ops(g);
    const asInt32 = (x: string, out: string) => g.node('Cast', [x], { to: OnnxDataType.INT32 }, [out]);
    const cases: Array<[number, number]> = [
      [0, 10007],
      [1, 64],
      [2, 2],
    ];
    const raw = g.op('Cast', ['a'], { to: OnnxDataType.INT64 });
    cases.forEach(([fn, rows], k) => asInt32(ops.bucket(raw, fn, rows), `bucket${k}`));
    asInt32(ops.crossKey('a', 'b'), 'cross');
    const outputs = [...cases.map((_, k) => `bucket${k}`), 'cross'];
    const file = path.join(dir, 'hash.onnx');
    const io = (name: string) => valueInfo(name, OnnxDataType.INT32, ['batch']);
    await fs.writeFile(file, encodeOnnxModel({ name: 'hash', node: g.nodes, initializer: g.initializers, input: [io('a'), io('b')], output: outputs.map(io) }, OPSET, '0.1.0'));
    await fs.writeFile(`${file}.json`, JSON.stringify({ inputs: ['a', 'b'].map((name) => ({ name, dtype: 'int32', shape: ['batch'] })), outputs: outputs.map((name) => ({ name, shape: ['batch'] })) }));
    const out = await ortOutputs(file, { a, b }, n);
    cases.forEach(([fn, rows], k) => expect(out[`bucket${k}`].values).toEqual(Array.from(a, (v) => hashBucket(v, fn, rows))));
    expect(out.cross.values).toEqual(Array.from(a, (v, i) => crossKey(v, b[i])));
    if (hasChecker) expect(onnxCheck([file])).toEqual(['ok']);
  });

  it('models with hashed, multi-hashed and hashed-sequence features and WideDeep crosses export: ONNX Runtime equals tfjs within 1e-5', async () => {
    const rows = 41;
    const rng = new Rng(9);
    const ids = (n: number, max: number) => Int32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : 1 + Math.floor(rng.uniform(0, max))));
    const data = (m: number) => {
      const hist = new Int32Array(m * 5);
      for (let i = 0; i < m; i++) for (let j = 0; j < 1 + (i % 5); j++) hist[i * 5 + j] = 1 + Math.floor(rng.uniform(0, 5000));
      return { url: ids(m, 1e6), user: ids(m, 29), item: ids(m, 5000), hist, price: Float32Array.from({ length: m }, () => rng.uniform(0, 1)), label: Float32Array.from({ length: m }, () => (rng.uniform(0, 1) < 0.4 ? 1 : 0)) };
    };
    const features = () => ({
      sparseFeatures: [
        new SparseFeature({ name: 'url', vocabSize: 97, embeddingDim: 4, hashing: true }),
        new SparseFeature({ name: 'user', vocabSize: 30, embeddingDim: 4 }),
        new SparseFeature({ name: 'item', vocabSize: 64, embeddingDim: 4, numHashes: 2, embeddingName: 'items' }),
      ],
      denseFeatures: [new DenseFeature({ name: 'price' })],
    });
    const made = [
      ['DeepFM', () => new DeepFM({ ...features(), mlp: { dims: [8] }, seed: 1 })],
      ['WideDeep', () => new WideDeep({ ...features(), crossFeatures: [['user', 'item'], ['url', 'user']], crossBuckets: 31, mlp: { dims: [8] }, seed: 1 })],
      [
        'DIN',
        () =>
          new DIN({
            ...features(),
            sequenceFeatures: [new SequenceFeature({ name: 'hist', vocabSize: 64, embeddingDim: 4, numHashes: 2, embeddingName: 'items', maxLen: 5 })],
            behaviorFeature: 'hist',
            targetItemFeature: 'item',
            contextFeatures: ['user', 'url', 'price'],
            mlp: { dims: [8] },
            seed: 1,
          }),
      ],
    ] as const;
    for (const [name, make] of made) {
      const model = make();
      model.compile({ lr: 1e-2 });
      await model.fit(data(128), { epochs: 1, batchSize: 32, verbose: 0 });
      const file = path.join(dir, `${name}.onnx`);
      const { signature } = await model.exportOnnx(file);
      const test = data(rows);
      const columns = Object.fromEntries(signature.inputs.map((i) => [i.name, test[i.name as keyof typeof test]]));
      const out = await ortOutputs(file, columns, rows);
      const expected = await model.predict(test);
      let worst = 0;
      out.predictions.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
      expect({ name, worst: worst < 1e-5 ? 'ok' : worst }).toEqual({ name, worst: 'ok' });
      if (hasChecker) expect({ name, checker: onnxCheck([file])[0] }).toEqual({ name, checker: 'ok' });
      model.dispose();
    }
  });
});
