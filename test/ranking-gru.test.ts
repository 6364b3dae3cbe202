import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { GRU, GruMode } from '../src/basic/layers/gru';
import { Rng } from '../src/basic/random';

/** Plain float64 loops of the documented recurrence, reading the layer's weights. */
function referenceGru(
  mode: GruMode,
  w: { W: Float32Array; U: Float32Array; b: Float32Array; c: Float32Array },
  x: Float64Array,
  mask: Float64Array,
  att: Float64Array | null,
  B: number,
  L: number,
  D: number,
  H: number,
): { seq: Float64Array; last: Float64Array } {
  const G = mode === 'agru' ? 2 : 3;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const seq = new Float64Array(B * L * H);
  const last = new Float64Array(B * H);
  for (let i = 0; i < B; i++) {
    let h = new Float64Array(H);
    for (let t = 0; t < L; t++) {
      const xg = new Float64Array(G * H);
      const hg = new Float64Array(G * H);
      for (let j = 0; j < G * H; j++) {
        let a = w.b[j];
        for (let d = 0; d < D; d++) a += x[(i * L + t) * D + d] * w.W[d * G * H + j];
        xg[j] = a;
        let c = w.c[j];
        for (let k = 0; k < H; k++) c += h[k] * w.U[k * G * H + j];
        hg[j] = c;
      }
      const next = new Float64Array(H);
      const m = mask[i * L + t];
      const a = att ? att[i * L + t] : 1;
      for (let k = 0; k < H; k++) {
        let gate: number;
        let r: number;
        if (G === 3) {
          const u = sig(xg[k] + hg[k]);
          r = sig(xg[H + k] + hg[H + k]);
          gate = m * (mode === 'augru' ? a : 1) * u;
        } else {
          r = sig(xg[k] + hg[k]);
          gate = m * a;
        }
        const n = Math.tanh(xg[(G - 1) * H + k] + r * hg[(G - 1) * H + k]);
        next[k] = (1 - gate) * h[k] + gate * n;
      }
      h = next;
      seq.set(h, (i * L + t) * H);
    }
    last.set(h, i * H);
  }
  return { seq, last };
}

function weightsOf(g: GRU) {
  return {
    W: g.kernel.dataSync() as Float32Array,
    U: g.recurrentKernel.dataSync() as Float32Array,
    b: g.bias.dataSync() as Float32Array,
    c: g.recurrentBias.dataSync() as Float32Array,
  };
}

const B = 3;
const L = 5;
const D = 4;
const H = 3;
const lengths = [5, 3, 1];

function inputs(seed: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: B * L * D }, () => Math.fround(rng.normal()));
  const mask = new Float64Array(B * L);
  for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++) mask[i * L + t] = 1;
  // masked softmax-like scores in (0, 1)
  const att = Float64Array.from({ length: B * L }, () => Math.fround(0.1 + 0.8 * rng.next()));
  return { x, mask, att };
}

const MODES: GruMode[] = ['gru', 'augru', 'agru'];

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe.each(MODES)('GRU mode %s', (mode) => {
  let gru: GRU;
  beforeAll(() => {
    gru = new GRU(D, H, new Rng(3), mode);
    // non-zero biases so that every weight block is exercised
    tf.tidy(() => {
      const r = new Rng(9);
      gru.bias.assign(tf.tensor1d(Float32Array.from({ length: gru.bias.size }, () => 0.3 * r.normal())));
      gru.recurrentBias.assign(tf.tensor1d(Float32Array.from({ length: gru.recurrentBias.size }, () => 0.3 * r.normal())));
    });
  });
  afterAll(() => gru.disposeParams());
  const { x, mask, att } = inputs(1);
  const attIn = mode === 'gru' ? null : att;

  it('matches plain loops to 1e-5 (every step and the last real step)', () => {
    const ref = referenceGru(mode, weightsOf(gru), x, mask, attIn, B, L, D, H);
    const { seq, last } = tf.tidy(() => {
      const out = gru.apply(tf.tensor3d(Float32Array.from(x), [B, L, D]), tf.tensor2d(Float32Array.from(mask), [B, L]), {
        attention: attIn ? tf.tensor2d(Float32Array.from(attIn), [B, L]) : undefined,
        returnSequence: true,
      });
      return { seq: out.sequence!.dataSync().slice(), last: out.last.dataSync().slice() };
    });
    for (let i = 0; i < seq.length; i++) expect(Math.abs(seq[i] - ref.seq[i])).toBeLessThan(1e-5);
    for (let i = 0; i < last.length; i++) expect(Math.abs(last[i] - ref.last[i])).toBeLessThan(1e-5);
    // the last state is the state at each row's true last step
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < H; k++) expect(last[i * H + k]).toBe(seq[(i * L + lengths[i] - 1) * H + k]);
    }
  });

  it('ignores appended padding, whatever the padded inputs hold', () => {
    const P = 4;
    const rng = new Rng(5);
    const { last: base } = tf.tidy(() => {
      const o = gru.apply(tf.tensor3d(Float32Array.from(x), [B, L, D]), tf.tensor2d(Float32Array.from(mask), [B, L]), {
        attention: attIn ? tf.tensor2d(Float32Array.from(attIn), [B, L]) : undefined,
      });
      return { last: o.last.dataSync().slice() };
    });
    const x2 = new Float32Array(B * (L + P) * D);
    const m2 = new Float32Array(B * (L + P));
    const a2 = new Float32Array(B * (L + P));
    for (let i = 0; i < B; i++) {
      for (let t = 0; t < L + P; t++) {
        for (let d = 0; d < D; d++) x2[(i * (L + P) + t) * D + d] = t < L ? x[(i * L + t) * D + d] : 5 * rng.normal();
        m2[i * (L + P) + t] = t < L ? mask[i * L + t] : 0;
        a2[i * (L + P) + t] = t < L ? att[i * L + t] : rng.next();
      }
    }
    const padded = tf.tidy(() =>
      gru
        .apply(tf.tensor3d(x2, [B, L + P, D]), tf.tensor2d(m2, [B, L + P]), { attention: attIn ? tf.tensor2d(a2, [B, L + P]) : undefined })
        .last.dataSync()
        .slice(),
    );
    expect(Array.from(padded)).toEqual(Array.from(base));
  });

  it('backpropagates like finite differences of the reference', () => {
    const rng = new Rng(7);
    const R = Float64Array.from({ length: B * L * H }, () => rng.normal());
    const R2 = Float64Array.from({ length: B * H }, () => rng.normal());
    const w = weightsOf(gru);
    const refLoss = (xv: Float64Array, av: Float64Array | null, U: ArrayLike<number>, extra: Partial<Record<'W' | 'c', ArrayLike<number>>> = {}) => {
      const o = referenceGru(mode, { ...w, U: U as Float32Array, ...(extra as Record<string, Float32Array>) }, xv, mask, av, B, L, D, H);
      let s = 0;
      for (let i = 0; i < o.seq.length; i++) s += o.seq[i] * R[i];
      for (let i = 0; i < o.last.length; i++) s += o.last[i] * R2[i];
      return s;
    };
    const { gx, ga, gU, gW, gc } = tf.tidy(() => {
      const xt = tf.tensor3d(Float32Array.from(x), [B, L, D]);
      const at = tf.tensor2d(Float32Array.from(att), [B, L]);
      const mt = tf.tensor2d(Float32Array.from(mask), [B, L]);
      const f = (xx: tf.Tensor, aa: tf.Tensor) => {
        const o = gru.apply(xx as tf.Tensor3D, mt, { attention: attIn ? (aa as tf.Tensor2D) : undefined, returnSequence: true });
        return tf.add(tf.sum(tf.mul(o.sequence!, tf.tensor3d(Float32Array.from(R), [B, L, H]))), tf.sum(tf.mul(o.last, tf.tensor2d(Float32Array.from(R2), [B, H])))) as tf.Scalar;
      };
      const [dx, da] = attIn ? tf.grads(f)([xt, at]) : [tf.grad((xx: tf.Tensor) => f(xx, at))(xt), tf.zeros([B, L])];
      const { grads } = tf.variableGrads(() => f(xt, at), [gru.recurrentKernel, gru.kernel, gru.recurrentBias]);
      const g = (v: tf.Variable) => grads[v.name].dataSync().slice();
      return { gx: dx.dataSync().slice(), ga: da.dataSync().slice(), gU: g(gru.recurrentKernel), gW: g(gru.kernel), gc: g(gru.recurrentBias) };
    });
    const eps = 1e-5;
    const check = (analytic: ArrayLike<number>, base: Float64Array, loss: (v: Float64Array) => number) => {
      for (let i = 0; i < base.length; i++) {
        const p = base.slice();
        p[i] += eps;
        const m = base.slice();
        m[i] -= eps;
        const fd = (loss(p) - loss(m)) / (2 * eps);
        expect(Math.abs(analytic[i] - fd)).toBeLessThan(2e-4 * Math.max(1, Math.abs(fd)));
      }
    };
    check(gx, x, (v) => refLoss(v, attIn, w.U));
    if (attIn) {
      // padded steps must get no gradient through the attention either
      check(ga, att, (v) => refLoss(x, v, w.U));
    }
    check(gU, Float64Array.from(w.U), (v) => refLoss(x, attIn, v));
    check(gW, Float64Array.from(w.W), (v) => refLoss(x, attIn, w.U, { W: v }));
    check(gc, Float64Array.from(w.c), (v) => refLoss(x, attIn, w.U, { c: v }));
  });
});

describe('GRU bookkeeping', () => {
  it('leaks no tensors in forward or backward', () => {
    const gru = new GRU(D, H, new Rng(1), 'augru');
    const { x, mask, att } = inputs(2);
    const xt = tf.tensor3d(Float32Array.from(x), [B, L, D]);
    const mt = tf.tensor2d(Float32Array.from(mask), [B, L]);
    const at = tf.tensor2d(Float32Array.from(att), [B, L]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(gru.apply(xt, mt, { attention: at, returnSequence: true }).sequence!) as tf.Scalar);
      value.dispose();
      tf.dispose(grads);
    }
    const o = gru.apply(xt, mt, { attention: at });
    o.last.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xt, mt, at]);
    gru.disposeParams();
  });

  it('validates its inputs', () => {
    const gru = new GRU(D, H, new Rng(1), 'augru');
    tf.tidy(() => {
      expect(() => gru.apply(tf.zeros([B, L, D]) as tf.Tensor3D, tf.ones([B, L]) as tf.Tensor2D)).toThrow(/needs attention/);
      expect(() => gru.apply(tf.zeros([B, L, D + 1]) as tf.Tensor3D, tf.ones([B, L]) as tf.Tensor2D)).toThrow(/input width/);
    });
    expect(() => new GRU(0, 3, new Rng(1))).toThrow(/inputDim/);
    gru.disposeParams();
  });
});
