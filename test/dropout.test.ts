import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { dropoutMultiplierValues } from '../src/basic/backend/dropout-kernel';
import { dropoutMultiplier, trainingDropout } from '../src/basic/layers/dropout';
import { ForwardContext } from '../src/basic/layers/module';
import { Rng } from '../src/basic/random';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const context = (seed: number, training = true): ForwardContext => ({ training, rng: new Rng(seed), deferred: [] });

/** Index of the first element where a and b differ bit for bit, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Pearson correlation of the kept indicators of a and b. */
function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let sa = 0, sb = 0, sab = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] !== 0 ? 1 : 0;
    const y = b[i] !== 0 ? 1 : 0;
    sa += x;
    sb += y;
    sab += x * y;
  }
  const ma = sa / n, mb = sb / n;
  return (sab / n - ma * mb) / Math.sqrt(ma * (1 - ma) * mb * (1 - mb));
}

describe('dropout mask from a counter-based hash', () => {
  it('keeps a fraction keep of the elements, scaled by 1 / keep, and is the same for the same seed', () => {
    const n = 200_000;
    for (const rate of [0.1, 0.2, 0.5, 0.75]) {
      const keep = 1 - rate;
      const m = dropoutMultiplierValues(n, keep, 12345);
      const kept = m.filter((v) => v !== 0);
      // binomial sd at n = 2e5 is at most 0.0011: a biased or broken hash misses by far more
      expect(Math.abs(kept.length / n - keep)).toBeLessThan(0.005);
      expect(kept.every((v) => v === Math.fround(1 / keep))).toBe(true);
      expect(firstDifference(dropoutMultiplierValues(n, keep, 12345), m)).toBe(-1);
    }
    // rate 0 keeps everything at 1; seeds up to 2^53 are accepted
    expect(dropoutMultiplierValues(1000, 1, 2 ** 53 - 1).every((v) => v === 1)).toBe(true);
  });

  it('masks of neighbouring elements, nearby seeds and seeds differing above 2^32 are uncorrelated', () => {
    const n = 100_000;
    const a = dropoutMultiplierValues(n + 1, 0.5, 7);
    expect(Math.abs(correlation(a.subarray(0, n), a.subarray(1)))).toBeLessThan(0.02);
    for (const other of [8, 7 + 2 ** 32, 0x9e3779b9 + 7]) {
      const b = dropoutMultiplierValues(n, 0.5, other);
      expect(Math.abs(correlation(a.subarray(0, n), b))).toBeLessThan(0.02);
      // nor is one a shifted copy of the other (a counter stream with a seed offset would be)
      for (const shift of [1, 2, 3, 1000]) expect(Math.abs(correlation(a.subarray(0, n - shift), b.subarray(shift)))).toBeLessThan(0.02);
    }
  });

  it('trainingDropout is x times the multiplier of the next seed of the context, in value and gradient', () => {
    for (const [shape, rate, seed] of [[[64, 50], 0.2, 12345], [[3, 5, 7], 0.5, 2147483646], [[1], 0.3, 0]] as Array<[number[], number, number]>) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
      const multiplier = tf.tensor(dropoutMultiplierValues(x.size, 1 - rate, new Rng(seed).seed()), shape);
      const ref = tf.tidy(() => tf.mul(x, multiplier).dataSync() as Float32Array);
      const got = tf.tidy(() => trainingDropout(x, rate, context(seed)).dataSync() as Float32Array);
      expect(firstDifference(got, ref)).toBe(-1);
      const r = tf.randomNormal(shape, 0, 1, 'float32', 8);
      const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(trainingDropout(t, rate, context(seed)), r)))(x).dataSync() as Float32Array);
      const expected = tf.tidy(() => tf.mul(multiplier, r).dataSync() as Float32Array);
      expect(firstDifference(grad, expected)).toBe(-1);
      tf.dispose([x, r, multiplier]);
    }
  });

  it('the multiplier the fused attention uses is the same mask (native kernel when present, else the JavaScript loop)', () => {
    const got = tf.tidy(() => dropoutMultiplier([20, 8, 2, 20], 0.2, 5).dataSync() as Float32Array);
    expect(firstDifference(got, dropoutMultiplierValues(20 * 8 * 2 * 20, 0.8, 5))).toBe(-1);
  });

  it('is the identity outside training and at rate 0, and draws no seed then', () => {
    const x = tf.ones([4, 3]);
    const ctx = context(3, false);
    expect(trainingDropout(x, 0.5, ctx)).toBe(x);
    const training = context(3);
    expect(trainingDropout(x, 0, training)).toBe(x);
    expect(training.rng.seed()).toBe(new Rng(3).seed());
    expect(ctx.rng.seed()).toBe(new Rng(3).seed());
    x.dispose();
  });

  it('rejects a rate outside [0, 1) and a non-finite seed, naming the value', () => {
    expect(() => dropoutMultiplierValues(4, 0, 1)).toThrow(/keep = 1 - rate must be in \(0, 1\] \(got 0\)/);
    expect(() => dropoutMultiplierValues(4, 0.5, NaN)).toThrow(/seed must be a finite number \(got NaN\)/);
  });

  it('leaks no tensors', () => {
    const x = tf.randomNormal([32, 16]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      trainingDropout(x, 0.3, context(9));
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
