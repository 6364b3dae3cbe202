import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { Rng } from '../src/basic/random';
import { fmInteraction } from '../src/basic/layers/interaction';
import { biInteraction } from '../src/basic/layers/bi-interaction';
import { fieldPairs, pairwiseProducts } from '../src/basic/layers/pairwise';
import { fieldAwareInteraction } from '../src/basic/layers/field-aware-interaction';
import { AttentionalPairPooling } from '../src/basic/layers/attentional-pair-pooling';
import { ProductLayer } from '../src/basic/layers/product-layer';
import { Cin } from '../src/basic/layers/cin';
import { CrossLayerV1, CrossNetwork } from '../src/basic/layers/cross-network';
import { Module } from '../src/basic/layers/module';
import { crossKey } from '../src/basic/embedding/feature-cross';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const rng = new Rng(5);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());

/**
 * Central finite differences of L = sum(f(x) * w) against tfjs gradients, for the input and for every trainable
 * parameter of `module`. The layers are polynomials (or smooth) in each entry, so differences of step 1e-2 are
 * accurate to float32 rounding.
 */
function gradCheck(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, module?: Module): void {
  const outShape = tf.tidy(() => f(x).shape);
  const w = tf.tensor(randn(outShape.reduce((a, b) => a * b, 1)), outShape);
  const loss = (xx: tf.Tensor) => tf.sum(tf.mul(f(xx), w)) as tf.Scalar;
  const at = (xx: tf.Tensor) => tf.tidy(() => loss(xx).dataSync()[0]);
  const eps = 1e-2;
  const close = (analytic: number, numeric: number) => expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
  const gx = tf.tidy(() => tf.grad(loss)(x).dataSync().slice());
  const xv = x.dataSync();
  for (let i = 0; i < xv.length; i++) {
    const p = xv.slice();
    p[i] += eps;
    const m = xv.slice();
    m[i] -= eps;
    const xp = tf.tensor(p, x.shape);
    const xm = tf.tensor(m, x.shape);
    close(gx[i], (at(xp) - at(xm)) / (2 * eps));
    tf.dispose([xp, xm]);
  }
  for (const [name, param] of module?.namedParams() ?? []) {
    if (!param.trainable) continue;
    const v = param.variable;
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => loss(x), [v]);
      return grads[v.name].dataSync().slice();
    });
    const base = v.dataSync().slice();
    for (let i = 0; i < base.length; i++) {
      const set = (delta: number) => {
        const b = base.slice();
        b[i] += delta;
        v.assign(tf.tensor(b, v.shape));
        return at(x);
      };
      const numeric = (set(eps) - set(-eps)) / (2 * eps);
      if (Math.abs(g[i] - numeric) >= 2e-3 * Math.max(1, Math.abs(numeric))) throw new Error(`${name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
    }
    v.assign(tf.tensor(base, v.shape));
  }
  w.dispose();
}

const B = 2;
const F = 4;
const D = 3;
const fieldsValues = randn(B * F * D);
const fieldsTensor = () => tf.tensor3d(fieldsValues, [B, F, D]);
const e = (b: number, f: number, d: number) => fieldsValues[(b * F + f) * D + d];

describe('pairwise building blocks', () => {
  it('pairwiseProducts holds e_i ⊙ e_j for every pair i < j, in fieldPairs order', () => {
    const pairs = fieldPairs(F);
    expect(pairs.length).toBe(6);
    const out = tf.tidy(() => pairwiseProducts(fieldsTensor()).arraySync()) as number[][][];
    for (let b = 0; b < B; b++) pairs.forEach(([i, j], p) => {
      for (let d = 0; d < D; d++) expect(out[b][p][d]).toBeCloseTo(e(b, i, d) * e(b, j, d), 5);
    });
    const x = fieldsTensor();
    gradCheck((t) => pairwiseProducts(t as tf.Tensor3D), x);
    x.dispose();
    expect(() => pairwiseProducts(tf.zeros([2, 1, 3]))).toThrow(/at least two fields/);
  });

  it('biInteraction is the sum of pairwise products, and sums to the FM term; both have exact gradients', () => {
    const x = fieldsTensor();
    const bi = tf.tidy(() => biInteraction(x).arraySync());
    const fm = tf.tidy(() => fmInteraction(x).arraySync());
    const pairs = fieldPairs(F);
    for (let b = 0; b < B; b++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        const s = pairs.reduce((acc, [i, j]) => acc + e(b, i, d) * e(b, j, d), 0);
        expect(bi[b][d]).toBeCloseTo(s, 5);
        total += s;
      }
      expect(fm[b][0]).toBeCloseTo(total, 4);
    }
    gradCheck((t) => biInteraction(t as tf.Tensor3D), x);
    gradCheck((t) => fmInteraction(t as tf.Tensor3D), x);
    x.dispose();
  });
});

describe('field-aware interaction (FFM)', () => {
  it('sums <v_{i,f_j}, v_{j,f_i}> over pairs, with exact gradients', () => {
    const v = randn(B * F * F * D);
    const x = tf.tensor4d(v, [B, F, F, D]);
    const out = tf.tidy(() => fieldAwareInteraction(x).arraySync());
    const at = (b: number, i: number, f: number, d: number) => v[((b * F + i) * F + f) * D + d];
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (const [i, j] of fieldPairs(F)) for (let d = 0; d < D; d++) s += at(b, i, j, d) * at(b, j, i, d);
      expect(out[b][0]).toBeCloseTo(s, 4);
    }
    gradCheck((t) => fieldAwareInteraction(t as tf.Tensor4D), x);
    x.dispose();
  });
});

describe('AttentionalPairPooling (AFM)', () => {
  it('is p^T sum a_ij (e_i ⊙ e_j) with softmax weights, with exact gradients', () => {
    const layer = new AttentionalPairPooling(D, 5, new Rng(3));
    const x = fieldsTensor();
    const products = tf.tidy(() => pairwiseProducts(x));
    const a = tf.tidy(() => layer.weights(products).arraySync());
    a.forEach((row) => expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5));
    const p = layer.projection.dataSync();
    const prods = products.arraySync();
    const out = tf.tidy(() => layer.apply(x).arraySync());
    for (let b = 0; b < B; b++) {
      let s = 0;
      prods[b].forEach((prod, k) => prod.forEach((v, d) => (s += a[b][k] * v * p[d])));
      expect(out[b][0]).toBeCloseTo(s, 5);
    }
    gradCheck((t) => layer.apply(t as tf.Tensor3D), x, layer);
    tf.dispose([x, products]);
    layer.disposeParams();
    expect(() => new AttentionalPairPooling(D, 0, new Rng(1))).toThrow(/attentionDim must be a positive integer/);
  });
});

describe('ProductLayer (PNN)', () => {
  it('inner: p_ij = <e_i, e_j>; outer: p_ij = e_i^T W_ij e_j; both with exact gradients', () => {
    const x = fieldsTensor();
    const pairs = fieldPairs(F);
    const inner = new ProductLayer(F, D, 'inner', new Rng(1));
    const outer = new ProductLayer(F, D, 'outer', new Rng(2));
    const pi = tf.tidy(() => inner.apply(x).arraySync());
    const po = tf.tidy(() => outer.apply(x).arraySync());
    const W = outer.kernel!.dataSync();
    for (let b = 0; b < B; b++) pairs.forEach(([i, j], k) => {
      let dot = 0;
      let quad = 0;
      for (let r = 0; r < D; r++) {
        dot += e(b, i, r) * e(b, j, r);
        for (let c = 0; c < D; c++) quad += e(b, i, r) * W[(k * D + r) * D + c] * e(b, j, c);
      }
      expect(pi[b][k]).toBeCloseTo(dot, 5);
      expect(po[b][k]).toBeCloseTo(quad, 4);
    });
    gradCheck((t) => inner.apply(t as tf.Tensor3D), x, inner);
    gradCheck((t) => outer.apply(t as tf.Tensor3D), x, outer);
    x.dispose();
    outer.disposeParams();
    expect(() => new ProductLayer(F, D, 'kernel' as 'inner', new Rng(1))).toThrow(/kind must be 'inner' or 'outer'/);
  });
});

describe('Cin (xDeepFM)', () => {
  it('layer 1 maps are sum_ij W_ij (x0_i ⊙ x0_j) + b, pooled over D; split halves feed the next layer; exact gradients', () => {
    const x = fieldsTensor();
    const cin = new Cin(F, { layerSizes: [4, 3], splitHalf: true }, new Rng(4));
    expect(cin.outputWidth).toBe(2 + 3);
    const [[, k1], [, b1]] = cin.namedParams();
    const K = k1.variable.dataSync();
    const bias = Float32Array.from({ length: 4 }, (_, h) => 0.1 * (h + 1));
    b1.variable.assign(tf.tensor1d(bias));
    const out = tf.tidy(() => cin.apply(x).arraySync());
    // the second half of layer 1 (maps 2, 3) goes to the output directly
    for (let b = 0; b < B; b++) for (const h of [2, 3]) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        let map = bias[h];
        for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) map += K[(i * F + j) * 4 + h] * e(b, i, d) * e(b, j, d);
        s += map;
      }
      expect(out[b][h - 2]).toBeCloseTo(s, 4);
    }
    gradCheck((t) => cin.apply(t as tf.Tensor3D), x, cin);
    cin.disposeParams();
    const relu = new Cin(F, { layerSizes: [3, 2], splitHalf: false, activation: 'sigmoid' }, new Rng(5));
    expect(relu.outputWidth).toBe(5);
    gradCheck((t) => relu.apply(t as tf.Tensor3D), x, relu);
    relu.disposeParams();
    x.dispose();
    expect(() => new Cin(F, { layerSizes: [3, 2] }, new Rng(1))).toThrow(/layerSizes\[0\] must be even/);
    expect(() => new Cin(F, { layerSizes: [] }, new Rng(1))).toThrow(/layerSizes must be a non-empty array/);
  });
});

describe('CrossLayerV1 (DCN)', () => {
  it('is x0 (x^T w) + b + x, stacked with the same x0, with exact gradients', () => {
    const d = 5;
    const layer = new CrossLayerV1(d, new Rng(6));
    layer.bias.assign(tf.tensor1d(randn(d, 0.3)));
    const x0v = randn(B * d);
    const x0 = tf.tensor2d(x0v, [B, d]);
    const w = layer.weight.dataSync();
    const bv = layer.bias.dataSync();
    const y = tf.tidy(() => layer.apply(x0, x0).arraySync());
    for (let b = 0; b < B; b++) {
      const row = x0v.subarray(b * d, (b + 1) * d);
      const s = row.reduce((acc, v, i) => acc + v * w[i], 0);
      row.forEach((v, i) => expect(y[b][i]).toBeCloseTo(v * s + bv[i] + v, 5));
    }
    gradCheck((t) => layer.apply(t as tf.Tensor2D, layer.apply(t as tf.Tensor2D, t as tf.Tensor2D)), x0, layer);
    const net = new CrossNetwork(d, { numLayers: 2, crossType: 'vector' }, new Rng(1));
    expect(net.namedParams().map(([n]) => n)).toEqual(['0/weight', '0/bias', '1/weight', '1/bias']);
    tf.dispose(x0);
    layer.disposeParams();
    net.disposeParams();
  });
});

describe('crossKey (Wide&Deep cross features)', () => {
  it('is 0 when either id is missing, positive and order-dependent otherwise, and spreads pairs', () => {
    expect(crossKey(0, 5)).toBe(0);
    expect(crossKey(5, 0)).toBe(0);
    expect(crossKey(3, 5)).not.toBe(crossKey(5, 3));
    const seen = new Set<number>();
    let inRange = true;
    for (let a = 1; a <= 100; a++) for (let b = 1; b <= 100; b++) {
      const k = crossKey(a, b);
      inRange &&= Number.isInteger(k) && k > 0 && k < 2 ** 31;
      seen.add(k);
    }
    expect(inRange).toBe(true);
    expect(seen.size).toBe(10_000);
  });
});
