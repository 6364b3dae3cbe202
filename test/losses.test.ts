import * as tf from '@tensorflow/tfjs';
import {
  BUILTIN_LOSSES,
  LossFn,
  bceWithLogits,
  createLoss,
  focalLoss,
  mseLoss,
  weightedBce,
} from '../src/loss/pointwise';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const refBce = (x: number, y: number): number => softplus(x) - x * y;
const refWeighted = (pw: number) => (x: number, y: number): number => pw * y * softplus(-x) + (1 - y) * softplus(x);
const refFocal = (gamma: number, alpha: number) => (x: number, y: number): number => {
  const p = sigmoid(x);
  const pt = p * y + (1 - p) * (1 - y);
  const at = alpha * y + (1 - alpha) * (1 - y);
  return at * Math.pow(1 - pt, gamma) * refBce(x, y);
};
const refMse = (p: number, t: number): number => (p - t) * (p - t);

/** Float32-representable random batch, so the reference sees exactly what tfjs sees. */
function batch(n: number, seed: number, scale = 4): { x: Float32Array; y: Float32Array; w: Float32Array } {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (rnd() * 2 - 1) * scale;
    y[i] = rnd() < 0.4 ? 1 : 0;
    w[i] = 0.1 + 2 * rnd();
  }
  return { x, y, w };
}

function refMean(f: (x: number, y: number) => number, x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w ? w[i] : 1;
    num += wi * f(x[i], y[i]);
    den += wi;
  }
  return num / den;
}

function evalLoss(fn: LossFn, x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>, col = false): number {
  return tf.tidy(() => {
    const shape = col ? [x.length, 1] : [x.length];
    const out = fn(
      tf.tensor(Array.from(x), shape),
      tf.tensor(Array.from(y), shape),
      w ? tf.tensor(Array.from(w), [w.length]) : undefined,
    );
    expect(out.shape).toEqual([]);
    return out.dataSync()[0];
  });
}

const cases: Array<[string, LossFn, (x: number, y: number) => number]> = [
  ['bceWithLogits', bceWithLogits, refBce],
  ['weightedBce(3)', weightedBce(3), refWeighted(3)],
  ['focalLoss()', focalLoss(), refFocal(2, 0.25)],
  ['focalLoss(0.5, 0.7)', focalLoss({ gamma: 0.5, alpha: 0.7 }), refFocal(0.5, 0.7)],
  ['mseLoss', mseLoss, refMse],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe.each(cases)('%s', (_name, fn, ref) => {
  const { x, y, w } = batch(257, 11);

  it('matches the direct formula, unweighted, for [B] and [B,1]', () => {
    const expected = refMean(ref, x, y);
    expect(Math.abs(evalLoss(fn, x, y) - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
    expect(Math.abs(evalLoss(fn, x, y, undefined, true) - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
  });

  it('computes sum(w*l)/sum(w) with weights', () => {
    const expected = refMean(ref, x, y, w);
    expect(Math.abs(evalLoss(fn, x, y, w) - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
  });

  it('is finite, with finite gradients, for logits of +-100', () => {
    const xs = [100, -100, 100, -100, 0];
    const ys = [1, 1, 0, 0, 1];
    expect(Number.isFinite(evalLoss(fn, xs, ys))).toBe(true);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => fn(t, tf.tensor1d(ys)))(tf.tensor1d(xs)).arraySync() as number[]);
    for (const v of g) expect(Number.isFinite(v)).toBe(true);
  });

  it('leaks no tensors', () => {
    const xt = tf.tensor1d(Array.from(x));
    const yt = tf.tensor1d(Array.from(y));
    const wt = tf.tensor1d(Array.from(w));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      fn(xt, yt);
      fn(xt, yt, wt);
    });
    expect(tf.memory().numTensors).toBe(before);
    // Internal intermediates must be freed even without an outer tidy.
    const out = fn(xt, yt, wt);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    tf.dispose([xt, yt, wt]);
  });

  it('rejects mismatched shapes', () => {
    tf.tidy(() => {
      expect(() => fn(tf.zeros([4]), tf.zeros([3]))).toThrow(/batch size mismatch \(outputs: 4, targets: 3\)/);
      expect(() => fn(tf.zeros([4, 2]), tf.zeros([4, 2]))).toThrow(/must have shape \[B\] or \[B,1\]/);
      expect(() => fn(tf.zeros([4]), tf.zeros([4]), tf.ones([5]))).toThrow(/outputs: 4, weights: 5/);
    });
  });
});

describe('bceWithLogits', () => {
  it('has gradient (sigmoid(x) - y) / B w.r.t. the logits', () => {
    const { x, y } = batch(64, 5);
    const xs = Array.from(x);
    xs[0] = 0; // the kink of max(x,0) and |x|: gradient must still be 0.5 - y
    const g = tf.tidy(() =>
      tf.grad((t: tf.Tensor) => bceWithLogits(t, tf.tensor1d(Array.from(y))))(tf.tensor1d(xs)).dataSync(),
    );
    for (let i = 0; i < xs.length; i++) {
      expect(g[i]).toBeCloseTo((sigmoid(xs[i]) - y[i]) / xs.length, 6);
    }
  });

  it('gives weighted gradients w_i (sigmoid(x_i) - y_i) / sum(w)', () => {
    const { x, y, w } = batch(16, 9);
    const sw = w.reduce((a, b) => a + b, 0);
    const g = tf.tidy(() =>
      tf.grad((t: tf.Tensor) => bceWithLogits(t, tf.tensor1d(Array.from(y)), tf.tensor1d(Array.from(w))))(
        tf.tensor1d(Array.from(x)),
      ).dataSync(),
    );
    for (let i = 0; i < x.length; i++) expect(g[i]).toBeCloseTo((w[i] * (sigmoid(x[i]) - y[i])) / sw, 6);
  });

  it('stays accurate at extreme logits', () => {
    // Exact values: softplus(100) - 100 = log1p(e^-100), tiny; wrong-side logits cost ~100.
    expect(evalLoss(bceWithLogits, [100], [1])).toBeCloseTo(0, 6);
    expect(evalLoss(bceWithLogits, [-100], [1])).toBeCloseTo(100, 3);
    expect(evalLoss(bceWithLogits, [100], [0])).toBeCloseTo(100, 3);
  });

  it('accepts int32 targets', () => {
    const v = tf.tidy(() => bceWithLogits(tf.tensor1d([0.5, -1]), tf.tensor1d([1, 0], 'int32')).dataSync()[0]);
    expect(v).toBeCloseTo((refBce(0.5, 1) + refBce(-1, 0)) / 2, 6);
  });

  it('treats uniform weights like no weights and zero weights as excluded samples', () => {
    const { x, y } = batch(10, 21);
    const plain = evalLoss(bceWithLogits, x, y);
    expect(evalLoss(bceWithLogits, x, y, new Array(10).fill(3))).toBeCloseTo(plain, 5);
    const w = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    expect(evalLoss(bceWithLogits, x, y, w)).toBeCloseTo(evalLoss(bceWithLogits, x.slice(0, 5), y.slice(0, 5)), 5);
    expect(evalLoss(bceWithLogits, x, y, new Array(10).fill(0))).toBe(0);
  });
});

describe('focalLoss', () => {
  it('with gamma=0, alpha=0.5 equals 0.5 * bce', () => {
    const { x, y } = batch(100, 13, 10);
    expect(evalLoss(focalLoss({ gamma: 0, alpha: 0.5 }), x, y)).toBeCloseTo(0.5 * evalLoss(bceWithLogits, x, y), 6);
  });

  it('down-weights easy examples relative to bce', () => {
    const easy = evalLoss(focalLoss({ gamma: 2, alpha: 0.5 }), [4], [1]) / evalLoss(bceWithLogits, [4], [1]);
    const hard = evalLoss(focalLoss({ gamma: 2, alpha: 0.5 }), [-4], [1]) / evalLoss(bceWithLogits, [-4], [1]);
    expect(easy).toBeLessThan(hard);
  });

  it('validates its options', () => {
    expect(() => focalLoss({ gamma: -1 })).toThrow(/gamma/);
    expect(() => focalLoss({ alpha: 1.5 })).toThrow(/alpha/);
  });
});

describe('weightedBce', () => {
  it('with posWeight=1 equals bce', () => {
    const { x, y } = batch(50, 17);
    expect(evalLoss(weightedBce(1), x, y)).toBeCloseTo(evalLoss(bceWithLogits, x, y), 6);
  });

  it('rejects non-positive posWeight', () => {
    expect(() => weightedBce(0)).toThrow(/posWeight/);
    expect(() => weightedBce(NaN)).toThrow(/posWeight/);
  });
});

describe('createLoss', () => {
  it('builds every built-in loss with the right output kind', () => {
    expect([...BUILTIN_LOSSES].sort()).toEqual(['bce', 'focal', 'mse', 'weighted_bce']);
    expect(createLoss('bce')).toMatchObject({ name: 'bce', output: 'logit' });
    expect(createLoss('mse')).toMatchObject({ name: 'mse', output: 'identity' });
    expect(createLoss('focal', { gamma: 1 }).output).toBe('logit');
    expect(createLoss('weighted_bce', { posWeight: 2 }).output).toBe('logit');
    expect(createLoss('BCE').fn).toBe(bceWithLogits);
  });

  it('passes params through', () => {
    const { x, y } = batch(30, 23);
    expect(evalLoss(createLoss('weighted_bce', { posWeight: 4 }).fn, x, y)).toBeCloseTo(refMean(refWeighted(4), x, y), 5);
    expect(evalLoss(createLoss('focal', { gamma: 1, alpha: 0.3 }).fn, x, y)).toBeCloseTo(refMean(refFocal(1, 0.3), x, y), 5);
  });

  it('reports unknown names and params', () => {
    expect(() => createLoss('hinge')).toThrow("createLoss: unknown loss 'hinge'; known losses: bce, weighted_bce, focal, mse");
    expect(() => createLoss('weighted_bce', { pos_weight: 2 })).toThrow(/unknown parameter 'pos_weight'.*posWeight/);
    expect(() => createLoss('weighted_bce')).toThrow(/requires params.posWeight/);
    expect(() => createLoss('constructor')).toThrow(/unknown loss/);
  });
});
