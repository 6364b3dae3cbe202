/**
 * The WebAssembly SIMD Adam update (src/basic/backend/simd/adam.wat) that wasm-only installs run: bit-identical to
 * the JavaScript loop (adamUpdate) on random and extreme values, the hook and its fallbacks, and FusedAdamOptimizer
 * training the same weights with SIMD on and off. Runs on wasm without the native addon whatever NEXTREC_BACKEND
 * says, so the SIMD path is exercised in both suite runs. (The generated module's sync with adam.wat is checked by
 * test/simd-batch-norm.test.ts over every kernel of scripts/build-wasm-kernels.ts.)
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setLeanEngine, shutdownBackend } from '../src/basic/backend';
import {
  ADAM_UPDATE, ADAM_UPDATE_MANY, adamManyInputs, AdamAttrs, adamSimdCalls, adamUpdate, registerOptimizerKernels, setAdamSimd,
} from '../src/basic/backend/optimizer-kernels';
import { adamSimdFor } from '../src/basic/backend/simd/adam-simd';
import { FusedAdamOptimizer } from '../src/basic/optim/fused-dense-optimizers';
import { Rng } from '../src/basic/random';
import { findChromium, runWasmPage } from './helpers/headless-chromium';

const chromium = findChromium();
if (!chromium) console.warn('simd-adam.test.ts: the browser check is skipped, Debian package `chromium` is not installed (apt-get install -y chromium)');
const itWithChromium = chromium ? it : it.skip;

type Kind = 'normal' | 'zeros' | 'large' | 'tiny' | 'wild';

/** Values of one kind: normal ~[-1, 1) with some exact zeros; large ~1e15-1e30 (g^2 overflows); tiny ~1e-45-1e-30 (subnormals); wild: any magnitude. */
function values(n: number, rng: Rng, kind: Kind, nonNegative = false): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const sign = nonNegative || rng.next() < 0.5 ? 1 : -1;
    let x: number;
    if (kind === 'zeros') x = 0;
    else if (kind === 'normal') x = rng.next() < 0.1 ? 0 : rng.next();
    else if (kind === 'large') x = 10 ** (15 + 15 * rng.next());
    else if (kind === 'tiny') x = 10 ** (-45 + 15 * rng.next());
    else x = 10 ** (-45 + 83 * rng.next());
    out[i] = sign * x;
  }
  return out;
}

/** Index of the first element whose float32 bits differ (NaNs of any payload count as equal), or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

/** Attributes of step t (bias corrections 1 - beta^t as FusedAdamOptimizer computes them). */
function attrsAt(t: number, lr = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): AdamAttrs {
  return { lr, beta1, beta2, epsilon, correction1: 1 - Math.fround(beta1) ** t, correction2: 1 - Math.fround(beta2) ** t };
}

interface Param {
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** One ADAM_UPDATE_MANY call over `params` on the current (wasm) backend; outputs w', m', v' per parameter. */
function runMany(params: Param[], attrs: AdamAttrs, simd: boolean): Float32Array[] {
  setAdamSimd(simd);
  try {
    const inputs: tf.NamedTensorMap = {};
    params.forEach((p, i) => {
      const [w, g, m, v] = adamManyInputs(i);
      Object.assign(inputs, { [w]: tf.tensor1d(p.w), [g]: tf.tensor1d(p.g), [m]: tf.tensor1d(p.m), [v]: tf.tensor1d(p.v) });
    });
    const outs = tf.engine().runKernel(ADAM_UPDATE_MANY, inputs, { ...attrs, count: params.length } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const got = outs.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose([...outs, ...Object.values(inputs)]);
    return got;
  } finally {
    setAdamSimd(true);
  }
}

/** The JavaScript loop on plain arrays: w', m', v' per parameter. */
function reference(params: Param[], attrs: AdamAttrs): Float32Array[] {
  return params.flatMap((p) => {
    const out = [new Float32Array(p.w.length), new Float32Array(p.w.length), new Float32Array(p.w.length)];
    adamUpdate(p.w, p.g, p.m, p.v, attrs, out[0], out[1], out[2]);
    return out;
  });
}

function expectBitIdentical(got: Float32Array[], want: Float32Array[], what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((a, k) => {
    const i = firstBitDifference(a, want[k]);
    if (i >= 0) throw new Error(`${what}, output ${k} (w', m', v' per parameter), element ${i} of ${a.length}: ${a[i]} vs the JavaScript loop's ${want[k][i]}`);
  });
}

const LENGTHS = [1, 3, 4, 5, 1000, 100003];

describe('WebAssembly SIMD Adam update (wasm-only engine, issue #12)', () => {
  beforeAll(async () => {
    // 'wasm': tfjs' wasm backend without the native addon, whose kernels would otherwise run instead
    const info = await initBackend({ backend: 'wasm', log: false });
    expect(info.name).toBe('wasm');
    registerOptimizerKernels();
    setLeanEngine(true);
  });
  afterAll(async () => {
    setAdamSimd(true);
    await shutdownBackend();
  });

  it('instantiates on the wasm backend heap, declines heaps it cannot import (none, or shared)', () => {
    expect(adamSimdFor(tf.backend())).not.toBeNull();
    expect(adamSimdFor({})).toBeNull();
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(adamSimdFor({ wasm: { asm: { memory: shared } } })).toBeNull();
  });

  const cases: [Kind, Kind, AdamAttrs, string][] = [
    ['normal', 'normal', attrsAt(1), 'step 1'],
    ['normal', 'normal', attrsAt(10, 0.001), 'step 10'],
    ['normal', 'normal', attrsAt(5000, 0.1, 0.8, 0.99, 1e-3), 'step 5000, other betas'],
    ['zeros', 'normal', attrsAt(3), 'zero gradients'],
    ['large', 'normal', attrsAt(2), 'large gradients'],
    ['tiny', 'tiny', attrsAt(7, 0.01, 0.9, 0.999, 1e-30), 'tiny gradients and moments'],
    ['wild', 'wild', attrsAt(100, 3), 'any magnitude'],
  ];
  for (const [gradKind, momentKind, attrs, name] of cases) {
    it(`${name}: identical bit for bit to the JavaScript loop, every length ${LENGTHS.join(', ')} in one call, SIMD really running`, () => {
      const rng = new Rng(LENGTHS.length + name.length);
      const params = LENGTHS.map((n) => ({
        w: values(n, rng, 'normal'), g: values(n, rng, gradKind), m: values(n, rng, momentKind), v: values(n, rng, momentKind, true),
      }));
      const want = reference(params, attrs);
      const before = adamSimdCalls();
      expectBitIdentical(runMany(params, attrs, true), want, name);
      expect(adamSimdCalls()).toBe(before + 1);
      // switched off: the JavaScript kernel, the same values
      expectBitIdentical(runMany(params, attrs, false), want, `${name} (SIMD off)`);
      expect(adamSimdCalls()).toBe(before + 1);
    });
  }

  it('a million random values of any magnitude (incl. negative second moments: NaN): still bit-identical', () => {
    const rng = new Rng(99);
    for (let round = 0; round < 5; round++) {
      const n = 200_001;
      const params = [{ w: values(n, rng, 'wild'), g: values(n, rng, 'wild'), m: values(n, rng, 'wild'), v: values(n, rng, 'wild') }];
      const attrs = attrsAt(1 + Math.floor(rng.next() * 1000), 10 ** (-4 + 4 * rng.next()), 1 - 10 ** (-3 * rng.next() - 0.3), 1 - 10 ** (-4 * rng.next() - 0.3), 10 ** (-12 + 10 * rng.next()));
      expectBitIdentical(runMany(params, attrs, true), reference(params, attrs), `round ${round}`);
    }
  });

  it('the single-parameter kernel runs as SIMD too, identical', () => {
    const rng = new Rng(5);
    const p = { w: values(37, rng, 'normal'), g: values(37, rng, 'normal'), m: values(37, rng, 'normal'), v: values(37, rng, 'normal', true) };
    const attrs = attrsAt(4);
    const inputs = { w: tf.tensor2d(p.w, [37, 1]), g: tf.tensor2d(p.g, [37, 1]), m: tf.tensor2d(p.m, [37, 1]), v: tf.tensor2d(p.v, [37, 1]) };
    const before = adamSimdCalls();
    const outs = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(adamSimdCalls()).toBe(before + 1);
    expect(outs[0].shape).toEqual([37, 1]);
    expectBitIdentical(outs.map((t) => t.dataSync() as Float32Array), reference([p], attrs), 'single');
    tf.dispose([...outs, ...Object.values(inputs)]);
  });

  it('does not run on inputs it does not take (a gradient shorter than its weights: the JavaScript kernel runs)', () => {
    const inputs = { w0: tf.zeros([4]), g0: tf.zeros([3]), m0: tf.zeros([4]), v0: tf.zeros([4]) };
    const before = adamSimdCalls();
    // the JavaScript loop reads past g's end (undefined -> NaN) rather than throwing; SIMD must not run on it
    const outs = tf.engine().runKernel(ADAM_UPDATE_MANY, inputs, { ...attrsAt(1), count: 1 } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(adamSimdCalls()).toBe(before);
    tf.dispose([...outs, ...Object.values(inputs)]);
  });

  /** A two-layer model trained `steps` steps on fixed data with FusedAdamOptimizer; its final weights. */
  function trainSmallModel(simd: boolean, steps: number): Float32Array[] {
    setAdamSimd(simd);
    try {
      const rng = new Rng(21);
      const x = tf.tensor2d(values(64 * 13, rng, 'normal'), [64, 13]);
      const y = tf.tensor2d(values(64, rng, 'normal'), [64, 1]);
      const vars = tf.tidy(() => [
        tf.variable(tf.tensor2d(values(13 * 9, rng, 'normal'), [13, 9])), tf.variable(tf.tensor1d(values(9, rng, 'normal'))),
        tf.variable(tf.tensor2d(values(9, rng, 'normal'), [9, 1])), tf.variable(tf.tensor1d([0])),
      ]);
      const opt = new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-7);
      const loss = () => tf.losses.meanSquaredError(y, tf.relu(x.matMul(vars[0]).add(vars[1])).matMul(vars[2]).add(vars[3])) as tf.Scalar;
      const first = opt.minimize(loss, true)!;
      const firstLoss = first.dataSync()[0];
      first.dispose();
      opt.minimize(loss);
      // flat over training
      const during = tf.memory().numTensors;
      for (let s = 2; s < steps; s++) opt.minimize(loss);
      expect(tf.memory().numTensors).toBe(during);
      const last = tf.tidy(loss);
      // it learns: the loss falls
      expect(last.dataSync()[0]).toBeLessThan(firstLoss);
      last.dispose();
      const weights = vars.map((v) => v.dataSync().slice() as Float32Array);
      opt.dispose();
      tf.dispose([x, y, ...vars]);
      return weights;
    } finally {
      setAdamSimd(true);
    }
  }

  it('FusedAdamOptimizer trains a small model to the same weights, bit for bit, with SIMD on and off; no leaked tensors', () => {
    const tensors = tf.memory().numTensors;
    const before = adamSimdCalls();
    const withSimd = trainSmallModel(true, 8);
    expect(adamSimdCalls()).toBe(before + 8);
    expect(tf.memory().numTensors).toBe(tensors);
    const withJs = trainSmallModel(false, 8);
    expect(adamSimdCalls()).toBe(before + 8);
    expect(tf.memory().numTensors).toBe(tensors);
    expectBitIdentical(withSimd, withJs, 'trained weights');
  });

  itWithChromium('runs in headless Chromium (browser bundle, the browser build of the wasm backend), bit-identical to the JavaScript loop', async () => {
    const got = await runWasmPage(chromium!, path.join(__dirname, 'helpers', 'simd-adam-page.ts'));
    expect(got).toEqual({ backend: 'wasm', simdCalls: 1, identical: true });
  });
});
