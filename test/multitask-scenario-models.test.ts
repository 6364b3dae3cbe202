import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { auc } from '../src/basic/metrics';
import { syntheticMultiScenario } from '../src/data/synthetic/multi-scenario';
import { ApgDense, APG, HMoE, PEPNet, ScenarioExpertMixture } from '../src/models/multitask';
import { stopGradient } from '../src/basic/layers/custom-op';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

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

const randn = (rng: Rng, shape: [number, number]) => tf.tensor2d(Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);

describe('scenario layers', () => {
  test('ApgDense: starts as the static factorised layer, generated core gradients match finite differences', () => {
    const rng = new Rng(1);
    const layer = new ApgDense(5, 3, 2, 4, rng, 'tanh');
    const x = randn(rng, [4, 5]);
    const z = randn(rng, [4, 2]);
    const p = Object.fromEntries(layer.namedParams().map(([n, q]) => [n, q.variable]));
    const y = layer.apply(x, z);
    const staticY = tf.tanh(tf.add(tf.matMul(tf.matMul(x, p.U), p.V), p.bias));
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(staticY.dataSync()[i], 5));
    // move the generator off zero, then check its gradient and U's
    p['generator/kernel'].assign(tf.mul(tf.randomNormal(p['generator/kernel'].shape, 0, 1, 'float32', 3), 0.3));
    const loss = () => tf.tidy(() => tf.sum(tf.square(layer.apply(x, z))) as tf.Scalar);
    checkGradient(p['generator/kernel'], loss, [0, 7, 20, 31]);
    checkGradient(p.U, loss, [0, 9, 19]);
    // rows with different conditions get different functions of the same x
    const z2 = tf.concat([z.slice([0, 0], [1, 2]), z.slice([0, 0], [1, 2])]) as tf.Tensor2D;
    const x2 = tf.concat([x.slice([0, 0], [1, 5]), x.slice([0, 0], [1, 5])]) as tf.Tensor2D;
    const same = layer.apply(x2, z2).dataSync();
    expect(same[0]).toBeCloseTo(same[3], 6);
    const diff = layer.apply(x2, tf.concat([z.slice([0, 0], [1, 2]), z.slice([1, 0], [1, 2])]) as tf.Tensor2D).dataSync();
    expect(Math.abs(diff[0] - diff[3])).toBeGreaterThan(1e-4);
    tf.dispose([x, z, y, staticY, z2, x2]);
    layer.disposeParams();
  });

  test('ScenarioExpertMixture: a row weighs only shared experts and its own scenario experts', () => {
    const rng = new Rng(2);
    const mix = new ScenarioExpertMixture(6, 2, 3, { sharedExperts: 1, scenarioExperts: 2, expert: { dims: [4] } }, rng);
    const x = randn(rng, [3, 6]);
    const mask = mix.mask([0, 1, 2]);
    const m = mask.arraySync() as number[][];
    // experts: [shared | s0 s0 | s1 s1 | s2 s2]
    expect(m[1].map((v) => v === 0)).toEqual([true, false, false, true, true, false, false]);
    // changing scenario 2's experts does not change rows of scenario 0 or 1
    const before = mix.apply(x, mask, { training: false, rng, deferred: [] }).map((t) => t.arraySync() as number[][]);
    const kernel = mix.namedParams().find(([n]) => n === 'experts/first/0/dense/kernel')![1].variable;
    const k = kernel.arraySync() as number[][];
    for (const row of k) for (let j = 4 * 5; j < 4 * 7; j++) row[j] += 1;
    kernel.assign(tf.tensor2d(k));
    const after = mix.apply(x, mask, { training: false, rng, deferred: [] }).map((t) => t.arraySync() as number[][]);
    expect(after[0][0]).toEqual(before[0][0]);
    expect(after[1][1]).toEqual(before[1][1]);
    expect(after[0][2]).not.toEqual(before[0][2]);
    expect(() => mix.mask([3])).toThrow('scenario id 3 outside [0, 3)');
    mix.disposeParams();
    tf.dispose([x, mask]);
  });

  test('stopGradient passes values and blocks gradients', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(x), x), x)))(tf.tensor1d([2, 3]));
    // d/dx (c·x + x) with c = x held constant = x + 1
    expect(Array.from(g.dataSync())).toEqual([3, 4]);
  });
});

describe('HMoE, PEPNet and APG on the multi-scenario task', () => {
  const d = syntheticMultiScenario({ rows: 5000, seed: 2 });
  const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed: 1, tower: { dims: [16] } };
  const scen = d.test.scenario as Int32Array;
  const makers: Array<[string, () => BaseModel]> = [
    ['HMoE', () => new HMoE({ ...base, scenarioFeature: 'scenario', expert: { dims: [32, 16] } })],
    ['PEPNet', () => new PEPNet({ ...base, domainFeatures: ['scenario'], personalizationFeatures: ['scenario'], tower: { dims: [32, 16] } })],
    ['APG', () => new APG({ ...base, conditionFeatures: ['scenario'], dims: [32, 16], rank: 16 })],
  ];

  test.each(makers)('%s learns every scenario (AUC lift vs the oracle), save/load exact, flat tensors', async (_name, make) => {
    const m = make();
    m.compile({ lr: 3e-3, scenarioColumn: 'scenario' });
    await m.fit(d.train, { epochs: 3, batchSize: 128, verbose: 0 });
    const before = tf.memory().numTensors;
    await m.fit(d.train, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 4 });
    const r = await m.evaluate(d.test);
    expect(tf.memory().numTensors).toBe(before);
    for (const t of d.taskNames) {
      for (const s of [1, 2, 3]) {
        const rows = Array.from({ length: scen.length }, (_, i) => i).filter((i) => scen[i] === s);
        const oracle = auc(Float32Array.from(rows, (i) => (d.test[t] as Float32Array)[i]), Float32Array.from(rows, (i) => d.oracle.test[t][i]));
        expect((r[`auc_${t}_scenario${s}`] - 0.5) / (oracle - 0.5)).toBeGreaterThan(0.6);
      }
    }
    const p = await m.predictTargets(d.test);
    const store = new MemoryStore();
    await m.save(store);
    const loaded = await BaseModel.load(store);
    const q = await loaded.predictTargets(d.test);
    for (const t of d.taskNames) expect(Array.from(q[t])).toEqual(Array.from(p[t]));
    m.dispose();
    loaded.dispose();
  });

  test('clear errors for the condition features', () => {
    expect(() => new HMoE({ ...base, scenarioFeature: 'domain' })).toThrow("HMoE: scenarioFeature 'domain' must name a declared sparse feature");
    expect(() => new APG({ ...base, conditionFeatures: [] })).toThrow("APG: conditionFeatures must name at least one sparse or dense feature");
    expect(() => new PEPNet({ ...base, domainFeatures: ['scenario'], personalizationFeatures: ['user'] })).toThrow("PEPNet: personalizationFeatures: 'user' is not a declared sparse or dense feature");
  });
});
