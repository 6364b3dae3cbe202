import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend, setLeanEngine } from '../src/basic/backend';
import { FusedAdagradOptimizer, FusedAdamOptimizer, FusedSGDOptimizer } from '../src/basic/optim/fused-dense-optimizers';
import { DeepFM } from '../src/models/ranking/deepfm';
import { SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { MemoryStore } from '../src/basic/store';

function seeded(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return m;
}

const SHAPES = [[17, 9], [9], [1]];
const make = (kind: 'adam') => KINDS[kind].fused();
const KINDS = {
  adam: { fused: () => new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-7), stock: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7) },
  adagrad: { fused: () => new FusedAdagradOptimizer(0.05, 0.1), stock: () => tf.train.adagrad(0.05, 0.1) },
  sgd: { fused: () => new FusedSGDOptimizer(0.05), stock: () => tf.train.sgd(0.05) },
};

/** Run `steps` updates with deterministic gradients on fresh variables; returns weights and optimizer state. */
async function train(opt: tf.Optimizer, steps: number, tag: string, from?: { name: string; tensor: tf.Tensor }[]): Promise<{ weights: Float32Array[]; state: { name: string; values: Float32Array }[] }> {
  const vars = tf.tidy(() => SHAPES.map((s, i) => tf.variable(tf.tensor(seeded(s, i), s), true, `${tag}_${i}`)));
  if (from) await opt.setWeights(from);
  for (let t = 0; t < steps; t++) {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => (grads[v.name] = tf.tensor(seeded(v.shape, 100 * t + i + 7), v.shape)));
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const weights = vars.map((v) => v.dataSync().slice() as Float32Array);
  const saved = await opt.getWeights();
  const state = saved.map((w) => ({ name: w.name, values: w.tensor.dataSync().slice() as Float32Array }));
  saved[0].tensor.dispose(); // the iteration count is a fresh scalar, the rest are the optimizer's own slots
  tf.dispose(vars);
  return { weights, state };
}

describe('fused dense optimizer updates (issue #12)', () => {
  beforeAll(async () => {
    await initBackend({ log: false });
  });
  afterAll(async () => {
    setLeanEngine(true);
    await shutdownBackend();
  });

  for (const [kind, make] of Object.entries(KINDS)) {
    it(`${kind}: the fused update (one kernel per parameter; adam: one for all) follows tfjs' own update and state (wasm and cpu), without leaks`, async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        const stockOpt = make.stock();
        const stock = await train(stockOpt, 6, `${kind}_${backend}_stock`);
        const fusedOpt = make.fused();
        await train(fusedOpt, 1, `${kind}_${backend}_warm`);
        const n0 = tf.memory().numTensors;
        const fused = await train(fusedOpt, 5, `${kind}_${backend}_fused`);
        // the one-step warm-up created the slots; further steps allocate nothing that stays
        expect(tf.memory().numTensors).toBe(n0);
        const fresh = await train(make.fused(), 6, `${kind}_${backend}_fresh`);
        expect(fused.weights.length).toBe(SHAPES.length);
        fresh.weights.forEach((w, i) => expect(maxRelErr(w, stock.weights[i])).toBeLessThan(1e-5));
        // the same named state in the same order: what a checkpoint stores
        expect(fresh.state.map((s) => s.name.replace(/_fresh/, ''))).toEqual(stock.state.map((s) => s.name.replace(/_stock/, '')));
        fresh.state.forEach((s, i) => expect(maxRelErr(s.values, stock.state[i].values)).toBeLessThan(1e-5));
        stockOpt.dispose();
        fusedOpt.dispose();
      }
      await tf.setBackend('wasm');
    });
  }

  it('adam: every parameter is updated by one kernel call per step', async () => {
    await tf.setBackend('wasm');
    const opt = make('adam');
    const vars = tf.tidy(() => SHAPES.map((sh, i) => tf.variable(tf.tensor(seeded(sh, i), sh), true, `adam_once_${i}`)));
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => (grads[v.name] = tf.tensor(seeded(v.shape, i + 3), v.shape)));
    opt.applyGradients(grads); // creates the slots
    const info = await tf.profile(() => opt.applyGradients(grads));
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'NextrecAdamUpdateMany')).toHaveLength(1);
    expect(names).not.toContain('NextrecAdamUpdate');
    tf.dispose([...vars, ...Object.values(grads)]);
    opt.dispose();
  });

  it('adam state written by tfjs own optimizer loads into the fused one and the update continues identically', async () => {
    await tf.setBackend('wasm');
    const first = tf.train.adam(0.01);
    const part = await train(first, 3, 'resume_a');
    const saved = (await first.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    const stockCont = tf.train.adam(0.01);
    const fusedCont = new FusedAdamOptimizer(0.01, 0.9, 0.999);
    // both continue from the same weights and state
    const cont = async (opt: tf.Optimizer, tag: string) => {
      const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(part.weights[i], s), true, `${tag}_${i}`));
      await opt.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
      for (let t = 3; t < 6; t++) {
        const grads: tf.NamedTensorMap = {};
        vars.forEach((v, i) => (grads[v.name] = tf.tensor(seeded(v.shape, 100 * t + i + 7), v.shape)));
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      const out = vars.map((v) => v.dataSync().slice());
      tf.dispose(vars);
      return out;
    };
    const a = await cont(stockCont, 'resume_b');
    const b = await cont(fusedCont, 'resume_c');
    b.forEach((w, i) => expect(maxRelErr(w, a[i])).toBeLessThan(1e-5));
    tf.dispose(saved.map((s) => s.tensor));
    [first, stockCont, fusedCont].forEach((o) => o.dispose());
  });

  it('a DeepFM checkpoint saved with the stock engine loads and resumes under the lean engine (same predictions, same next steps)', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(2);
    const features = [new SparseFeature({ name: 'u', vocabSize: 50, embeddingDim: 4 }), new SparseFeature({ name: 'i', vocabSize: 40, embeddingDim: 4 })];
    const n = 512;
    const data = { u: Int32Array.from({ length: n }, () => 1 + Math.floor(rng.next() * 49)), i: Int32Array.from({ length: n }, () => 1 + Math.floor(rng.next() * 39)), label: Float32Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0)) };
    const make = () => {
      const m = new DeepFM({ sparseFeatures: features, mlp: { dims: [16, 8], batchNorm: true }, seed: 4 });
      m.compile({ optimizer: 'adam', lr: 0.01 });
      return m;
    };
    setLeanEngine(false);
    const model = make();
    await model.fit(data, { epochs: 1, batchSize: 128, verbose: 0 });
    const store = new MemoryStore();
    await model.save(store);
    const before = await model.predict(data);
    await model.fit(data, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 3 });
    const stockNext = await model.predict(data);
    setLeanEngine(true);
    const loaded = await DeepFM.load<DeepFM>(store);
    expect(maxRelErr(await loaded.predict(data), before)).toBeLessThan(1e-6);
    // the same next steps (optimizer state, step counter and random stream restored) under the lean engine
    await loaded.fit(data, { epochs: 1, batchSize: 128, verbose: 0, maxSteps: 3 });
    expect(maxRelErr(await loaded.predict(data), stockNext)).toBeLessThan(1e-5);
    // and the lean engine's own checkpoint round-trips
    const store2 = new MemoryStore();
    await loaded.save(store2);
    const again = await DeepFM.load<DeepFM>(store2);
    expect(Array.from(await again.predict(data))).toEqual(Array.from(await loaded.predict(data)));
    [model, loaded, again].forEach((m) => m.dispose());
  });
});
