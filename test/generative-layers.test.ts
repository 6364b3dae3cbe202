import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { keyMajorApply, keyMajorScores, SasRecBlock, SequenceBatch, setBatchedMatMulMode } from '../src/basic/layers/attention';
import { HstuLayer } from '../src/basic/layers/hstu-layer';
import { bucketBias, positionBucket, timeBucket } from '../src/basic/layers/positional';
import { ForwardContext } from '../src/basic/layers/module';
import { Rng } from '../src/basic/random';
import { hitRateAt, ndcgAt, RankingAccumulator, reciprocalRank } from '../src/basic/sequence-metrics';
import { lengthBucketedBatches } from '../src/models/generative/batching';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  setBatchedMatMulMode('auto');
  await shutdownBackend();
});

const infer: ForwardContext = { training: false, rng: new Rng(0), deferred: [] };

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('key-major batched products', () => {
  it.each(['depthwise', 'matmul'] as const)('match tf.matMul in value and gradient (%s)', (mode) => {
    setBatchedMatMulMode(mode);
    const rng = new Rng(1);
    const [Lq, Lk, N, d, e] = [5, 7, 3, 4, 6];
    const q = tf.variable(tf.tensor3d(randn(rng, Lq * N * d), [Lq, N, d]));
    const k = tf.variable(tf.tensor3d(randn(rng, Lk * N * d), [Lk, N, d]));
    const v = tf.variable(tf.tensor3d(randn(rng, Lk * N * e), [Lk, N, e]));
    const w = tf.tensor3d(randn(rng, Lq * N * e), [Lq, N, e]);
    const fast = () => tf.sum(tf.mul(keyMajorApply(tf.sigmoid(keyMajorScores(q, k)) as tf.Tensor3D, v), w)) as tf.Scalar;
    const reference = () => {
      const [qb, kb, vb] = [q, k, v].map((t) => tf.transpose(t, [1, 0, 2]) as tf.Tensor3D);
      const a = tf.sigmoid(tf.matMul(qb, kb, false, true)); // [N, Lq, Lk]
      return tf.sum(tf.mul(tf.transpose(tf.matMul(a, vb), [1, 0, 2]), w)) as tf.Scalar;
    };
    const g1 = tf.variableGrads(fast, [q, k, v]);
    const g2 = tf.variableGrads(reference, [q, k, v]);
    expect(g1.value.dataSync()[0]).toBeCloseTo(g2.value.dataSync()[0], 4);
    for (const x of [q, k, v]) expect(maxAbsDiff(g1.grads[x.name].dataSync(), g2.grads[x.name].dataSync())).toBeLessThan(1e-4);
    tf.dispose([q, k, v, w, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    setBatchedMatMulMode('auto');
  });
});

describe('relative bias', () => {
  it('buckets positions exactly when near and logarithmically when far', () => {
    expect([0, 1, 5, 31].map((d) => positionBucket(d, 64, 1024))).toEqual([0, 1, 5, 31]);
    const far = [32, 64, 128, 512, 1024, 5000].map((d) => positionBucket(d, 64, 1024));
    for (let i = 1; i < far.length; i++) expect(far[i]).toBeGreaterThanOrEqual(far[i - 1]);
    expect(far[far.length - 1]).toBe(63);
    expect([0, 0.5, 1, 60, 86400, -86400, 1e12].map((g) => timeBucket(g, 32))).toEqual([0, 0, 1, 5, 16, 16, 31]);
  });

  it('bucketBias routes gradients to buckets (scatter-add)', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const buckets = Int32Array.from([0, 2, 2, 1, 2, 0]);
    const coeff = tf.tensor2d([1, 10, 100, 1000, 10000, 100000], [2, 3]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bucketBias(w as tf.Tensor1D, buckets, [2, 3]), coeff)) as tf.Scalar, [w]);
    expect(value.dataSync()[0]).toBe(1 + 30 + 300 + 2000 + 30000 + 100000);
    expect(Array.from(grads[w.name].dataSync())).toEqual([100001, 1000, 10110]);
    tf.dispose([w, coeff, value, grads[w.name]]);
  });
});

/** Host implementation of one HSTU layer, straight from the formulas, for one row. */
function hstuReference(layer: HstuLayer, x: Float32Array, L: number, len: number, C: number, D: number, ts: number[] | null, targetTime: number): Float32Array {
  const p = Object.fromEntries(layer.namedParams().map(([n, q]) => [n, q.variable.dataSync() as Float32Array]));
  const S = L + C;
  const H = layer.heads;
  const dv = layer.linearDim;
  const dk = layer.attentionDim;
  const ln = (v: Float32Array, g: Float32Array, b: Float32Array) => {
    const m = v.reduce((s, a) => s + a, 0) / v.length;
    const va = v.reduce((s, a) => s + (a - m) * (a - m), 0) / v.length;
    return v.map((a, i) => ((a - m) / Math.sqrt(va + 1e-6)) * g[i] + b[i]);
  };
  const silu = (z: number) => z / (1 + Math.exp(-z));
  const W1 = p['f1/kernel'];
  const width = 2 * H * dv + 2 * H * dk;
  const proj: Float32Array[] = [];
  for (let s = 0; s < S; s++) {
    const h = ln(x.subarray(s * D, (s + 1) * D), p['input_norm/gamma'], p['input_norm/beta']);
    const out = new Float32Array(width);
    for (let o = 0; o < width; o++) {
      let z = p['f1/bias'][o];
      for (let i = 0; i < D; i++) z += h[i] * W1[i * width + o];
      out[o] = silu(z);
    }
    proj.push(out);
  }
  const U = (s: number, h: number, i: number) => proj[s][h * dv + i];
  const V = (s: number, h: number, i: number) => proj[s][H * dv + h * dv + i];
  const Q = (s: number, h: number, i: number) => proj[s][2 * H * dv + h * dk + i];
  const K = (s: number, h: number, i: number) => proj[s][2 * H * dv + H * dk + h * dk + i];
  const pos = p['rab/position'];
  const time = p['rab/time'];
  const rab = (dist: number, gap: number | null) => pos[positionBucket(dist, layer.bias.positionBuckets, layer.bias.maxDistance)] + (gap === null ? 0 : time[timeBucket(gap, layer.bias.timeBuckets)]);
  const out = new Float32Array(S * D);
  for (let s = 0; s < S; s++) {
    const target = s >= L;
    const attended = new Float32Array(H * dv);
    for (let h = 0; h < H; h++) {
      const keys: number[] = [];
      if (target) {
        for (let j = 0; j < len; j++) keys.push(j);
        keys.push(s);
      } else for (let j = 0; j <= Math.min(s, len - 1); j++) keys.push(j);
      const n = keys.length;
      for (const j of keys) {
        let dot = 0;
        for (let i = 0; i < dk; i++) dot += Q(s, h, i) * K(j, h, i);
        const self = j === s && target;
        const dist = self ? 0 : target ? len - j : s - j;
        const gap = ts === null ? null : self ? 0 : (target || s + 1 >= len ? targetTime : ts[s + 1]) - ts[j];
        const a = silu(dot + rab(dist, gap)) / n;
        for (let i = 0; i < dv; i++) attended[h * dv + i] += a * V(j, h, i);
      }
    }
    const normed = ln(attended, p['output_norm/gamma'], p['output_norm/beta']);
    const u = normed.map((_, i) => U(s, Math.floor(i / dv), i % dv));
    const product = normed.map((a, i) => a * u[i]);
    // concat_ua: f2 reads [U, Norm(AV), U * Norm(AV)]
    const gated = layer.concatUA ? Float32Array.from([...u, ...normed, ...product]) : product;
    for (let o = 0; o < D; o++) {
      let z = p['f2/bias'][o] + x[s * D + o];
      for (let i = 0; i < gated.length; i++) z += gated[i] * p['f2/kernel'][i * D + o];
      out[s * D + o] = z;
    }
  }
  return out;
}

describe('HstuLayer', () => {
  const D = 8;
  const makeLayer = (heads: number, concatUA = false) => {
    const rng = new Rng(7);
    const layer = new HstuLayer(D, { heads, dropout: 0, positionBuckets: 8, maxDistance: 16, timeBuckets: 12, concatUA }, rng);
    // the relative bias starts at zero; give it values so the test exercises it
    for (const [name, p] of layer.namedParams()) if (name.startsWith('rab/')) p.variable.assign(tf.tensor(randn(rng, p.variable.size, 0.5), p.variable.shape));
    return layer;
  };
  /** Time-major [S, B, D] from per-row [S, D] arrays. */
  const timeMajor = (rows: Float32Array[], S: number) => {
    const B = rows.length;
    const out = new Float32Array(S * B * D);
    rows.forEach((r, b) => {
      for (let s = 0; s < S; s++) out.set(r.subarray(s * D, (s + 1) * D), (s * B + b) * D);
    });
    return tf.tensor3d(out, [S, B, D]);
  };
  const rowOf = (y: Float32Array, b: number, B: number, S: number) => {
    const out = new Float32Array(S * D);
    for (let s = 0; s < S; s++) out.set(y.subarray((s * B + b) * D, (s * B + b + 1) * D), s * D);
    return out;
  };

  it.each([
    [1, false],
    [2, false],
    [2, true],
  ])('matches a host implementation of the paper formulas, with targets and timestamps (%i heads, concatUA %p)', (heads, concatUA) => {
    const layer = makeLayer(heads, concatUA);
    const rng = new Rng(3);
    const L = 6;
    const C = 3;
    const lengths = Int32Array.from([6, 3, 1]);
    const B = lengths.length;
    const rows = lengths.map(() => 0).reduce<Float32Array[]>((acc) => [...acc, randn(rng, (L + C) * D)], []);
    const ts = new Float64Array(B * L);
    lengths.forEach((len, b) => {
      let t = 0;
      for (let i = 0; i < len; i++) ts[b * L + i] = t += Math.floor(Math.exp(8 * rng.next()));
    });
    const targetTimes = Float64Array.from(lengths, (len, b) => ts[b * L + len - 1] + 1000);
    const batch = new SequenceBatch({ length: L, lengths, targets: C, timestamps: ts, targetTimes });
    const y = tf.tidy(() => layer.apply(timeMajor(rows, L + C), batch, infer).dataSync() as Float32Array);
    rows.forEach((r, b) => {
      const len = lengths[b];
      const expected = hstuReference(layer, r, L, len, C, D, Array.from(ts.subarray(b * L, (b + 1) * L)), targetTimes[b]);
      const got = rowOf(y, b, B, L + C);
      // compare real prefix positions and targets (padded prefix positions are unspecified)
      for (let s = 0; s < L + C; s++) {
        if (s >= len && s < L) continue;
        expect(maxAbsDiff(got.subarray(s * D, (s + 1) * D), expected.subarray(s * D, (s + 1) * D))).toBeLessThan(2e-4);
      }
    });
    layer.disposeParams();
  });

  it('has parameter gradients that match central finite differences (targets, timestamps, padding)', () => {
    const layer = makeLayer(2);
    const rng = new Rng(13);
    const L = 5;
    const C = 2;
    const lengths = Int32Array.from([5, 3, 2]);
    const B = lengths.length;
    const ts = new Float64Array(B * L);
    lengths.forEach((len, b) => {
      let t = 0;
      for (let i = 0; i < len; i++) ts[b * L + i] = t += Math.floor(Math.exp(8 * rng.next()));
    });
    const batch = new SequenceBatch({ length: L, lengths, targets: C, timestamps: ts, targetTimes: Float64Array.from(lengths, (n, b) => ts[b * L + n - 1] + 500) });
    const x = tf.tensor3d(randn(rng, (L + C) * B * D), [L + C, B, D]);
    // a random linear read-out of the real positions and the targets (padded prefix outputs are unspecified)
    const coef = randn(rng, (L + C) * B * D);
    for (let s = 0; s < L; s++) for (let b = 0; b < B; b++) if (s >= lengths[b]) coef.fill(0, (s * B + b) * D, (s * B + b + 1) * D);
    const c = tf.tensor3d(coef, [L + C, B, D]);
    const f = () => tf.tidy(() => tf.sum(tf.mul(layer.apply(x, batch, infer), c)) as tf.Scalar);
    const params = layer.namedParams();
    const { value, grads } = tf.variableGrads(f, params.map(([, p]) => p.variable));
    for (const [name, p] of params) {
      const v = p.variable;
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let t = 0; t < Math.min(6, base.length); t++) {
        const i = (t * 7919) % base.length;
        const at = (delta: number) => {
          const w = base.slice();
          w[i] += delta;
          v.assign(tf.tensor(w, v.shape));
          const y = f();
          const out = y.dataSync()[0];
          y.dispose();
          return out;
        };
        // small step: the bias of distance 0 moves every diagonal score at once and the loss is strongly curved in it
        const eps = 2e-3;
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        // float32 loss ~10 -> rounding error of the difference quotient ~3e-3
        expect({ name, i, ok: Math.abs(fd - g[i]) < 8e-3 + 3e-3 * Math.abs(fd) }).toEqual({ name, i, ok: true });
      }
    }
    tf.dispose([x, c, value, ...Object.values(grads)]);
    layer.disposeParams();
  });

  it('reads the gap to the request time at each query: the next token in training, the target time at the end', () => {
    const layer = makeLayer(1);
    const rng = new Rng(21);
    const L = 4;
    const row = randn(rng, L * D);
    const ts = Float64Array.from([0, 30, 60, 90]);
    const run = (timestamps: Float64Array, targetTimes: Float64Array | null) =>
      tf.tidy(() => layer.apply(timeMajor([row], L), new SequenceBatch({ length: L, lengths: Int32Array.from([L]), timestamps, targetTimes }), infer).dataSync() as Float32Array);
    const soon = run(ts, Float64Array.from([95]));
    const later = run(ts, Float64Array.from([95 + 86_400]));
    // only the last query's request time moved
    expect(maxAbsDiff(soon.subarray(0, (L - 1) * D), later.subarray(0, (L - 1) * D))).toBe(0);
    expect(maxAbsDiff(soon.subarray((L - 1) * D), later.subarray((L - 1) * D))).toBeGreaterThan(1e-3);
    // moving token 2 later changes the output of query 1 (whose request is token 2) but not query 0
    const shifted = run(Float64Array.from([0, 30, 5000, 5030]), Float64Array.from([5035]));
    expect(maxAbsDiff(soon.subarray(0, D), shifted.subarray(0, D))).toBe(0);
    expect(maxAbsDiff(soon.subarray(D, 2 * D), shifted.subarray(D, 2 * D))).toBeGreaterThan(1e-3);
    layer.disposeParams();
  });

  it('ignores padding: values in padded slots and extra padding change no real output', () => {
    const layer = makeLayer(2);
    const rng = new Rng(5);
    const L = 5;
    const len = 3;
    const C = 2;
    const base = randn(rng, (L + C) * D);
    const noisy = Float32Array.from(base);
    for (let s = len; s < L; s++) for (let i = 0; i < D; i++) noisy[s * D + i] = 100 * rng.normal();
    const run = (row: Float32Array, Lr: number) => {
      const batch = new SequenceBatch({ length: Lr, lengths: Int32Array.from([len]), targets: C });
      return tf.tidy(() => layer.apply(timeMajor([row], Lr + C), batch, infer).dataSync() as Float32Array);
    };
    const a = run(base, L);
    const b = run(noisy, L);
    // the same row with 4 more padded slots
    const longer = new Float32Array((L + 4 + C) * D);
    longer.set(base.subarray(0, L * D));
    longer.set(base.subarray(L * D), (L + 4) * D);
    const c = run(longer, L + 4);
    const real = (y: Float32Array, Lr: number) => [...y.subarray(0, len * D), ...y.subarray(Lr * D)];
    expect(maxAbsDiff(real(a, L), real(b, L))).toBe(0);
    expect(maxAbsDiff(real(a, L), real(c, L + 4))).toBeLessThan(1e-5);
    layer.disposeParams();
  });

  it('scores each target independently of the other targets', () => {
    const layer = makeLayer(1);
    const rng = new Rng(9);
    const L = 4;
    const C = 5;
    const row = randn(rng, (L + C) * D);
    const other = Float32Array.from(row);
    for (let i = (L + 1) * D; i < (L + C) * D; i++) other[i] = rng.normal(); // change targets 1..4, keep target 0
    const batch = new SequenceBatch({ length: L, lengths: Int32Array.from([L]), targets: C });
    const run = (r: Float32Array) => tf.tidy(() => layer.apply(timeMajor([r], L + C), batch, infer).dataSync() as Float32Array);
    const a = run(row);
    const b = run(other);
    expect(maxAbsDiff(a.subarray(L * D, (L + 1) * D), b.subarray(L * D, (L + 1) * D))).toBe(0);
    layer.disposeParams();
  });
});

describe('SasRecBlock', () => {
  it('is causal and ignores padding', () => {
    const D = 8;
    const block = new SasRecBlock(D, { heads: 2, dropout: 0 }, new Rng(2));
    const rng = new Rng(4);
    const L = 6;
    const len = 4;
    const x = randn(rng, L * D);
    const changed = Float32Array.from(x);
    for (let i = 3 * D; i < L * D; i++) changed[i] = 50 * rng.normal(); // position 3 (real) and the padding
    const run = (v: Float32Array, Lr = L) => tf.tidy(() => block.apply(tf.tensor3d(v.subarray(0, Lr * D), [Lr, 1, D]), new SequenceBatch({ length: Lr, lengths: Int32Array.from([len]) }), infer).dataSync() as Float32Array);
    const a = run(x);
    const b = run(changed);
    // positions 0..2 precede every change
    expect(maxAbsDiff(a.subarray(0, 3 * D), b.subarray(0, 3 * D))).toBe(0);
    // dropping the padding altogether changes no real position
    expect(maxAbsDiff(a.subarray(0, len * D), run(x, len).subarray(0, len * D))).toBeLessThan(1e-5);
    block.disposeParams();
  });

  it("'reference' layout: y = LN2(LN1(x) + SA(q = LN1(x), k = v = x)), out = y + FFN(y), no output projection", () => {
    const D = 8;
    const H = 2;
    const dh = D / H;
    const L = 5;
    const lengths = Int32Array.from([5, 3]);
    const B = lengths.length;
    const block = new SasRecBlock(D, { heads: H, dropout: 0.3, layout: 'reference' }, new Rng(3));
    const p = new Map(block.namedParams().map(([name, param]) => [name, param.variable]));
    expect([...p.keys()].sort()).toEqual(['ffn1/bias', 'ffn1/kernel', 'ffn2/bias', 'ffn2/kernel', 'key_value/bias', 'key_value/kernel', 'ln1/beta', 'ln1/gamma', 'ln2/beta', 'ln2/gamma', 'query/bias', 'query/kernel']);
    // biases and norm parameters away from their zero / one initial values, so the formula must place each of them
    const rng = new Rng(6);
    for (const [name, v] of p) if (!name.endsWith('kernel')) v.assign(tf.tensor(randn(rng, v.size, 0.5), v.shape).add(name.endsWith('gamma') ? 1 : 0));
    const x = randn(rng, L * B * D);
    const got = tf.tidy(() => block.apply(tf.tensor3d(x, [L, B, D]), new SequenceBatch({ length: L, lengths }), infer).arraySync());
    const P = (name: string) => p.get(name)!;
    const norm = (t: tf.Tensor, which: string) => {
      const { mean, variance } = tf.moments(t, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-6))), P(`${which}/gamma`)), P(`${which}/beta`));
    };
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      const want = tf.tidy(() => {
        const X = tf.tensor3d(x, [L, B, D]).slice([0, b, 0], [n, 1, D]).reshape([n, D]) as tf.Tensor2D;
        const h = norm(X, 'ln1') as tf.Tensor2D;
        const q = tf.add(tf.matMul(h, P('query/kernel') as tf.Tensor2D), P('query/bias'));
        const [k, v] = tf.split(tf.add(tf.matMul(X, P('key_value/kernel') as tf.Tensor2D), P('key_value/bias')), 2, 1);
        const causal = tf.linalg.bandPart(tf.ones([n, n]), -1, 0);
        const heads = Array.from({ length: H }, (_, j) => {
          const part = (t: tf.Tensor) => t.slice([0, j * dh], [n, dh]) as tf.Tensor2D;
          const scores = tf.add(tf.div(tf.matMul(part(q), part(k), false, true), Math.sqrt(dh)), tf.mul(tf.sub(1, causal), -1e9));
          return tf.matMul(tf.softmax(scores), part(v));
        });
        const y = norm(tf.add(h, tf.concat(heads, 1)), 'ln2') as tf.Tensor2D;
        const hidden = tf.relu(tf.add(tf.matMul(y, P('ffn1/kernel') as tf.Tensor2D), P('ffn1/bias'))) as tf.Tensor2D;
        return tf.add(y, tf.add(tf.matMul(hidden, P('ffn2/kernel') as tf.Tensor2D), P('ffn2/bias'))).arraySync() as number[][];
      });
      for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) expect(Math.abs(got[i][b][d] - want[i][d])).toBeLessThan(1e-4);
    }
    block.disposeParams();
  });

  it('names a bad layout', () => {
    expect(() => new SasRecBlock(8, { layout: 'post-norm' as 'reference' }, new Rng(1))).toThrow(/layout must be 'pre-norm' or 'reference' \(got 'post-norm'\)/);
  });
});

describe('ranking metrics and batching', () => {
  it('computes HR, NDCG and MRR with ties split evenly', () => {
    expect(hitRateAt(0, 0, 10)).toBe(1);
    expect(hitRateAt(10, 0, 10)).toBe(0);
    expect(hitRateAt(8, 3, 10)).toBeCloseTo(0.5);
    expect(ndcgAt(0, 0, 10)).toBe(1);
    expect(ndcgAt(1, 0, 10)).toBeCloseTo(1 / Math.log2(3));
    expect(ndcgAt(0, 1, 10)).toBeCloseTo((1 + 1 / Math.log2(3)) / 2);
    expect(reciprocalRank(3, 0)).toBe(0.25);
    expect(reciprocalRank(0, 1999)).toBeCloseTo(Array.from({ length: 2000 }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b) / 2000, 6);
    const acc = new RankingAccumulator([1, 5]);
    acc.add(0, 0);
    acc.add(3, 0);
    expect(acc.result()).toEqual({ 'hr@1': 0.5, 'ndcg@1': 0.5, 'hr@5': 1, 'ndcg@5': (1 + 1 / Math.log2(5)) / 2, mrr: (1 + 0.25) / 2 });
  });

  it('buckets rows of similar length, covers every row once and is seeded', () => {
    const rng = new Rng(1);
    const lengths = Int32Array.from({ length: 1000 }, () => 1 + rng.int(200));
    const run = (seed: number) => [...lengthBucketedBatches(lengths, 100, { shuffle: true, rng: new Rng(seed) })].map((b) => Array.from(b));
    const batches = run(3);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const spread = batches.map((b) => Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i])));
    expect(Math.max(...spread)).toBeLessThan(40);
    expect(run(3)).toEqual(batches);
    expect(run(4)).not.toEqual(batches);
  });
});
