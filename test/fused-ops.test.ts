import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SasRecBlock, SequenceBatch } from '../src/basic/layers/attention';
import { dropoutMultiplier } from '../src/basic/layers/dropout';
import { fusedAttention } from '../src/basic/layers/fused-attention';
import { setFusedOps } from '../src/basic/layers/fused-mode';
import { HstuLayer } from '../src/basic/layers/hstu-layer';
import { LayerNorm } from '../src/basic/layers/layer-norm';
import { sampledSoftmaxRows } from '../src/loss/listwise';
import { BaseModel } from '../src/basic/model/base-model';
import { SequenceFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';
import { l2Normalize } from '../src/models/generative/common';
import { ForwardContext } from '../src/basic/layers/module';
import { Rng } from '../src/basic/random';
import { maxGradientError } from './helpers/grad-check';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  setFusedOps('fused');
  await shutdownBackend();
});

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const [L, B, H, d, e] = [6, 3, 2, 4, 5];
const N = B * H;
// a full row, a padded row and a row with a single item
const batch = new SequenceBatch({ length: L, lengths: Int32Array.from([6, 3, 1]) });

/**
 * The same attention written independently of the fused op: per (row, head) products with tf.matMul in [N, L, d]
 * layout and every step a separate differentiable tfjs op.
 */
function reference(nonlinearity: 'silu' | 'softmax', q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, scale: number, bias: tf.Tensor | null, dropout: tf.Tensor | null): tf.Tensor {
  const [qb, kb, vb] = [q, k, v].map((t) => tf.transpose(t, [1, 0, 2]) as tf.Tensor3D); // [N, L, *]
  // [N, Lq, Lk] -> key-major [Lk, B, H, Lq]
  let z: tf.Tensor = tf.transpose(tf.matMul(qb, kb, false, true).reshape([B, H, L, L]), [3, 0, 1, 2]);
  z = tf.mul(z, scale);
  if (bias) z = tf.add(z, bias);
  let w: tf.Tensor;
  if (nonlinearity === 'silu') {
    w = tf.mul(tf.mul(z, tf.sigmoid(z)), mask);
  } else {
    w = tf.softmax(tf.transpose(tf.add(z, mask), [1, 2, 3, 0])); // keys last
    w = tf.transpose(w, [3, 0, 1, 2]);
  }
  if (dropout) w = tf.mul(w, dropout);
  const a = tf.transpose(w.reshape([L, N, L]), [1, 2, 0]) as tf.Tensor3D; // [N, Lq, Lk]
  return tf.transpose(tf.matMul(a, vb), [1, 0, 2]); // [Lq, N, e]
}

interface Case {
  name: string;
  nonlinearity: 'silu' | 'softmax';
  mask: () => tf.Tensor;
  scale: number;
  biasShape: number[] | null;
  dropout: boolean;
}

const cases: Case[] = [
  { name: 'silu, position bias', nonlinearity: 'silu', mask: () => batch.prefixWeights(), scale: 1, biasShape: [L, 1, 1, L], dropout: false },
  { name: 'silu, per-row bias, scaled', nonlinearity: 'silu', mask: () => batch.prefixWeights(), scale: 0.7, biasShape: [L, B, 1, L], dropout: false },
  { name: 'softmax, dropout', nonlinearity: 'softmax', mask: () => batch.prefixSoftmaxMask(), scale: 1 / Math.sqrt(d), biasShape: null, dropout: true },
  { name: 'softmax, bias', nonlinearity: 'softmax', mask: () => batch.prefixSoftmaxMask(), scale: 1 / Math.sqrt(d), biasShape: [L, 1, 1, L], dropout: false },
];

describe('fusedAttention', () => {
  it.each(cases.map((c) => [c.name, c] as const))('equals the composed ops in value and gradient (%s)', (_name, c) => {
    const rng = new Rng(7);
    const q = tf.variable(randn(rng, [L, N, d])) as tf.Variable<tf.Rank.R3>;
    const k = tf.variable(randn(rng, [L, N, d])) as tf.Variable<tf.Rank.R3>;
    const v = tf.variable(randn(rng, [L, N, e])) as tf.Variable<tf.Rank.R3>;
    const bias = c.biasShape ? tf.variable(randn(rng, c.biasShape, 0.5)) : null;
    const dropout = c.dropout ? dropoutMultiplier([L, B, H, L], 0.3, 11) : null;
    const mask = c.mask();
    const R = randn(rng, [L, N, e]);
    const vars = bias ? [q, k, v, bias] : [q, k, v];
    const fused = () => tf.sum(tf.mul(fusedAttention(q, k, v, { nonlinearity: c.nonlinearity, heads: H, mask, scale: c.scale, bias, dropout }), R)) as tf.Scalar;
    const composed = () => tf.sum(tf.mul(reference(c.nonlinearity, q, k, v, mask, c.scale, bias, dropout), R)) as tf.Scalar;
    const out1 = tf.tidy(() => fusedAttention(q, k, v, { nonlinearity: c.nonlinearity, heads: H, mask, scale: c.scale, bias, dropout }).dataSync());
    const out2 = tf.tidy(() => reference(c.nonlinearity, q, k, v, mask, c.scale, bias, dropout).dataSync());
    expect(maxAbsDiff(out1, out2)).toBeLessThan(1e-5);
    if (dropout) expect(Array.from(dropout.dataSync()).some((x) => x === 0)).toBe(true);
    const g1 = tf.variableGrads(fused, vars);
    const g2 = tf.variableGrads(composed, vars);
    for (const x of vars) {
      const a = g1.grads[x.name].dataSync();
      const b = g2.grads[x.name].dataSync();
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
      expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(1e-3); // the gradient is not trivially zero
    }
    tf.dispose([q, k, v, R, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    tf.dispose([bias, dropout].filter((t): t is tf.Tensor => t !== null));
  });

  it.each(cases.map((c) => [c.name, c] as const))('matches finite differences (%s)', (_name, c) => {
    const rng = new Rng(9);
    const inputs = [randn(rng, [L, N, d]), randn(rng, [L, N, d]), randn(rng, [L, N, e])];
    if (c.biasShape) inputs.push(randn(rng, c.biasShape, 0.5));
    const dropout = c.dropout ? dropoutMultiplier([L, B, H, L], 0.3, 5) : null;
    const mask = c.mask();
    const err = maxGradientError(null, inputs, ([q, k, v, bias]) =>
      fusedAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, { nonlinearity: c.nonlinearity, heads: H, mask, scale: c.scale, bias: bias ?? null, dropout }),
    );
    expect(err).toBeLessThan(2e-2);
    tf.dispose(inputs);
    if (dropout) dropout.dispose();
  });

  it('SequenceBatch prefix masks follow their definition (key j visible to query i iff j <= i and j < length)', () => {
    const Lm = 7;
    const lengths = Int32Array.from([0, 1, 4, 7, 3]);
    const sb = new SequenceBatch({ length: Lm, lengths });
    const weights = sb.prefixWeights().dataSync();
    const mask = sb.prefixSoftmaxMask().dataSync();
    const Bm = lengths.length;
    for (let j = 0; j < Lm; j++) {
      for (let b = 0; b < Bm; b++) {
        for (let i = 0; i < Lm; i++) {
          const visible = j <= i && j < lengths[b];
          const at = (j * Bm + b) * Lm + i;
          expect(weights[at]).toBe(visible ? Math.fround(1 / Math.min(i + 1, lengths[b])) : 0);
          expect(mask[at]).toBe(visible ? 0 : Math.fround(-1e9));
        }
      }
    }
  });

  it('keeps padded keys out of every output and rejects mismatched shapes', () => {
    const rng = new Rng(3);
    const [q, k, v] = [randn(rng, [L, N, d]), randn(rng, [L, N, d]), randn(rng, [L, N, e])] as tf.Tensor3D[];
    const vPadChanged = tf.tidy(() => {
      // row 1 (n = 2, 3) is padded from position 3: change its padded values
      const vals = v.arraySync() as number[][][];
      for (let j = 3; j < L; j++) for (const n of [2, 3]) vals[j][n] = vals[j][n].map(() => 100 * rng.normal());
      return tf.tensor3d(vals);
    });
    for (const [nonlinearity, mask] of [
      ['silu', batch.prefixWeights()],
      ['softmax', batch.prefixSoftmaxMask()],
    ] as const) {
      const a = tf.tidy(() => fusedAttention(q, k, v, { nonlinearity, heads: H, mask }).dataSync());
      const b = tf.tidy(() => fusedAttention(q, k, vPadChanged, { nonlinearity, heads: H, mask }).dataSync());
      expect(maxAbsDiff(a, b)).toBe(0);
    }
    expect(() => fusedAttention(q, k, v, { nonlinearity: 'silu', heads: 4, mask: batch.prefixWeights() })).toThrow(/heads must be a positive divisor of N = 6/);
    expect(() => fusedAttention(q, tf.zeros([L, N, d + 1]) as tf.Tensor3D, v, { nonlinearity: 'silu', heads: H, mask: batch.prefixWeights() })).toThrow(/q \[6,6,4\] and k \[6,6,5\] do not match/);
    tf.dispose([q, k, v, vPadChanged]);
  });
});

describe('HSTU and SASRec layers', () => {
  const D = 8;
  const seqBatch = new SequenceBatch({ length: L, lengths: Int32Array.from([6, 2, 4]) });

  /** Output and parameter gradients of one training-mode application (fixed dropout seed). */
  function run(layer: HstuLayer | SasRecBlock, x: tf.Tensor3D, mode: 'fused' | 'composed'): { out: Float32Array; grads: Array<Float32Array | null> } {
    setFusedOps(mode);
    const params = layer.namedParams().map(([, p]) => p.variable);
    const R = tf.tidy(() => tf.randomNormal(x.shape, 0, 1, 'float32', 3));
    const ctx: ForwardContext = { training: true, rng: new Rng(21), deferred: [] };
    const f = () => tf.sum(tf.mul(layer.apply(x, seqBatch, ctx), R)) as tf.Scalar;
    const out = tf.tidy(() => layer.apply(x, seqBatch, { training: true, rng: new Rng(21), deferred: [] }).dataSync() as Float32Array);
    const { value, grads } = tf.variableGrads(f, params);
    const g = params.map((p) => (grads[p.name] ? (grads[p.name].dataSync() as Float32Array) : null));
    tf.dispose([value, R, ...Object.values(grads)]);
    setFusedOps('fused');
    return { out, grads: g };
  }

  it.each(['HstuLayer', 'SasRecBlock'] as const)('%s gives the same outputs and parameter gradients fused and composed, without leaking tensors', (which) => {
    const rng = new Rng(5);
    const layer = which === 'HstuLayer' ? new HstuLayer(D, { heads: 2, dropout: 0.2 }, new Rng(1)) : new SasRecBlock(D, { heads: 2, dropout: 0.3 }, new Rng(1));
    if (layer instanceof HstuLayer) {
      // the relative bias starts at zero; give it values so that its gradient path is exercised
      for (const [name, p] of layer.namedParams()) if (name.startsWith('rab/')) {
        const t = tf.randomNormal(p.variable.shape, 0, 0.5, 'float32', 4);
        p.variable.assign(t);
        t.dispose();
      }
    }
    const x = randn(rng, [L, B, D]) as tf.Tensor3D;
    const composed = run(layer, x, 'composed');
    const before = tf.memory().numTensors;
    const fused = run(layer, x, 'fused');
    run(layer, x, 'fused');
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(fused.out, composed.out)).toBeLessThan(1e-5);
    expect(composed.grads.filter((g) => g !== null).length).toBeGreaterThan(8);
    composed.grads.forEach((g, i) => {
      expect(fused.grads[i] === null).toBe(g === null);
      if (g) expect(maxAbsDiff(fused.grads[i]!, g)).toBeLessThan(1e-5);
    });
    x.dispose();
    layer.disposeParams();
  });
});

describe('LayerNorm op', () => {
  it.each([true, false])('matches the composed formula and finite differences (affine %s)', (affine) => {
    const rng = new Rng(13);
    const D = 7;
    const ln = new LayerNorm(D, { affine, epsilon: 1e-5 });
    if (affine) {
      ln.gamma!.assign(tf.tensor1d(Float32Array.from({ length: D }, () => 1 + 0.3 * rng.normal())));
      ln.beta!.assign(tf.tensor1d(Float32Array.from({ length: D }, () => 0.3 * rng.normal())));
    }
    const x = tf.variable(randn(rng, [4, 3, D], 2));
    const R = randn(rng, [4, 3, D]);
    const composed = () => {
      const c = tf.sub(x, tf.mean(x, -1, true));
      const y = tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5)));
      return tf.sum(tf.mul(affine ? tf.add(tf.mul(y, ln.gamma!), ln.beta!) : y, R)) as tf.Scalar;
    };
    const fused = () => tf.sum(tf.mul(ln.apply(x), R)) as tf.Scalar;
    const vars = [x, ...(affine ? [ln.gamma!, ln.beta!] : [])];
    const g1 = tf.variableGrads(fused, vars);
    const g2 = tf.variableGrads(composed, vars);
    expect(Math.abs(g1.value.dataSync()[0] - g2.value.dataSync()[0])).toBeLessThan(1e-5);
    for (const v of vars) expect(maxAbsDiff(g1.grads[v.name].dataSync(), g2.grads[v.name].dataSync())).toBeLessThan(1e-5);
    expect(maxGradientError(ln, [x], ([t]) => ln.apply(t))).toBeLessThan(2e-2);
    tf.dispose([x, R, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    ln.disposeParams();
  });
});

describe('sampledSoftmaxRows', () => {
  it('equals log(exp(pos) + sum exp(neg)) - pos in value and gradient, with masked hits and large logits', () => {
    const rng = new Rng(17);
    const [P, Nn] = [5, 6];
    const negVals = Float32Array.from({ length: P * Nn }, () => 8 * rng.normal());
    negVals[3] = -1e4; // a sampled negative equal to the target
    const pos = tf.variable(tf.tensor1d(Float32Array.from({ length: P }, () => 8 * rng.normal())));
    const neg = tf.variable(tf.tensor2d(negVals, [P, Nn]));
    const w = tf.tensor1d(Float32Array.from({ length: P }, () => rng.normal()));
    const reference = () => {
      const logits = tf.concat([pos.reshape([P, 1]), neg], 1);
      const m = tf.max(logits, 1, true);
      const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, m)), 1)), m.reshape([P]));
      return tf.sum(tf.mul(tf.sub(lse, pos), w)) as tf.Scalar;
    };
    const fused = () => tf.sum(tf.mul(sampledSoftmaxRows(pos as tf.Tensor1D, neg as tf.Tensor2D), w)) as tf.Scalar;
    const g1 = tf.variableGrads(fused, [pos, neg]);
    const g2 = tf.variableGrads(reference, [pos, neg]);
    expect(Math.abs(g1.value.dataSync()[0] - g2.value.dataSync()[0])).toBeLessThan(1e-4);
    for (const v of [pos, neg]) expect(maxAbsDiff(g1.grads[v.name].dataSync(), g2.grads[v.name].dataSync())).toBeLessThan(1e-5);
    expect(Math.abs(g1.grads[neg.name].dataSync()[3])).toBe(0);
    expect(maxGradientError(null, [pos.clone(), tf.mul(neg, 0.1)], ([p, n]) => sampledSoftmaxRows(p as tf.Tensor1D, n as tf.Tensor2D))).toBeLessThan(2e-2);
    expect(() => sampledSoftmaxRows(tf.zeros([4]) as tf.Tensor1D, neg as tf.Tensor2D)).toThrow(/pos must have shape \[5\]/);
    tf.dispose([pos, neg, w, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
  });
});

describe('l2Normalize op', () => {
  it('matches the composed formula and finite differences, and keeps zero rows at zero', () => {
    const rng = new Rng(29);
    const x = tf.variable(tf.concat([randn(rng, [5, 6]), tf.zeros([1, 6])]));
    const R = randn(rng, [6, 6]);
    const composed = () => tf.sum(tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))), R)) as tf.Scalar;
    const fused = () => tf.sum(tf.mul(l2Normalize(x), R)) as tf.Scalar;
    const g1 = tf.variableGrads(fused, [x]);
    const g2 = tf.variableGrads(composed, [x]);
    expect(Math.abs(g1.value.dataSync()[0] - g2.value.dataSync()[0])).toBeLessThan(1e-5);
    // rows 0..4 (the zero row's gradient is 1e6 x R in both)
    expect(maxAbsDiff(g1.grads[x.name].dataSync().subarray(0, 30), g2.grads[x.name].dataSync().subarray(0, 30))).toBeLessThan(1e-5);
    expect(maxAbsDiff(tf.tidy(() => l2Normalize(x).dataSync().subarray(30)), new Float32Array(6))).toBe(0);
    expect(maxGradientError(null, [tf.slice(x, [0, 0], [5, 6])], ([t]) => l2Normalize(t))).toBeLessThan(2e-2);
    tf.dispose([x, R, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
  });
});

describe.each([
  ['HSTU', HSTU],
  ['SASRec', SASRec],
] as const)('%s with fused ops', (_name, Model) => {
  it('loads a model saved by the composed version and scores it the same; training steps agree', async () => {
    const items = 40;
    const hist = new SequenceFeature({ name: 'hist', vocabSize: items + 1, embeddingDim: 8, maxLen: 10 });
    const rng = new Rng(23);
    const sequences = Array.from({ length: 48 }, () => Array.from({ length: 2 + rng.int(9) }, () => 1 + rng.int(items)));
    const evalData = { hist: sequences.map((s) => s.slice(0, -1)), target_item: sequences.map((s) => s[s.length - 1]) };
    const make = () => new Model({ sequenceFeatures: [hist], seed: 4, blocks: 2, heads: 2, dropout: 0.1, numNegatives: 12 }) as SequentialRecommender;
    setFusedOps('composed');
    const old = make();
    old.compile({ lr: 1e-2 });
    await old.fit({ hist: sequences }, { epochs: 2, batchSize: 16, verbose: 0 });
    const store = new MemoryStore();
    await old.save(store);
    const oldScores = await old.userEmbeddings(evalData);
    const oldNext = await old.fit({ hist: sequences }, { epochs: 1, batchSize: 16, verbose: 0, maxSteps: 2 });
    setFusedOps('fused');
    const loaded = (await BaseModel.load(store)) as SequentialRecommender;
    expect(maxAbsDiff(await loaded.userEmbeddings(evalData), oldScores)).toBeLessThan(1e-6);
    // the same random stream follows (shuffles, dropout masks, negatives): the losses of the next steps agree
    const next = await loaded.fit({ hist: sequences }, { epochs: 1, batchSize: 16, verbose: 0, maxSteps: 2 });
    expect(Math.abs(next.epochs[0].loss - oldNext.epochs[0].loss)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await loaded.userEmbeddings(evalData), await old.userEmbeddings(evalData))).toBeLessThan(1e-4);
    old.dispose();
    loaded.dispose();
  });
});
