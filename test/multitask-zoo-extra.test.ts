import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { auc } from '../src/basic/metrics';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { syntheticFunnel } from '../src/data/synthetic/funnel';
import { AITM, CrossStitch, CrossStitchUnit, InfoTransferAttention, SNRTrans, SubNetworkRouter } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

/** Central finite differences of a scalar function of one variable's entries against tf.grad. */
function checkGradient(v: tf.Variable, f: () => tf.Scalar, entries: number[], tol = 2e-3): void {
  const { grads } = tf.variableGrads(f, [v]);
  const g = grads[v.name].dataSync().slice();
  tf.dispose(grads);
  const base = v.dataSync().slice();
  const eps = 1e-2;
  for (const i of entries) {
    const at = (delta: number) => {
      const x = base.slice();
      x[i] += delta;
      v.assign(tf.tensor(x, v.shape));
      return tf.tidy(() => f().dataSync()[0]);
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    expect(Math.abs(fd - g[i])).toBeLessThan(tol * Math.max(1, Math.abs(fd)));
  }
}

const lift = (a: number, oracle: number) => (a - 0.5) / (oracle - 0.5);

describe('new layers: gradients match finite differences', () => {
  test('CrossStitchUnit mixes task activations with alpha', () => {
    const unit = new CrossStitchUnit(3, 0.8);
    const rng = new Rng(1);
    const hs = [0, 1, 2].map(() => tf.tensor2d(Array.from({ length: 8 }, () => rng.normal()), [2, 4]));
    const out = unit.apply(hs);
    // initial alpha: 0.8 self, 0.1 each other
    const expected = tf.addN([tf.mul(hs[0], 0.8), tf.mul(hs[1], 0.1), tf.mul(hs[2], 0.1)]);
    expect(Array.from(out[0].dataSync())).toEqual(Array.from(expected.dataSync()).map((x) => expect.closeTo(x, 5)));
    const w = tf.tensor2d(Array.from({ length: 8 }, () => rng.normal()), [2, 4]);
    checkGradient(unit.alpha, () => tf.tidy(() => tf.addN(unit.apply(hs).map((o, t) => tf.sum(tf.mul(tf.tanh(o), tf.mul(w, t + 1))))) as tf.Scalar), [0, 1, 4, 5, 8]);
    tf.dispose([...hs, ...out, expected, w]);
    unit.disposeParams();
  });

  test('InfoTransferAttention: attention over the transferred and own representation', () => {
    const unit = new InfoTransferAttention(4, new Rng(2));
    const rng = new Rng(3);
    const p = tf.tensor2d(Array.from({ length: 12 }, () => rng.normal()), [3, 4]);
    const q = tf.tensor2d(Array.from({ length: 12 }, () => rng.normal()), [3, 4]);
    const { z, transferWeight } = unit.apply(p, q);
    expect(z.shape).toEqual([3, 4]);
    transferWeight.dataSync().forEach((w) => expect(w > 0 && w < 1).toBe(true));
    // identical inputs: z = h1(p) whatever the weights
    const same = unit.apply(p, p).z;
    const [, valueKernel] = unit.namedParams().find(([n]) => n === 'value/kernel')!;
    const [, valueBias] = unit.namedParams().find(([n]) => n === 'value/bias')!;
    const direct = tf.add(tf.matMul(p, valueKernel.variable), valueBias.variable);
    same.dataSync().forEach((v, i) => expect(v).toBeCloseTo(direct.dataSync()[i], 5));
    for (const [name, param] of unit.namedParams().filter(([n]) => n.endsWith('kernel'))) {
      expect(name).toBeTruthy();
      checkGradient(param.variable, () => tf.tidy(() => tf.sum(tf.square(unit.apply(p, q).z)) as tf.Scalar), [0, 5, 15]);
    }
    tf.dispose([p, q, z, transferWeight, same, direct]);
    unit.disposeParams();
  });
});

describe('SNR-Trans routing', () => {
  test('SubNetworkRouter: deterministic codes at inference, gradients of transforms and log α match finite differences', () => {
    const rng = new Rng(5);
    const router = new SubNetworkRouter(6, 2, { numLower: 3, lower: { dims: [4] }, upperDim: 3, initLogAlpha: 0.3 }, rng);
    const x = tf.tensor2d(Array.from({ length: 18 }, () => rng.normal()), [3, 6]);
    const ctx = { training: false, rng, deferred: [] };
    const z = router.codes(ctx).dataSync();
    // z = clip(σ(0.3)·1.2 − 0.1, 0, 1) for every connection
    z.forEach((v) => expect(v).toBeCloseTo((1 / (1 + Math.exp(-0.3))) * 1.2 - 0.1, 5));
    const train = router.codes({ training: true, rng: new Rng(1), deferred: [] }).dataSync();
    train.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
    const loss = () => tf.tidy(() => tf.add(tf.addN(router.apply(x, ctx).map((u, j) => tf.sum(tf.mul(u, j + 1)))), router.l0()) as tf.Scalar);
    const p = Object.fromEntries(router.namedParams().map(([n, q]) => [n, q.variable]));
    checkGradient(p.log_alpha, loss, [0, 1, 3, 5]);
    checkGradient(p['transform/1'], loss, [0, 7, 20]);
    tf.dispose(x);
    router.disposeParams();
  });

  test('SNR-Trans learns both tasks, save/load exact, flat tensors; a strong L0 penalty closes connections', async () => {
    const two = syntheticTwoTasks({ rows: 5000, seed: 4 });
    const base = { sparseFeatures: two.sparseFeatures, denseFeatures: two.denseFeatures, targets: two.taskNames, seed: 1, numLower: 3, lower: { dims: [32, 16] }, upperDim: 16, tower: { dims: [8] } };
    const m = new SNRTrans(base);
    m.compile({ lr: 3e-3 });
    await m.fit(two.train, { epochs: 3, batchSize: 128, verbose: 0 });
    const before = tf.memory().numTensors;
    await m.fit(two.train, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 5 });
    await m.evaluate(two.valid);
    expect(tf.memory().numTensors).toBe(before);
    const p = await m.predictTargets(two.test);
    for (const t of two.taskNames) expect(lift(auc(two.test[t] as Float32Array, p[t]), auc(two.test[t] as Float32Array, two.oracle.test[t]))).toBeGreaterThan(0.7);
    expect(m.routingCodes().flat().every((z) => z === 1)).toBe(true);
    const store = new MemoryStore();
    await m.save(store);
    const loaded = await BaseModel.load(store);
    const q = await loaded.predictTargets(two.test);
    for (const t of two.taskNames) expect(Array.from(q[t])).toEqual(Array.from(p[t]));
    m.dispose();
    loaded.dispose();
    const sparse = new SNRTrans({ ...base, l0Weight: 0.5, initLogAlpha: 0 });
    sparse.compile({ lr: 3e-2 });
    await sparse.fit(two.train, { epochs: 3, batchSize: 64, verbose: 0 });
    expect(sparse.routingCodes().flat().filter((z) => z === 0).length).toBeGreaterThan(0);
    sparse.dispose();
  });
});

describe('Cross-Stitch and AITM', () => {
  const two = syntheticTwoTasks({ rows: 5000, seed: 4 });
  const funnel = syntheticFunnel({ rows: 12000, seed: 4, ctrBias: -1.5 });

  test('Cross-Stitch learns both conflicting tasks (AUC lift over chance vs the oracle), save/load exact, flat tensors', async () => {
    const m = new CrossStitch({ sparseFeatures: two.sparseFeatures, denseFeatures: two.denseFeatures, targets: two.taskNames, seed: 1, column: { dims: [32, 16] }, tower: { dims: [8] } });
    m.compile({ lr: 3e-3 });
    await m.fit(two.train, { epochs: 3, batchSize: 128, verbose: 0 });
    const before = tf.memory().numTensors;
    await m.fit(two.train, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 5 });
    await m.evaluate(two.valid);
    expect(tf.memory().numTensors).toBe(before);
    const p = await m.predictTargets(two.test);
    for (const t of two.taskNames) {
      const got = lift(auc(two.test[t] as Float32Array, p[t]), auc(two.test[t] as Float32Array, two.oracle.test[t]));
      expect(got).toBeGreaterThan(0.7);
    }
    const store = new MemoryStore();
    await m.save(store);
    const loaded = await BaseModel.load(store);
    const q = await loaded.predictTargets(two.test);
    for (const t of two.taskNames) expect(Array.from(q[t])).toEqual(Array.from(p[t]));
    m.dispose();
    loaded.dispose();
  });

  test('AITM learns the funnel stages, its calibrator is part of the loss, save/load exact, flat tensors', async () => {
    const base = { sparseFeatures: funnel.sparseFeatures, denseFeatures: funnel.denseFeatures, targets: ['click', 'conversion'], seed: 1, encoder: { dims: [32, 16] }, tower: { dims: [8] } };
    const m = new AITM({ ...base, calibratorWeight: 2 });
    m.compile({ lr: 3e-3 });
    await m.fit(funnel.train, { epochs: 2, batchSize: 256, verbose: 0 });
    const before = tf.memory().numTensors;
    await m.fit(funnel.train, { epochs: 1, batchSize: 256, verbose: 0, maxSteps: 5 });
    await m.evaluate(funnel.valid);
    expect(tf.memory().numTensors).toBe(before);
    const p = await m.predictTargets(funnel.test);
    const y = funnel.test.conversion as Float32Array;
    expect(lift(auc(funnel.test.click as Float32Array, p.click), auc(funnel.test.click as Float32Array, funnel.oracle.test.pctr))).toBeGreaterThan(0.5);
    expect(lift(auc(y, p.conversion), auc(y, funnel.oracle.test.pctcvr))).toBeGreaterThan(0.4);
    // loss = logloss_click + logloss_conversion + λ mean(max(p_conv − p_click, 0))
    const r = await m.evaluate(funnel.test, { batchSize: 1 << 20 });
    let violation = 0;
    for (let i = 0; i < y.length; i++) violation += Math.max(p.conversion[i] - p.click[i], 0);
    expect(r.loss).toBeCloseTo(r.logloss_click + r.logloss_conversion + (2 * violation) / y.length, 3);
    const store = new MemoryStore();
    await m.save(store);
    const loaded = await BaseModel.load(store);
    const q = await loaded.predictTargets(funnel.test);
    expect(Array.from(q.conversion)).toEqual(Array.from(p.conversion));
    expect(() => new AITM({ ...base, targets: ['click'] })).toThrow('AITM: needs at least two targets');
    m.dispose();
    loaded.dispose();
  });
});
