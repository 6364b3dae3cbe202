import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { DenseFeature, SparseFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { auc } from '../src/basic/metrics';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

function smallTask(rows = 4000, seed = 3) {
  return syntheticCtr({ rows, seed });
}

function model(d: ReturnType<typeof syntheticCtr>, extra: Partial<ConstructorParameters<typeof DeepFM>[0]> = {}) {
  return new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [32, 16] }, seed: 11, ...extra });
}

describe('DeepFM on the synthetic CTR task', () => {
  it('reaches at least 97% of the oracle AUC (200k rows, 3 epochs, seed 7)', async () => {
    const d = syntheticCtr({ rows: 200_000, seed: 7 });
    const m = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [256, 128], dropout: 0 }, seed: 7 });
    m.compile({ optimizer: 'adam', lr: 1e-3, loss: 'bce', metrics: ['auc', 'logloss'] });
    const history = await m.fit(d.train, { validData: d.valid, epochs: 3, batchSize: 1024, earlyStopping: { patience: 2 }, verbose: 0 });
    const report = await m.evaluate(d.test);
    const oracle = d.oracle.test.oracleAuc;
    console.log(`DeepFM test AUC ${report.auc.toFixed(4)} vs oracle ${oracle.toFixed(4)} (${((100 * report.auc) / oracle).toFixed(1)}%)`);
    expect(report.auc).toBeGreaterThanOrEqual(0.97 * oracle);
    expect(history.epochs.length).toBe(3);
    expect(history.epochs[2].val_auc).toBeGreaterThan(history.epochs[0].val_auc);
    // logloss of predictions agrees with the reported loss for bce
    expect(report.logloss).toBeCloseTo(report.loss, 4);
    m.dispose();
  });

  it('is deterministic for a fixed seed', async () => {
    const d = smallTask(3000);
    const run = async () => {
      const m = model(d, { mlp: { dims: [16], dropout: 0.2, batchNorm: true } });
      m.compile({ lr: 3e-3 });
      await m.fit(d.train, { epochs: 2, batchSize: 256, verbose: 0 });
      const p = await m.predict(d.test);
      m.dispose();
      return p;
    };
    expect(Array.from(await run())).toEqual(Array.from(await run()));
  });

  it('save -> load -> predict gives identical scores, and training resumes', async () => {
    const d = smallTask();
    const m = model(d, { mlp: { dims: [16, 8], batchNorm: true } });
    m.compile({ optimizer: 'adam', lr: 3e-3, denseL2: 1e-5 });
    await m.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });
    const before = await m.predict(d.test);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-deepfm-'));
    await m.save(dir);
    const again = await DeepFM.load<DeepFM>(dir);
    expect(Array.from(await again.predict(d.test))).toEqual(Array.from(before));
    // the generic loader resolves the class from the manifest
    const generic = await BaseModel.load(dir);
    expect(generic).toBeInstanceOf(DeepFM);
    // optimizer state, step counters and the training random stream come back: the same next (shuffled) steps from
    // both give the same weights (tfjs rebuilds Adam's beta powers as pow(beta, t) on load: agreement to rounding)
    await m.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0, maxSteps: 3 });
    await again.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0, maxSteps: 3 });
    const a = await m.predict(d.test);
    const b = await again.predict(d.test);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    await fs.rm(dir, { recursive: true });
    [m, again, generic].forEach((x) => x.dispose());
  });

  it('detects corrupted weight files', async () => {
    const d = smallTask(500);
    const m = model(d);
    m.compile();
    const store = new MemoryStore();
    await m.save(store);
    const bytes = store.files.get('dense.bin')!;
    bytes[10] ^= 0xff;
    await expect(DeepFM.load(store)).rejects.toThrow(/dense.bin is corrupted/);
    m.dispose();
  });

  it('keeps tf.memory().numTensors flat over 200 training steps', async () => {
    const d = smallTask(2000);
    const m = model(d, { mlp: { dims: [16], batchNorm: true, dropout: 0.1 } });
    m.compile({ lr: 1e-3, denseL2: 1e-4 });
    const counts: number[] = [];
    await m.fit(d.train, { epochs: 20, batchSize: 128, verbose: 0, maxSteps: 200, onStep: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(200);
    expect(new Set(counts.slice(1)).size).toBe(1);
    const before = tf.memory().numTensors;
    await m.predict(d.test);
    await m.evaluate(d.test);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('routes exact gradients to embedding rows (finite-difference check)', async () => {
    const sparse = [new SparseFeature({ name: 'a', vocabSize: 5, embeddingDim: 4, initializer: { type: 'normal', std: 0.5 } }), new SparseFeature({ name: 'b', vocabSize: 4, embeddingDim: 4, initializer: { type: 'normal', std: 0.5 } })];
    const dense = [new DenseFeature({ name: 'x' })];
    const data = { a: [1, 2, 1, 3, 4, 1], b: [1, 1, 2, 3, 2, 3], x: [0.5, -1, 0.2, 0.3, 1, -0.4], label: [1, 0, 1, 0, 0, 1] };
    const make = () => {
      const m = new DeepFM({ sparseFeatures: sparse, denseFeatures: dense, mlp: { dims: [8] }, seed: 5 });
      m.compile({ optimizer: 'sgd', lr: 1e-9, embeddingLr: 1 });
      return m;
    };
    const m = make();
    const table = m.embeddings.tables.get('a')!;
    const w0 = table.row(1);
    const lossAt = async (delta: number, j: number) => {
      const probe = make();
      const t = probe.embeddings.tables.get('a')!;
      t.row(1);
      t.data[1 * t.stride + j] += delta;
      const r = (await probe.evaluate(data)).loss;
      probe.dispose();
      return r;
    };
    await m.fit(data, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false });
    const stepped = table.row(1);
    for (let j = 0; j < 4; j++) {
      const eps = 1e-2;
      const fd = ((await lossAt(eps, j)) - (await lossAt(-eps, j))) / (2 * eps);
      // SGD with lr 1: w1 = w0 - grad
      expect(w0[j] - stepped[j]).toBeCloseTo(fd, 3);
    }
    m.dispose();
  });
});

describe('clear errors', () => {
  const d = smallTask(300);
  let m: DeepFM;
  beforeAll(() => {
    m = model(d);
    m.compile();
  });

  it('requires compile before fit', async () => {
    await expect(model(d).fit(d.train)).rejects.toThrow(/call compile\(\) before fit/);
  });
  it('names missing columns', async () => {
    const { c3, ...rest } = d.train as Record<string, Int32Array>;
    void c3;
    await expect(m.fit(rest)).rejects.toThrow(/missing column\(s\): c3/);
  });
  it('rejects mismatched column lengths', async () => {
    await expect(m.fit({ ...d.train, c1: (d.train.c1 as Int32Array).slice(1) })).rejects.toThrow(/column 'c1' has \d+ rows but 'c0' has \d+/);
  });
  it('rejects empty data', async () => {
    const empty = Object.fromEntries(Object.keys(d.train).map((k) => [k, []]));
    await expect(m.fit(empty)).rejects.toThrow(/data is empty/);
  });
  it('rejects labels outside {0,1} with the row number', async () => {
    const label = Float32Array.from(d.train.label as Float32Array);
    label[17] = 2;
    await expect(m.fit({ ...d.train, label })).rejects.toThrow(/label 'label' row 17: binary labels must be 0 or 1, got 2/);
  });
  it('rejects out-of-range ids with the row number', async () => {
    const c0 = Int32Array.from(d.train.c0 as Int32Array);
    c0[5] = 100000;
    await expect(m.predict({ ...d.train, c0 })).rejects.toThrow(/column 'c0' row 5: id 100000 is out of range/);
  });
  it('rejects non-finite dense values with the row number', async () => {
    const d0 = Float32Array.from(d.train.d0 as Float32Array);
    d0[9] = NaN;
    await expect(m.predict({ ...d.train, d0 })).rejects.toThrow(/column 'd0' row 9: value NaN is not a finite number/);
  });
  it('stops on a NaN loss naming the step', async () => {
    const bad = model(d);
    bad.compile({ optimizer: 'sgd', lr: 1e30 });
    await expect(bad.fit(d.train, { epochs: 3, batchSize: 32, verbose: 0 })).rejects.toThrow(/loss became (NaN|Infinity|-Infinity) at step \d+/);
  });
  it('rejects unknown optimizers, losses and metrics listing the known ones', () => {
    expect(() => model(d).compile({ optimizer: 'lamb' })).toThrow(/unknown optimizer 'lamb' \(known: adagrad, adam, adamw, ftrl, momentum, rmsprop, sgd/);
    expect(() => model(d).compile({ loss: 'hinge' })).toThrow(/hinge/);
    expect(() => model(d).compile({ metrics: ['f2'] })).toThrow(/unknown metric 'f2'/);
    expect(() => model(d).compile({ metrics: ['gauc'] })).toThrow(/needs groupColumn/);
  });
  it('validates model config', () => {
    expect(() => new DeepFM({ sparseFeatures: d.sparseFeatures, mlp: { dims: [0] } })).toThrow(/mlp.dims\[0\] must be a positive integer/);
    expect(() => new DeepFM({ sparseFeatures: [{ name: 'x' } as never] })).toThrow(/sparseFeatures\[0\] must be a SparseFeature/);
  });
});

describe('metrics in fit and evaluate', () => {
  it('computes gauc per group and early-stops on a chosen metric', async () => {
    const d = smallTask(3000);
    const m = model(d);
    m.compile({ metrics: ['auc', 'gauc', 'logloss'], groupColumn: 'c5' });
    const h = await m.fit(d.train, { validData: d.valid, epochs: 4, batchSize: 256, verbose: 0, earlyStopping: { monitor: 'val_logloss', patience: 1 } });
    expect(h.best?.monitor).toBe('val_logloss');
    const r = await m.evaluate(d.test);
    expect(r.gauc).toBeGreaterThan(0.5);
    expect(r.auc).toBeCloseTo(auc(d.test.label as Float32Array, await m.predict(d.test)), 10);
    m.dispose();
  });
});
