import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { ForwardContext } from '../src/basic/layers/module';
import { Rng } from '../src/basic/random';
import { MultiHeadSelfAttention, TransformerBlock } from '../src/basic/layers/self-attention';
import { InteractingLayer } from '../src/basic/layers/interacting-layer';
import { SenetLayer } from '../src/basic/layers/senet';
import { BilinearInteraction, BILINEAR_TYPES } from '../src/basic/layers/bilinear-interaction';
import { dotInteraction } from '../src/basic/layers/dot-interaction';
import { MaskBlock } from '../src/basic/layers/mask-block';
import { EulerInteractionLayer } from '../src/basic/layers/euler-interaction';
import { maxGradientError } from './helpers/grad-check';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const ctx = (): ForwardContext => ({ training: false, rng: new Rng(1), deferred: [] });
const randn = (shape: number[], seed: number, scale = 1) => {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape);
};
const TOL = 2e-3;

describe('self-attention layers: gradients match finite differences', () => {
  it('MultiHeadSelfAttention with padding and causal masks, and a query subset', () => {
    const att = new MultiHeadSelfAttention(6, { heads: 2, headDim: 3 }, new Rng(1));
    const x = randn([4, 3, 6], 2);
    const keyMask = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1], [4, 3]);
    expect(maxGradientError(att, [x], ([t]) => att.apply(t as tf.Tensor3D, ctx(), { keyMask, causal: true }))).toBeLessThan(TOL);
    expect(maxGradientError(att, [x], ([t]) => att.apply(t as tf.Tensor3D, ctx(), { keyMask, lastQueries: 2 }))).toBeLessThan(TOL);
    att.disposeParams();
  });

  it('MultiHeadSelfAttention gives padded keys exactly zero weight', () => {
    const att = new MultiHeadSelfAttention(4, { heads: 1 }, new Rng(1));
    tf.tidy(() => {
      const x = randn([3, 2, 4], 3) as tf.Tensor3D;
      const mask = tf.tensor2d([1, 1, 1, 1, 0, 1], [3, 2]);
      // change the padded token (t = 2, row 0): outputs of real tokens in row 0 must not move
      const y = x.arraySync() as number[][][];
      y[2][0] = [9, -9, 9, -9];
      const a = att.apply(x, ctx(), { keyMask: mask }).arraySync();
      const b = att.apply(tf.tensor3d(y), ctx(), { keyMask: mask }).arraySync();
      for (const t of [0, 1]) for (let d = 0; d < 4; d++) expect(b[t][0][d]).toBeCloseTo(a[t][0][d], 6);
    });
    att.disposeParams();
  });

  it('TransformerBlock (post-LN, FFN)', () => {
    const block = new TransformerBlock(4, { heads: 2, ffnDim: 5 }, new Rng(4));
    const x = randn([3, 2, 4], 5);
    expect(maxGradientError(block, [x], ([t]) => block.apply(t as tf.Tensor3D, ctx(), { causal: true }))).toBeLessThan(TOL);
    block.disposeParams();
  });

  it('InteractingLayer (AutoInt)', () => {
    const layer = new InteractingLayer(4, { heads: 2, headDim: 3 }, new Rng(6));
    const x = randn([3, 5, 4], 7);
    expect(maxGradientError(layer, [x], ([t]) => layer.apply(t as tf.Tensor3D, ctx()), { eps: 1e-3 })).toBeLessThan(5e-3); // ReLU kinks: a small step
    expect(() => new InteractingLayer(5, { heads: 2 }, new Rng(1))).toThrow(/headDim/);
    layer.disposeParams();
  });
});

describe('FiBiNET layers', () => {
  it('SenetLayer: gradients match finite differences, and fields are rescaled by one weight each', () => {
    const layer = new SenetLayer(4, 2, new Rng(8));
    const x = randn([3, 4, 5], 9);
    expect(maxGradientError(layer, [x], ([t]) => layer.apply(t as tf.Tensor3D), { eps: 1e-3 })).toBeLessThan(5e-3); // ReLU kinks: a small step
    tf.tidy(() => {
      const y = layer.apply(x as tf.Tensor3D).arraySync();
      const xs = (x as tf.Tensor3D).arraySync();
      for (let b = 0; b < 3; b++) for (let f = 0; f < 4; f++) {
        const w = y[b][f][0] / xs[b][f][0];
        for (let d = 1; d < 5; d++) expect(y[b][f][d]).toBeCloseTo(w * xs[b][f][d], 5);
      }
    });
    expect(() => new SenetLayer(4, 0.5, new Rng(1))).toThrow(/reductionRatio/);
    layer.disposeParams();
  });

  it.each(BILINEAR_TYPES)('BilinearInteraction %s: forward matches (e_i W) ⊙ e_j, gradients match finite differences', (type) => {
    const F = 4;
    const D = 3;
    const layer = new BilinearInteraction(F, D, type, new Rng(10));
    const x = randn([2, F, D], 11);
    expect(maxGradientError(layer, [x], ([t]) => layer.apply(t as tf.Tensor3D))).toBeLessThan(TOL);
    const W = layer.namedParams()[0][1].variable.arraySync() as number[][][];
    const e = (x as tf.Tensor3D).arraySync();
    const y = tf.tidy(() => layer.apply(x as tf.Tensor3D).arraySync());
    let p = 0;
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++, p++) {
      const w = W[type === 'field_all' ? 0 : type === 'field_each' ? i : p];
      for (let b = 0; b < 2; b++) for (let d = 0; d < D; d++) {
        let v = 0;
        for (let k = 0; k < D; k++) v += e[b][i][k] * w[k][d];
        expect(y[b][p * D + d]).toBeCloseTo(v * e[b][j][d], 5);
      }
    }
    layer.disposeParams();
  });

  it('BilinearInteraction rejects an unknown type and a single field', () => {
    expect(() => new BilinearInteraction(3, 2, 'pairwise' as never, new Rng(1))).toThrow(/bilinearType must be one of field_all, field_each, field_interaction/);
    expect(() => new BilinearInteraction(1, 2, 'field_all', new Rng(1))).toThrow(/at least 2 fields/);
  });
});

describe('DLRM, MaskNet and EulerNet layers', () => {
  it('dotInteraction: pair dots in upper-triangle order, gradients match finite differences', () => {
    const x = randn([2, 4, 3], 12);
    const e = (x as tf.Tensor3D).arraySync();
    const y = tf.tidy(() => dotInteraction(x as tf.Tensor3D).arraySync());
    const ys = tf.tidy(() => dotInteraction(x as tf.Tensor3D, true).arraySync());
    expect(y[0].length).toBe(6);
    expect(ys[0].length).toBe(10);
    const dot = (b: number, i: number, j: number) => e[b][i].reduce((s, v, d) => s + v * e[b][j][d], 0);
    for (let b = 0; b < 2; b++) {
      let p = 0;
      for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(y[b][p++]).toBeCloseTo(dot(b, i, j), 5);
      expect(ys[b][0]).toBeCloseTo(dot(b, 0, 0), 5);
    }
    expect(maxGradientError(null, [x], ([t]) => dotInteraction(t as tf.Tensor3D, true))).toBeLessThan(TOL);
  });

  it('MaskBlock: gradients match finite differences', () => {
    const block = new MaskBlock(6, 4, 5, 1.5, new Rng(13));
    const x = randn([3, 6], 14);
    const v = randn([3, 4], 15);
    expect(maxGradientError(block, [x, v], ([a, b]) => block.apply(a as tf.Tensor2D, b as tf.Tensor2D), { eps: 1e-3 })).toBeLessThan(5e-3); // ReLU kinks: a small step
    expect(() => new MaskBlock(6, 4, 0, 1, new Rng(1))).toThrow(/blockDim/);
    block.disposeParams();
  });

  it('EulerInteractionLayer: gradients match finite differences; without the implicit branch it multiplies fields with the learned exponents', () => {
    const layer = new EulerInteractionLayer(3, 2, 2, { implicit: true }, new Rng(16));
    const re = randn([2, 3, 2], 17);
    const im = randn([2, 3, 2], 18);
    expect(maxGradientError(layer, [re, im], ([r, p]) => {
      const z = layer.apply({ re: r as tf.Tensor3D, im: p as tf.Tensor3D });
      return tf.concat([z.re, z.im], 2);
    }, { eps: 1e-3 })).toBeLessThan(5e-3); // ReLU kinks: a small step
    layer.disposeParams();

    // explicit branch alone: output k = prod_j z_j^{alpha_jk} * exp(delta) (complex power), checked for integer exponents
    const explicit = new EulerInteractionLayer(2, 1, 1, { implicit: false }, new Rng(1));
    const [orders, biasL, biasT] = explicit.namedParams().map(([, p]) => p.variable);
    orders.assign(tf.tensor2d([[2], [1]]));
    biasL.assign(tf.zeros([1, 1]));
    biasT.assign(tf.zeros([1, 1]));
    tf.tidy(() => {
      // z_1 = 1 + 2i, z_2 = 3 - i: z_1^2 z_2 = (-3 + 4i)(3 - i) = -5 + 15i
      const z = explicit.apply({ re: tf.tensor3d([[[1], [3]]]), im: tf.tensor3d([[[2], [-1]]]) });
      expect(z.re.dataSync()[0]).toBeCloseTo(-5, 3);
      expect(z.im.dataSync()[0]).toBeCloseTo(15, 3);
    });
    explicit.disposeParams();
  });
});
