import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { bprLoss, hingeLoss, pairwiseLosses } from '../src/loss/pairwise';
import { logSumExpRows, MASKED_LOGIT, inBatchHitMask, inBatchSoftmaxLoss, infoNceLoss, listwiseLosses, logQ, sampledHitMask, sampledSoftmaxLoss, sigmoidListLoss, softmaxListLoss } from '../src/loss/listwise';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const val = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
const softplus = (x: number) => Math.log1p(Math.exp(x));
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};

describe('pairwise losses', () => {
  it('bpr and hinge match their definitions, with pair weights', () => {
    const pos = tf.tensor1d([2, -1]);
    const neg = tf.tensor2d([[1, 3], [0, -2]]);
    const pairs = [[2, 1], [2, 3], [-1, 0], [-1, -2]];
    expect(val(bprLoss(pos, neg))).toBeCloseTo(pairs.reduce((s, [p, n]) => s + softplus(n - p), 0) / 4, 5);
    const hinge = hingeLoss(0.5);
    expect(val(hinge(pos, neg))).toBeCloseTo(pairs.reduce((s, [p, n]) => s + Math.max(0, 0.5 - p + n), 0) / 4, 5);
    const w = tf.tensor2d([[1, 0], [1, 1]]);
    expect(val(bprLoss(pos, neg, w))).toBeCloseTo((softplus(-1) + softplus(1) + softplus(-1)) / 3, 5);
    // an all-zero mask gives 0, not NaN
    expect(val(bprLoss(pos, neg, tf.zeros([2, 2])))).toBe(0);
    // BPR's gradient at equal scores is -0.5 per pair, not 0
    const g = tf.grad((p: tf.Tensor) => bprLoss(p, tf.zeros([1, 1]) as tf.Tensor2D))(tf.zeros([1]));
    expect(g.dataSync()[0]).toBeCloseTo(-0.5, 6);
    tf.dispose([pos, neg, w, g]);
  });

  it('are registered by name and reject bad shapes and parameters', () => {
    expect(pairwiseLosses.list()).toEqual(['bpr', 'hinge']);
    expect(() => pairwiseLosses.resolve('hinge')({ gap: 1 })).toThrow(/unknown parameter 'gap'/);
    expect(() => bprLoss(tf.zeros([3]), tf.zeros([2, 4]))).toThrow(/pos must have shape \[2\]/);
  });
});

describe('listwise losses', () => {
  it('softmax, sampled softmax and in-batch softmax match -log p(positive)', () => {
    const logits = [[2, 0.5, -1], [0, 1, 3]];
    const t = tf.tensor2d(logits);
    const pos = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
    const expected = (lse(logits[0]) - 2 + lse(logits[1]) - 1) / 2;
    expect(val(softmaxListLoss(t, pos))).toBeCloseTo(expected, 5);
    // masking a candidate removes it from the denominator
    const valid = tf.tensor2d([[1, 0, 1], [1, 1, 1]]);
    expect(val(softmaxListLoss(t, pos, valid))).toBeCloseTo((lse([2, -1]) - 2 + lse(logits[1]) - 1) / 2, 5);
    // sampled softmax = softmax over [pos | negatives]
    expect(val(sampledSoftmaxLoss(tf.tensor1d([2, 1]), tf.tensor2d([[0.5, -1], [0, 3]])))).toBeCloseTo(expected, 5);
    const sq = tf.tensor2d([[1, 2], [0.5, -1]]);
    expect(val(inBatchSoftmaxLoss(sq))).toBeCloseTo((lse([1, 2]) - 1 + lse([0.5, -1]) + 1) / 2, 5);
    tf.dispose([t, pos, valid, sq]);
  });

  it('logSumExpRows matches log-sum-exp and has the softmax as gradient, masked entries included', () => {
    const x = tf.tensor2d([[1, 2, 3], [-50, 40, MASKED_LOGIT]]);
    const got = logSumExpRows(x).arraySync();
    expect(got[0]).toBeCloseTo(lse([1, 2, 3]), 5);
    expect(got[1]).toBeCloseTo(lse([-50, 40]), 4);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(logSumExpRows(t as tf.Tensor2D), tf.tensor1d([1, 2]))))(x).arraySync() as number[][];
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    g[0].forEach((v, j) => expect(v).toBeCloseTo(Math.exp(j + 1) / z, 5));
    expect(g[1][1]).toBeCloseTo(2, 5);
    expect(g[1][2]).toBe(0);
  });

  it('sigmoid list loss is the mean BCE over valid candidates', () => {
    const t = tf.tensor2d([[1, -2]]);
    const pos = tf.tensor2d([[1, 0]]);
    expect(val(sigmoidListLoss(t, pos))).toBeCloseTo((softplus(-1) + softplus(-2)) / 2, 5);
    expect(val(sigmoidListLoss(t, pos, tf.tensor2d([[1, 0]])))).toBeCloseTo(softplus(-1), 5);
  });

  it('InfoNCE uses cosine similarity over the temperature', () => {
    const q = tf.tensor2d([[3, 0], [0, 2]]);
    const k = tf.tensor2d([[1, 0], [1, 1]]);
    const c = Math.SQRT1_2;
    const expected = (lse([10, 10 * c]) - 10 + lse([0, 10 * c]) - 10 * c) / 2;
    expect(val(infoNceLoss(q, k, 0.1))).toBeCloseTo(expected, 4);
    const sym = (expected + (lse([10, 0]) - 10 + lse([10 * c, 10 * c]) - 10 * c) / 2) / 2;
    expect(val(infoNceLoss(q, k, 0.1, true))).toBeCloseTo(sym, 4);
  });

  it('host helpers mask accidental hits and compute log Q', () => {
    expect(Array.from(inBatchHitMask([5, 7, 5]))).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(sampledHitMask([5, 7], [7, 5, 5]))).toEqual([1, 0, 0, 0, 1, 1]);
    const lq = logQ([0.5, 0.25], 4);
    expect(lq[0]).toBeCloseTo(Math.log(2), 6);
    expect(lq[1]).toBeCloseTo(0, 6);
    expect(listwiseLosses.list()).toEqual(['sigmoid', 'softmax']);
  });
});
