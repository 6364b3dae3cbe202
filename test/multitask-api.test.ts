import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { MemoryStore } from '../src/basic/store';
import { DenseFeature, SparseFeature } from '../src/basic/features';
import { productLogit } from '../src/basic/layers/log-prob';
import { PosoGate } from '../src/basic/layers/poso';
import { Rng } from '../src/basic/random';
import { bceWithLogits } from '../src/loss/pointwise';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { syntheticFunnel } from '../src/data/synthetic/funnel';
import { syntheticColdStart } from '../src/data/synthetic/coldstart';
import { ESMM, MMoE, PLE, POSO, SharedBottom } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const two = syntheticTwoTasks({ rows: 3000, seed: 2 });
const funnel = syntheticFunnel({ rows: 4000, seed: 4, ctrBias: -1.5 });
const cold = syntheticColdStart({ rows: 3000, seed: 6 });
const twoBase = { sparseFeatures: two.sparseFeatures, denseFeatures: two.denseFeatures, targets: two.taskNames, seed: 3 };
const small = { dims: [16] };

/** Every multi-task model on a small problem it accepts, with its training data (built lazily: after initBackend). */
function zoo(): Array<{ name: string; make: () => BaseModel; data: typeof two.train; valid: typeof two.valid }> {
  return [
    { name: 'SharedBottom', make: () => new SharedBottom({ ...twoBase, bottom: small, tower: { dims: [8] } }), data: two.train, valid: two.valid },
    { name: 'MMoE', make: () => new MMoE({ ...twoBase, numExperts: 3, expert: small, tower: { dims: [8] } }), data: two.train, valid: two.valid },
    { name: 'PLE', make: () => new PLE({ ...twoBase, numLevels: 2, taskExperts: 1, sharedExperts: 2, expert: small, tower: { dims: [8] } }), data: two.train, valid: two.valid },
    {
      name: 'ESMM',
      make: () => new ESMM({ sparseFeatures: funnel.sparseFeatures, denseFeatures: funnel.denseFeatures, ctrTower: small, cvrTower: small, seed: 3 }),
      data: funnel.train,
      valid: funnel.valid,
    },
    {
      name: 'POSO-MLP',
      make: () => new POSO({ sparseFeatures: cold.sparseFeatures, denseFeatures: cold.denseFeatures, targets: ['click'], personalizationFeatures: cold.personalizationFeatures, mlp: { dims: [16, 8] }, seed: 3 }),
      data: cold.train,
      valid: cold.valid,
    },
    {
      name: 'POSO-MMoE',
      make: () => new POSO({
        sparseFeatures: cold.sparseFeatures,
        denseFeatures: cold.denseFeatures,
        targets: ['click'],
        personalizationFeatures: ['is_new', 'x0'],
        backbone: 'mmoe',
        numExperts: 2,
        expert: small,
        seed: 3,
      }),
      data: cold.train,
      valid: cold.valid,
    },
  ];
}

/** Run `f` with console.log captured; returns the printed lines. */
async function captureLog(f: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await f();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('multi-task lifecycle', () => {
  it('per-task metrics appear in the epoch summary line, the history and evaluate()', async () => {
    const m = new MMoE({ ...twoBase, numExperts: 2, expert: small });
    m.compile({ lr: 3e-3, metrics: ['auc', 'logloss'] });
    let history: Awaited<ReturnType<typeof m.fit>> | null = null;
    const lines = await captureLog(async () => {
      history = await m.fit(two.train, { epochs: 2, batchSize: 256, validData: two.valid, verbose: 2 });
    });
    const summaries = lines.filter((l) => l.startsWith('epoch '));
    expect(summaries).toHaveLength(2);
    for (const key of ['loss_click', 'loss_like', 'val_auc_click', 'val_auc_like', 'val_logloss_click', 'val_logloss_like']) {
      expect(summaries[1]).toMatch(new RegExp(`\\b${key} [0-9.]+`));
      expect(Number.isFinite(history!.epochs[1][key])).toBe(true);
    }
    // the per-task training losses add up to the reported total (unit loss weights)
    const e = history!.epochs[0];
    expect(e.loss_click + e.loss_like).toBeCloseTo(e.loss, 4);
    // verbose 1 (no TTY under jest): one line per epoch, the same summary (no per-step lines flooding logs)
    const v1 = await captureLog(() => m.fit(two.train, { epochs: 1, batchSize: 256, validData: two.valid, verbose: 1 }));
    expect(v1.some((l) => /step \d+\/\d+ loss/.test(l))).toBe(false);
    expect(v1[v1.length - 1]).toMatch(/val_auc_like [0-9.]+/);

    const report = await m.evaluate(two.test);
    expect(Object.keys(report).sort()).toEqual(['auc_click', 'auc_like', 'logloss_click', 'logloss_like', 'loss']);
    expect(report.auc_click).toBeGreaterThan(0.6);
    expect(report.auc_like).toBeGreaterThan(0.6);
    const preds = await m.predictTargets(two.test);
    expect(Object.keys(preds).sort()).toEqual(['click', 'like']);
    m.dispose();
  });

  it('weights per-target losses and early-stops on a per-task validation metric', async () => {
    const m = new PLE({ ...twoBase, numLevels: 1, expert: small });
    m.compile({ lr: 3e-3, loss: ['bce', 'focal'], lossParams: {}, lossWeights: [1, 0.5] });
    const h = await m.fit(two.train, { epochs: 4, batchSize: 256, validData: two.valid, verbose: 0, earlyStopping: { monitor: 'val_auc_like', patience: 1 } });
    expect(h.best?.monitor).toBe('val_auc_like');
    expect(h.best!.value).toBe(Math.max(...h.epochs.map((e) => e.val_auc_like)));
    const e = h.epochs[0];
    expect(e.loss_click + 0.5 * e.loss_like).toBeCloseTo(e.loss, 4);
    m.dispose();
  });

  it('ESMM reports CTR, CTCVR and clicked-row CVR metrics and predicts ctr, cvr and ctcvr', async () => {
    const m = new ESMM({ sparseFeatures: funnel.sparseFeatures, denseFeatures: funnel.denseFeatures, ctrTower: small, cvrTower: small, seed: 1 });
    m.compile({ lr: 3e-3 });
    const h = await m.fit(funnel.train, { epochs: 2, batchSize: 256, validData: funnel.valid, verbose: 0, earlyStopping: { monitor: 'val_auc_cvr', patience: 2 } });
    // the mode of a non-target suffix is still read from the metric name: auc is maximised
    expect(h.best!.value).toBe(Math.max(...h.epochs.map((e) => e.val_auc_cvr)));
    for (const k of ['loss_click', 'loss_conversion', 'val_auc_click', 'val_auc_conversion', 'val_auc_cvr', 'val_logloss_cvr']) expect(Number.isFinite(h.epochs[0][k])).toBe(true);
    const report = await m.evaluate(funnel.test);
    expect(Object.keys(report).sort()).toEqual(['auc_click', 'auc_conversion', 'auc_cvr', 'logloss_click', 'logloss_conversion', 'logloss_cvr', 'loss']);
    const p = await m.predictTargets(funnel.test);
    expect(Object.keys(p).sort()).toEqual(['click', 'conversion', 'ctcvr', 'ctr', 'cvr']);
    expect(p.click).toBe(p.ctr);
    expect(p.conversion).toBe(p.ctcvr);
    for (let i = 0; i < p.ctr.length; i++) {
      expect(p.ctcvr[i]).toBeCloseTo(p.ctr[i] * p.cvr[i], 6);
      expect(p.ctcvr[i]).toBeLessThanOrEqual(p.ctr[i]);
    }
    // logloss_conversion scores the same pCTCVR that predictTargets returns
    const y = funnel.test.conversion as Float32Array;
    let ll = 0;
    for (let i = 0; i < y.length; i++) ll -= y[i] ? Math.log(Math.max(p.ctcvr[i], 1e-7)) : Math.log(Math.max(1 - p.ctcvr[i], 1e-7));
    expect(ll / y.length).toBeCloseTo(report.logloss_conversion, 4);
    expect(await m.predict(funnel.test)).toEqual(p.ctr);
    m.dispose();
  });

  it.each(zoo().map((z) => [z.name, z] as const))('%s: numTensors stays flat over training steps and inference', async (_name, z) => {
    const m = z.make();
    m.compile({ lr: 2e-3 });
    await m.fit(z.data, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 2 });
    await m.evaluate(z.valid);
    const before = tf.memory().numTensors;
    await m.fit(z.data, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 6, validData: z.valid });
    await m.evaluate(z.valid);
    await m.predictTargets(z.valid);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it.each([
    ['ESMM', () => new ESMM({ sparseFeatures: funnel.sparseFeatures, denseFeatures: funnel.denseFeatures, ctrTower: small, cvrTower: { dims: [16], batchNorm: true }, seed: 5 }), funnel],
    ['PLE', () => new PLE({ ...twoBase, numLevels: 2, expert: { dims: [16], batchNorm: true }, tower: { dims: [8] }, seed: 5 }), two],
  ] as const)('%s: save -> load -> predictTargets is identical and training resumes', async (_name, make, d) => {
    const m = make();
    m.compile({ lr: 3e-3 });
    await m.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });
    const store = new MemoryStore();
    await m.save(store);
    const loaded = await BaseModel.load(store);
    expect(loaded.modelName()).toBe(m.modelName());
    const a = await m.predictTargets(d.test);
    const b = await loaded.predictTargets(d.test);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Array.from(b[k])).toEqual(Array.from(a[k]));
    // both continue alike: same optimizer state and step count (tfjs rebuilds Adam's beta powers as pow(beta, t) on
    // load, so agreement after further steps is to float rounding)
    await m.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0, maxSteps: 3, shuffle: false });
    await loaded.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0, maxSteps: 3, shuffle: false });
    const a2 = await m.predictTargets(d.test);
    const b2 = await loaded.predictTargets(d.test);
    for (const k of Object.keys(a2)) a2[k].forEach((v, i) => expect(Math.abs(v - b2[k][i])).toBeLessThan(1e-6));
    m.dispose();
    loaded.dispose();
  });
});

describe('multi-task building blocks', () => {
  it('productLogit gives the cross-entropy of sigmoid(a) * sigmoid(b), finite for extreme logits', () => {
    tf.tidy(() => {
      const a = tf.tensor2d([[-3], [0.5], [2], [40], [-40], [30]]);
      const b = tf.tensor2d([[1], [-2], [0.3], [35], [-30], [-60]]);
      const y = tf.tensor2d([[0], [1], [1], [0], [1], [1]]);
      const direct = (x: tf.Tensor, z: tf.Tensor) => {
        const p = tf.mul(tf.sigmoid(x), tf.sigmoid(z));
        return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))));
      };
      const viaLogit = (x: tf.Tensor, z: tf.Tensor) => bceWithLogits(productLogit(x, z), y);
      // moderate logits: same value and gradients as the direct formula
      const [a3, b3, y3] = [a.slice([0, 0], [3, 1]), b.slice([0, 0], [3, 1]), y.slice([0, 0], [3, 1])];
      const direct3 = (x: tf.Tensor, z: tf.Tensor) => {
        const p = tf.mul(tf.sigmoid(x), tf.sigmoid(z));
        return tf.neg(tf.mean(tf.add(tf.mul(y3, tf.log(p)), tf.mul(tf.sub(1, y3), tf.log(tf.sub(1, p))))));
      };
      expect(bceWithLogits(productLogit(a3, b3), y3).dataSync()[0]).toBeCloseTo(direct3(a3, b3).dataSync()[0], 5);
      const g1 = tf.grads((x: tf.Tensor, z: tf.Tensor) => bceWithLogits(productLogit(x, z), y3))([a3, b3]);
      const g2 = tf.grads(direct3)([a3, b3]);
      for (let k = 0; k < 2; k++) Array.from(g1[k].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(g2[k].dataSync()[i], 5));
      // extreme logits: the direct formula overflows to Infinity / NaN, the logit form stays finite
      expect(Number.isFinite(direct(a, b).dataSync()[0])).toBe(false);
      const loss = viaLogit(a, b).dataSync()[0];
      expect(Number.isFinite(loss)).toBe(true);
      const g = tf.grads(viaLogit)([a, b]);
      for (const t of g) for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
    });
  });

  it('POSO gates start at exactly 1', () => {
    const gate = new PosoGate(3, 5, { dims: [4] }, new Rng(1));
    tf.tidy(() => {
      const pc = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
      const ctx = { training: false, rng: new Rng(0), deferred: [] };
      expect(Array.from(gate.apply(pc, ctx).dataSync())).toEqual(new Array(15).fill(1));
    });
    gate.disposeParams();
  });

  it('validates configs with messages that name the problem', () => {
    const f = { sparseFeatures: two.sparseFeatures, denseFeatures: two.denseFeatures };
    expect(() => new ESMM({ ...f, targets: ['a', 'b', 'c'] })).toThrow(/exactly two targets/);
    expect(() => new ESMM({ ...f, targets: ['click', 'cvr'] })).toThrow(/CTCVR/);
    expect(() => new ESMM({ ...f, targets: ['click', { name: 'gmv', type: 'regression' }] })).toThrow(/binary/);
    expect(() => new ESMM({ ...f, targets: ['click', 'like'] }).compile({ loss: 'mse' })).toThrow(/logits/);
    expect(() => new POSO({ ...f, targets: two.taskNames, personalizationFeatures: ['nope'] })).toThrow(/'nope' is not a declared/);
    expect(() => new POSO({ ...f, targets: two.taskNames, personalizationFeatures: [] })).toThrow(/personalizationFeatures/);
    expect(() => new POSO({ ...f, targets: two.taskNames, personalizationFeatures: ['c0'], backbone: 'gru' as 'mlp' })).toThrow(/backbone/);
    expect(() => new PLE({ ...f, targets: two.taskNames, numLevels: 0 })).toThrow(/numLevels/);
    expect(() => new PLE({ ...f, targets: two.taskNames, numLevels: 2, sharedExperts: 0 })).toThrow(/shared expert/);
    expect(() => new MMoE({ ...f, targets: two.taskNames, numExperts: 0 })).toThrow(/experts/);
    expect(() => new MMoE({ ...f, targets: two.taskNames, expert: { dims: [] } })).toThrow(/at least one layer/);
    expect(() => new SharedBottom({ ...f, targets: two.taskNames, bottom: { dims: [8], outputDim: 2 } })).toThrow(/outputDim/);
    expect(() => new SharedBottom({ targets: ['click'] })).toThrow(/at least one feature/);
  });

  it('mixes sparse features of different widths and dense features into one input', async () => {
    const d = {
      a: Int32Array.from({ length: 64 }, (_, i) => 1 + (i % 5)),
      b: Int32Array.from({ length: 64 }, (_, i) => 1 + (i % 3)),
      x: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)),
      y1: Float32Array.from({ length: 64 }, (_, i) => i % 2),
      y2: Float32Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    };
    const m = new MMoE({
      sparseFeatures: [new SparseFeature({ name: 'a', vocabSize: 6, embeddingDim: 4 }), new SparseFeature({ name: 'b', vocabSize: 4, embeddingDim: 8 })],
      denseFeatures: [new DenseFeature({ name: 'x' })],
      targets: ['y1', 'y2'],
      numExperts: 2,
      expert: { dims: [4] },
    });
    m.compile();
    await m.fit(d, { epochs: 1, batchSize: 16, verbose: 0 });
    const p = await m.predictTargets(d);
    expect(p.y1).toHaveLength(64);
    m.dispose();
  });
});
