import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { optimizers } from '../src/basic/catalog';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { MemoryStore } from '../src/basic/store';
import { Dense } from '../src/basic/layers/dense';
import { Mlp } from '../src/basic/layers/mlp';
import { Rng } from '../src/basic/random';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('embedding Adam options (issue 13)', () => {
  it("'adam' gives lazy embedding Adam unless lazy: 0 asks for the dense-equivalent (catch-up) one", () => {
    const def = optimizers.resolve('adam')({ lr: 1e-3, embeddingLr: 1e-3, params: {} });
    expect(def.sparse).toMatchObject({ kind: 'adam', lazy: true, epsilon: 1e-7 });
    def.dense.dispose();
    const dense = optimizers.resolve('adam')({ lr: 1e-3, embeddingLr: 1e-3, params: { lazy: 0, epsilon: 1e-8 } });
    expect(dense.sparse).toMatchObject({ lazy: false, epsilon: 1e-8 });
    dense.dense.dispose();
    expect(() => optimizers.resolve('adam')({ lr: 1e-3, embeddingLr: 1e-3, params: { lazy: 2 } })).toThrow(/lazy must be 0 .* or 1/);
  });
});

describe("PyTorch's fan-in initialisation of dense layers", () => {
  it("Dense 'fanIn' draws weights and biases from U(+-1/sqrt(fanIn)); Mlp validates init", () => {
    const d = new Dense(100, 50, new Rng(1), 'linear', true, 'fanIn');
    for (const v of [d.kernel, d.bias!]) {
      const max = Math.max(...Array.from(v.dataSync() as Float32Array, Math.abs));
      expect(max).toBeLessThanOrEqual(0.1);
      expect(max).toBeGreaterThan(0.09);
    }
    const g = new Dense(100, 50, new Rng(1));
    // Glorot: limit sqrt(6 / 150) = 0.2, zero bias
    expect(Math.max(...Array.from(g.kernel.dataSync() as Float32Array, Math.abs))).toBeGreaterThan(0.15);
    expect(Array.from(g.bias!.dataSync()).every((b) => b === 0)).toBe(true);
    expect(() => new Mlp(4, { dims: [2], init: 'he' as never }, new Rng(1), 'X')).toThrow(/X: mlp.init must be 'glorot' or 'fanIn'/);
    [d, g].forEach((m) => m.disposeParams());
  });
});

describe('DeepFM ablations (fm / firstOrder)', () => {
  const d = syntheticCtr({ rows: 600, seed: 3, vocabSizes: [20, 10, 5], denseCount: 1 });
  const make = (extra: object) => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [8] }, seed: 2, ...extra });

  it('deep-only has no first-order tables or bias and fewer parameters; flags are validated', () => {
    const full = make({});
    const deep = make({ fm: false, firstOrder: false });
    expect([...full.embeddings.tables.keys()].some((n) => n.endsWith('@linear'))).toBe(true);
    expect([...deep.embeddings.tables.keys()].some((n) => n.endsWith('@linear'))).toBe(false);
    expect(deep.parameterCount().total).toBeLessThan(full.parameterCount().total);
    expect(() => make({ fm: 'no' })).toThrow(/DeepFM: fm must be true or false/);
    full.dispose();
    deep.dispose();
  });

  it('the FM term changes the output (fm: false differs from the full model with the same seed)', async () => {
    const scores = async (extra: object) => {
      const m = make(extra);
      m.compile({ lr: 1e-2 });
      await m.fit(d.train, { epochs: 1, batchSize: 64, verbose: 0 });
      const p = await m.predict(d.test);
      m.dispose();
      return p;
    };
    const a = await scores({});
    const b = await scores({ fm: false });
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('a deep-only model saves and loads with its flags (identical scores)', async () => {
    const m = make({ fm: false, firstOrder: false });
    m.compile({ lr: 1e-2 });
    await m.fit(d.train, { epochs: 1, batchSize: 64, verbose: 0 });
    const store = new MemoryStore();
    await m.save(store);
    const again = await DeepFM.load<DeepFM>(store);
    expect(Array.from(await again.predict(d.test))).toEqual(Array.from(await m.predict(d.test)));
    expect([...again.embeddings.tables.keys()].some((n) => n.endsWith('@linear'))).toBe(false);
    m.dispose();
    again.dispose();
  });

  it('catch-up embedding Adam (lazy: 0) saves, loads and resumes exactly', async () => {
    const m = make({});
    m.compile({ lr: 1e-2, optimizerParams: { lazy: 0 } });
    await m.fit(d.train, { epochs: 1, batchSize: 64, verbose: 0 });
    const store = new MemoryStore();
    await m.save(store);
    const again = await DeepFM.load<DeepFM>(store);
    expect(again.embeddings.tables.get('c0')!.optimizerConfig.lazy).toBe(false);
    expect(Array.from(await again.predict(d.test))).toEqual(Array.from(await m.predict(d.test)));
    await m.fit(d.train, { epochs: 1, batchSize: 64, verbose: 0, maxSteps: 3 });
    await again.fit(d.train, { epochs: 1, batchSize: 64, verbose: 0, maxSteps: 3 });
    const a = await m.predict(d.test);
    const b = await again.predict(d.test);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    m.dispose();
    again.dispose();
  });
});
