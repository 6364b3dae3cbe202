import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { CrossLayer, CrossMixLayer, CrossNetwork } from '../src/basic/layers/cross-network';
import { Rng } from '../src/basic/random';
import { MemoryStore } from '../src/basic/store';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticCross3 } from '../src/data/synthetic/cross3';
import { DCNv2 } from '../src/models/ranking/dcnv2';
import { DeepFM } from '../src/models/ranking/deepfm';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

type Mat = Float64Array;
/** [n, k] x [k, m] in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Mat {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * m + j];
    out[i * m + j] = s;
  }
  return out;
}

/** Float64 reference of one full-rank cross layer: x0 ⊙ (x W + b) + x. */
function refFull(x0: Mat, x: Mat, W: ArrayLike<number>, b: ArrayLike<number>, B: number, d: number): Mat {
  const wx = matmul(x, W, B, d, d);
  return wx.map((v, i) => x0[i] * (v + b[i % d]) + x[i]);
}

/** Float64 reference of the low-rank mixture layer with tanh, C and softmax gates. */
function refMix(x0: Mat, x: Mat, p: Record<'v' | 'c' | 'c_mask' | 'u' | 'bias' | 'gate', ArrayLike<number>>, B: number, d: number, K: number, r: number): Mat {
  const kr = K * r;
  let h = matmul(x, p.v, B, d, kr).map(Math.tanh);
  const c = Float64Array.from(p.c, (v, i) => v * p.c_mask[i]);
  h = matmul(h, c, B, kr, kr).map(Math.tanh);
  const logits = matmul(x, p.gate, B, d, K);
  for (let i = 0; i < B; i++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[i * K + k]);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(logits[i * K + k] - mx);
    for (let k = 0; k < K; k++) {
      const g = Math.exp(logits[i * K + k] - mx) / z;
      for (let j = 0; j < r; j++) h[i * kr + k * r + j] *= g;
    }
  }
  const uh = matmul(h, p.u, B, kr, d);
  return uh.map((v, i) => x0[i] * (v + p.bias[i % d]) + x[i]);
}

function paramValues(m: CrossLayer | CrossMixLayer): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of m.namedParams()) out[name] = p.variable.dataSync() as Float32Array;
  return out;
}

describe('cross layers', () => {
  const B = 3;
  const d = 5;
  const rng = new Rng(4);
  const x0v = Float64Array.from({ length: B * d }, () => Math.fround(rng.normal()));
  const wOut = Float64Array.from({ length: B * d }, () => rng.normal());

  /** Two stacked layers (x1 = layer(x0, x0), x2 = layer(x0, x1)) so the second-layer path through x is covered too. */
  function check(make: () => CrossLayer | CrossMixLayer, ref: (x0: Mat, x: Mat, p: Record<string, ArrayLike<number>>) => Mat) {
    const layer = make();
    // non-zero biases so that their path is exercised
    tf.tidy(() => {
      const r = new Rng(8);
      for (const [name, p] of layer.namedParams()) {
        if (name === 'bias') p.variable.assign(tf.tensor1d(Float32Array.from({ length: p.variable.size }, () => 0.3 * r.normal())));
      }
    });
    const params = paramValues(layer);
    const refLoss = (x0: Mat, ps: Record<string, ArrayLike<number>>) => {
      const y = ref(x0, ref(x0, x0, ps), ps);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * wOut[i];
      return { s, y };
    };
    const trainable = layer.namedParams().filter(([, p]) => p.trainable);
    const { y, gx, gp } = tf.tidy(() => {
      const w = tf.tensor2d(Float32Array.from(wOut), [B, d]);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x as tf.Tensor2D, layer.apply(x as tf.Tensor2D, x as tf.Tensor2D)), w)) as tf.Scalar;
      const x = tf.tensor2d(Float32Array.from(x0v), [B, d]);
      const yv = layer.apply(x, layer.apply(x, x)).dataSync().slice();
      const dx = tf.grad(f)(x).dataSync().slice();
      const { grads } = tf.variableGrads(() => f(x), trainable.map(([, p]) => p.variable));
      const g: Record<string, Float32Array> = {};
      for (const [name, p] of trainable) g[name] = grads[p.variable.name].dataSync().slice() as Float32Array;
      return { y: yv, gx: dx, gp: g };
    });
    const ry = refLoss(x0v, params).y;
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - ry[i])).toBeLessThan(1e-5);
    const eps = 1e-5;
    const fd = (base: Mat, loss: (v: Mat) => number, analytic: ArrayLike<number>) => {
      for (let i = 0; i < base.length; i++) {
        const p = base.slice();
        p[i] += eps;
        const m = base.slice();
        m[i] -= eps;
        const num = (loss(p) - loss(m)) / (2 * eps);
        expect(Math.abs(analytic[i] - num)).toBeLessThan(1e-4 * Math.max(1, Math.abs(num)));
      }
    };
    fd(x0v, (v) => refLoss(v, params).s, gx);
    for (const [name] of trainable) {
      fd(Float64Array.from(params[name]), (v) => refLoss(x0v, { ...params, [name]: v }).s, gp[name]);
    }
    layer.disposeParams();
  }

  it('full-rank: forward matches float64 loops and gradients match finite differences', () => {
    check(() => new CrossLayer(d, new Rng(1)), (x0, x, p) => refFull(x0, x, p.kernel, p.bias, B, d));
  });

  it('low-rank mixture of experts: forward and gradients match', () => {
    check(
      () => new CrossMixLayer(d, { lowRank: 2, numExperts: 3 }, new Rng(2)),
      (x0, x, p) => refMix(x0, x, p as Record<'v' | 'c' | 'c_mask' | 'u' | 'bias' | 'gate', ArrayLike<number>>, B, d, 3, 2),
    );
  });

  it('keeps the expert transforms block-diagonal', () => {
    const layer = new CrossMixLayer(d, { lowRank: 2, numExperts: 3 }, new Rng(2));
    const g = tf.tidy(() => {
      const x = tf.randomNormal([4, d]) as tf.Tensor2D;
      const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x, x)) as tf.Scalar, [layer.c!]);
      return grads[layer.c!.name].dataSync().slice();
    });
    const kr = 6;
    for (let i = 0; i < kr; i++) for (let j = 0; j < kr; j++) if (Math.floor(i / 2) !== Math.floor(j / 2)) expect(Math.abs(g[i * kr + j])).toBe(0);
    layer.disposeParams();
  });

  it('validates its settings', () => {
    expect(() => new CrossNetwork(4, { crossType: 'bogus' as 'full' }, new Rng(1))).toThrow(/crossType/);
    expect(() => new CrossNetwork(4, { numLayers: -1 }, new Rng(1))).toThrow(/numLayers/);
    expect(() => new CrossMixLayer(4, { numExperts: 0 }, new Rng(1))).toThrow(/numExperts/);
  });
});

describe('DCNv2 on the third-order cross task', () => {
  // measured (wasm, 1 thread, this seed): DCNv2 0.820, DeepFM 0.702, oracle 0.880
  it('beats DeepFM by a clear margin in test AUC', async () => {
    const task = syntheticCross3({ rows: 30_000 });
    const fit = async (m: BaseModel) => {
      m.compile({ lr: 3e-3 });
      await m.fit(task.train, { epochs: 8, batchSize: 256, verbose: 0 });
      const { auc } = await m.evaluate(task.test);
      m.dispose();
      return auc;
    };
    const dcn = await fit(new DCNv2({ sparseFeatures: task.sparseFeatures, mlp: { dims: [64, 32] }, cross: { numLayers: 2 }, seed: 1 }));
    const deepfm = await fit(new DeepFM({ sparseFeatures: task.sparseFeatures, mlp: { dims: [64, 32] }, seed: 1 }));
    console.log(`cross3 test AUC: DCNv2 ${dcn.toFixed(4)}, DeepFM ${deepfm.toFixed(4)}, oracle ${task.oracle.test.oracleAuc.toFixed(4)}`);
    expect(dcn).toBeGreaterThan(0.75);
    expect(dcn - deepfm).toBeGreaterThan(0.05);
  });
});

describe('DCNv2 lifecycle', () => {
  const task = () => syntheticCross3({ rows: 3000, seed: 3 });

  it('trains in every structure / cross type, and save -> load -> predict is identical', async () => {
    const t = task();
    for (const [structure, crossType] of [['stacked', 'full'], ['parallel', 'mix']] as const) {
      const m = new DCNv2({ sparseFeatures: t.sparseFeatures, mlp: { dims: [16] }, cross: { numLayers: 2, crossType, lowRank: 4, numExperts: 2 }, structure, seed: 5 });
      m.compile({ lr: 3e-3 });
      const h = await m.fit(t.train, { epochs: 2, batchSize: 256, verbose: 0 });
      expect(Number.isFinite(h.epochs[1].loss)).toBe(true);
      const before = await m.predict(t.test);
      const store = new MemoryStore();
      await m.save(store);
      const loaded = await DCNv2.load<DCNv2>(store);
      const after = await loaded.predict(t.test);
      expect(Array.from(after)).toEqual(Array.from(before));
      expect(loaded.structure).toBe(structure);
      m.dispose();
      loaded.dispose();
    }
  });

  it('rejects bad structures', () => {
    const t = task();
    expect(() => new DCNv2({ sparseFeatures: t.sparseFeatures, structure: 'bogus' as 'stacked' })).toThrow(/structure/);
  });
});
