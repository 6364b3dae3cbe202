import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { splitForValidation } from '../src/basic/dataset/validation-split';
import { MemoryRunLog, parseRunLog } from '../src/basic/run-log';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('validation split', () => {
  const n = 500;
  const time = Int32Array.from({ length: n }, (_, i) => (i * 7919) % 97); // shuffled, with ties
  const group = Int32Array.from({ length: n }, (_, i) => (i * 31) % 23);
  for (const by of ['random', 'time', 'group'] as const) {
    it(`${by}: disjoint, covers every row, deterministic, about the asked fraction`, () => {
      const col = by === 'time' ? time : by === 'group' ? group : undefined;
      const a = splitForValidation(n, 0.2, by, 7, col);
      const b = splitForValidation(n, 0.2, by, 7, col);
      expect(Array.from(a.valid)).toEqual(Array.from(b.valid));
      const all = new Set([...a.train, ...a.valid]);
      expect(all.size).toBe(n);
      expect(a.train.length + a.valid.length).toBe(n);
      if (by === 'group') {
        const vg = new Set(Array.from(a.valid, (i) => group[i]));
        for (const i of a.train) expect(vg.has(group[i])).toBe(false);
        expect(a.valid.length).toBeGreaterThanOrEqual(100);
        expect(a.valid.length).toBeLessThan(100 + 30);
      } else expect(a.valid.length).toBe(100);
      if (by === 'time') {
        const latestTrain = Math.max(...Array.from(a.train, (i) => time[i]));
        const earliestValid = Math.min(...Array.from(a.valid, (i) => time[i]));
        expect(earliestValid).toBeGreaterThanOrEqual(latestTrain);
      }
      if (by === 'random') expect(Array.from(splitForValidation(n, 0.2, by, 8).valid)).not.toEqual(Array.from(a.valid));
    });
  }
  it('fit({ validationSplit }) trains on the rest and reports validation metrics; errors name the option', async () => {
    const d = syntheticCtr({ rows: 1200, seed: 2 });
    const rows = (d.train.label as ArrayLike<number>).length;
    const ts = Float32Array.from({ length: rows }, (_, i) => i);
    const make = () => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [8] }, seed: 1 }).compile({ lr: 0.01 });
    const train = { ...d.train, ts };
    const steps: number[] = [];
    const h1 = await make().fit(train, { epochs: 1, batchSize: 100, verbose: 0, validationSplit: 0.25, validationSplitBy: 'time', validationSplitColumn: 'ts', onStep: (s) => steps.push(s.step) });
    const h2 = await make().fit(train, { epochs: 1, batchSize: 100, verbose: 0, validationSplit: 0.25, validationSplitBy: 'time', validationSplitColumn: 'ts' });
    expect(steps.length).toBe(Math.ceil((rows - Math.round(0.25 * rows)) / 100));
    expect(h1.epochs[0].val_auc).toBeGreaterThan(0.5);
    expect(h1.epochs[0].val_auc).toBe(h2.epochs[0].val_auc);
    await expect(make().fit(train, { verbose: 0, validationSplit: 0.2, validData: d.valid })).rejects.toThrow(/either validData or validationSplit/);
    await expect(make().fit(train, { verbose: 0, validationSplit: 0.2, validationSplitBy: 'time' })).rejects.toThrow(/validationSplitBy 'time' needs validationSplitColumn/);
    await expect(make().fit(train, { verbose: 0, validationSplit: 0.2, validationSplitBy: 'group', validationSplitColumn: 'nope' })).rejects.toThrow(/validationSplitColumn 'nope' is not a column/);
    await expect(make().fit(train, { verbose: 0, validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
  });
});

describe('checkpoints and run logs', () => {
  const d = syntheticCtr({ rows: 1500, seed: 6 });
  const make = () => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [8] }, seed: 5 });

  it('checkpointDir keeps the best and the last epoch, and both load with their own predictions', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-ckpt-'));
    const m = make().compile({ lr: 0.02 });
    const aucs: number[] = [];
    let lastPreds: Float32Array | null = null;
    const h = await m.fit(d.train, {
      validData: d.valid,
      epochs: 4,
      batchSize: 128,
      verbose: 0,
      checkpointDir: dir,
      earlyStopping: { patience: 4, restoreBest: true },
      onEpochEnd: async (log) => {
        aucs.push(log.val_auc);
        lastPreds = await m.predict(d.test);
      },
    });
    const bestEpoch = h.best!.epoch;
    expect(bestEpoch).toBe(aucs.indexOf(Math.max(...aucs)) + 1);
    const best = await BaseModel.load(path.join(dir, 'best'));
    const last = await BaseModel.load(path.join(dir, 'last'));
    // the model in memory was restored to the best epoch: the best checkpoint predicts the same
    expect(Array.from(await best.predict(d.test))).toEqual(Array.from(await m.predict(d.test)));
    expect(Array.from(await last.predict(d.test))).toEqual(Array.from(lastPreds!));
    expect((await best.evaluate(d.valid)).auc).toBeCloseTo(h.best!.value, 6);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runLog writes per-step and per-epoch scalars (memory sink and JSONL file)', async () => {
    const sink = new MemoryRunLog();
    const m = make().compile({ lr: 0.01, schedule: { type: 'cosine', warmupSteps: 3 } });
    await m.fit(d.train, { validData: d.valid, epochs: 2, batchSize: 256, verbose: 0, runLog: sink });
    const steps = sink.records.filter((r) => r.kind === 'step');
    const epochs = sink.records.filter((r) => r.kind === 'epoch');
    expect(epochs.length).toBe(2);
    expect(steps.length).toBe(2 * Math.ceil((d.train.label as ArrayLike<number>).length / 256));
    expect(steps.map((r) => r.globalStep)).toEqual(steps.map((_, i) => i + 1));
    expect(steps[0].lr).toBeCloseTo(0.01 / 3, 12);
    for (const e of epochs) for (const k of ['loss', 'lr', 'samplesPerSec', 'val_auc', 'val_logloss']) expect(typeof e[k]).toBe('number');
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-log-')), 'sub', 'log.jsonl');
    await make().compile({ lr: 0.01 }).fit(d.train, { epochs: 1, batchSize: 256, verbose: 0, runLog: file });
    const parsed = parseRunLog(await fs.readFile(file, 'utf8'), file);
    expect(parsed.filter((r) => r.kind === 'step').length).toBe(Math.ceil((d.train.label as ArrayLike<number>).length / 256));
    expect(parsed[parsed.length - 1].kind).toBe('epoch');
    expect(() => parseRunLog('{"kind":"step"}\nnot json', 'x.jsonl')).toThrow(/x.jsonl: line 2 is not JSON/);
  });
});

describe('save/load with the new optimizers and a schedule', () => {
  const d = syntheticCtr({ rows: 1200, seed: 8 });
  for (const optimizer of ['adamw', 'ftrl', 'rmsprop', 'momentum']) {
    it(`${optimizer}: a loaded model continues training exactly like the original`, async () => {
      const { MemoryStore } = await import('../src/basic/store');
      const make = () => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [8] }, seed: 4 });
      const m = make().compile({ optimizer, lr: 0.01, schedule: { type: 'plateau', monitor: 'val_auc', patience: 1, factor: 0.5, minDelta: 1, warmupSteps: 3 }, clipNorm: 10 });
      const h = await m.fit(d.train, { validData: d.valid, epochs: 2, batchSize: 256, verbose: 0 });
      expect(h.epochs[1].lr).toBeCloseTo(0.01, 12); // epoch 2 saw a plateau: the factor applies from epoch 3
      const store = new MemoryStore();
      await m.save(store);
      const loaded = await BaseModel.load(store);
      const opts = { epochs: 1, batchSize: 256, verbose: 0 as const, maxSteps: 3, validData: d.valid };
      const rates: number[] = [];
      await m.fit(d.train, { ...opts, onStep: (s) => rates.push(s.lr) });
      const ratesLoaded: number[] = [];
      await loaded.fit(d.train, { ...opts, onStep: (s) => ratesLoaded.push(s.lr) });
      expect(ratesLoaded).toEqual(rates);
      expect(rates[0]).toBeCloseTo(0.005, 12);
      const a = await m.predict(d.test);
      const b = await loaded.predict(d.test);
      a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 5));
      m.dispose();
      loaded.dispose();
    });
  }
});
