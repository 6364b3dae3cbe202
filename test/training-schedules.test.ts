import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { cosineFactor, LearningRateSchedule, ScheduleSpec, validateSchedule } from '../src/basic/optim/schedules';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const seq = (spec: ScheduleSpec, n: number, fitSteps = n) => {
  const s = new LearningRateSchedule(validateSchedule(spec));
  s.beginFit(0, fitSteps);
  return Array.from({ length: n }, (_, t) => s.factor(t));
};
const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 12));

describe('learning-rate schedules follow their closed forms', () => {
  it('step: gamma^floor(t / stepSize)', () => {
    close(seq({ type: 'step', stepSize: 3, gamma: 0.5 }, 10), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]);
  });
  it('exponential: gamma^(t / decaySteps)', () => {
    close(seq({ type: 'exponential', gamma: 0.9, decaySteps: 2 }, 6), [0, 1, 2, 3, 4, 5].map((t) => 0.9 ** (t / 2)));
  });
  it('cosine: 1 -> minFactor over decaySteps, then flat', () => {
    const T = 8;
    const want = Array.from({ length: 12 }, (_, t) => 0.1 + (0.9 * (1 + Math.cos((Math.PI * Math.min(t, T)) / T))) / 2);
    close(seq({ type: 'cosine', decaySteps: T, minFactor: 0.1 }, 12), want);
  });
  it('cosine with restarts (SGDR): cycles of 4, 8, 16 steps', () => {
    const want: number[] = [];
    for (const T of [4, 8, 16]) for (let t = 0; t < T; t++) want.push((1 + Math.cos((Math.PI * t) / T)) / 2);
    close(seq({ type: 'cosine', decaySteps: 4, restarts: true, cycleMult: 2 }, 28), want);
    expect(cosineFactor(4, 4, 0, true, 1)).toBe(1);
  });
  it('linear warmup before any schedule; cosine without decaySteps anneals over the rest of the fit', () => {
    const W = 4;
    const total = 20;
    const want = Array.from({ length: total }, (_, t) => (t < W ? (t + 1) / W : (1 + Math.cos((Math.PI * (t - W)) / (total - W))) / 2));
    close(seq({ type: 'cosine', warmupSteps: W }, total), want);
    close(seq({ type: 'step', stepSize: 2, gamma: 0.1, warmupSteps: 2, warmupStartFactor: 0.5 }, 6), [0.75, 1, 1, 1, 0.1, 0.1]);
    close(seq({ type: 'constant', warmupSteps: 3 }, 5), [1 / 3, 2 / 3, 1, 1, 1]);
  });
  it('reduce on plateau: the factor drops after `patience` epochs without improvement, down to minFactor', () => {
    const s = new LearningRateSchedule(validateSchedule({ type: 'plateau', factor: 0.5, patience: 2, minDelta: 0.01, minFactor: 0.2 }));
    const values = [0.7, 0.75, 0.755, 0.752, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8];
    const factors = values.map((v) => (s.endEpoch(v, 'max'), s.factor(0)));
    expect(factors).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
  });
  it('rejects bad specs naming the field', () => {
    expect(() => validateSchedule({ type: 'linear' })).toThrow(/schedule.type must be one of constant, step, exponential, cosine, plateau/);
    expect(() => validateSchedule({ type: 'step' })).toThrow(/schedule.stepSize is required/);
    expect(() => validateSchedule({ type: 'cosine', gamma: 0.5 })).toThrow(/schedule.gamma is not an option of a 'cosine' schedule/);
    expect(() => validateSchedule({ type: 'plateau', factor: 2 })).toThrow(/schedule.factor must be in \(0, 1\)/);
    expect(() => validateSchedule({ type: 'cosine', warmupSteps: -1 })).toThrow(/schedule.warmupSteps must be a non-negative integer/);
  });
});

describe('schedules, clipping and penalties in training', () => {
  const d = syntheticCtr({ rows: 1500, seed: 4 });
  const make = () => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [16] }, seed: 3 });

  it('the scheduled rate drives dense and embedding rates (ratio kept) and is reported per step and per epoch', async () => {
    const m = make();
    m.compile({ lr: 0.002, embeddingLr: 0.01, schedule: { type: 'step', stepSize: 3, gamma: 0.5, warmupSteps: 2 } });
    const rates: number[] = [];
    const h = await m.fit(d.train, { epochs: 2, batchSize: 256, maxSteps: 8, verbose: 0, onStep: (s) => rates.push(s.lr) });
    const want = [0, 1, 2, 3, 4, 5, 6, 7].map((t) => 0.002 * (t < 2 ? (t + 1) / 2 : 0.5 ** Math.floor((t - 2) / 3)));
    close(rates, want);
    expect(h.epochs[h.epochs.length - 1].lr).toBeCloseTo(want[7], 12);
    for (const t of m.embeddings.tables.values()) expect(t.optimizerConfig.lr).toBeCloseTo(5 * want[7], 12);
    m.dispose();
  });

  it('reduce-on-plateau reacts when the monitored validation metric stops improving', async () => {
    const m = make();
    // a rate too small to move the validation AUC by minDelta: every epoch after the first is a plateau
    m.compile({ optimizer: 'sgd', lr: 1e-9, embeddingLr: 1e-9, schedule: { type: 'plateau', monitor: 'val_auc', factor: 0.5, patience: 1, minDelta: 0.01 } });
    const h = await m.fit(d.train, { validData: d.valid, epochs: 4, batchSize: 512, verbose: 0 });
    expect(h.epochs.map((e) => e.lr / 1e-9)).toEqual([1, 1, 0.5, 0.25].map((x) => expect.closeTo(x, 9)));
    m.dispose();
    const bad = make().compile({ schedule: { type: 'plateau' } });
    await expect(bad.fit(d.train, { epochs: 1, verbose: 0 })).rejects.toThrow(/schedule needs validData or validationSplit/);
  });

  it('clipNorm bounds the norm of the whole update (dense weights + embedding rows) by lr x clipNorm', async () => {
    const m = make();
    const lr = 0.5;
    const clipNorm = 0.01;
    m.compile({ optimizer: 'sgd', lr, embeddingLr: lr, clipNorm });
    // the same first batch every time (no shuffle): its rows are initialised by this first step, so later
    // differences are updates only (a lazily initialised row would show up as a change)
    await m.fit(d.train, { epochs: 1, batchSize: 256, maxSteps: 1, verbose: 0, shuffle: false });
    const snap = () => ({
      dense: m.namedParams().filter(([, p]) => p.trainable).map(([, p]) => p.variable.dataSync().slice()),
      tables: [...m.embeddings.tables.values()].map((t) => t.data.slice()),
    });
    for (let step = 0; step < 3; step++) {
      const before = snap();
      await m.fit(d.train, { epochs: 1, batchSize: 256, maxSteps: 1, verbose: 0, shuffle: false });
      const after = snap();
      let sq = 0;
      before.dense.forEach((a, i) => a.forEach((x, j) => (sq += (after.dense[i][j] - x) ** 2)));
      before.tables.forEach((a, i) => a.forEach((x, j) => (sq += (after.tables[i][j] - x) ** 2)));
      // the raw gradient norm is far above 0.01, so the update sits at the bound
      expect(Math.sqrt(sq)).toBeLessThanOrEqual(lr * clipNorm * 1.001);
      expect(Math.sqrt(sq)).toBeGreaterThan(lr * clipNorm * 0.99);
    }
    m.dispose();
  });

  it('keeps tensor counts flat with a schedule, clipping, L1 and every new optimizer', async () => {
    for (const optimizer of ['adamw', 'rmsprop', 'momentum', 'ftrl']) {
      const m = make();
      m.compile({ optimizer, lr: 0.01, schedule: { type: 'cosine', warmupSteps: 2 }, clipNorm: 1, clipValue: 0.5, denseL1: 1e-4, embeddingL1: 1e-4 });
      const counts: number[] = [];
      const h = await m.fit(d.train, { epochs: 1, batchSize: 128, maxSteps: 8, verbose: 0, onStep: () => counts.push(tf.memory().numTensors) });
      expect(counts[counts.length - 1]).toBe(counts[2]);
      expect(Number.isFinite(h.epochs[0].loss)).toBe(true);
      m.dispose();
    }
  });

  it('rejects bad compile options naming the field', () => {
    expect(() => make().compile({ clipNorm: 0 })).toThrow(/compile: clipNorm must be a positive number/);
    expect(() => make().compile({ clipValue: -1 })).toThrow(/compile: clipValue must be a positive number/);
    expect(() => make().compile({ denseL1: -1 })).toThrow(/compile: denseL1 must be >= 0/);
    expect(() => make().compile({ threshold: 1.5 })).toThrow(/compile: threshold must be in \(0, 1\)/);
    expect(() => make().compile({ schedule: { type: 'step' } as ScheduleSpec })).toThrow(/schedule.stepSize is required/);
  });
});
