/**
 * The WebAssembly SIMD batch norm + activation kernels (src/basic/backend/simd/batch-norm-act.wat) that wasm-only
 * installs run: the same outputs as the JavaScript loops on the same wasm backend, the fallbacks, and the committed
 * generated module in sync with the .wat. Runs on wasm without the native addon whatever NEXTREC_BACKEND says, so
 * the SIMD path is exercised in both suite runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import {
  BATCH_NORM_ACT, BATCH_NORM_ACT_GRAD, batchNormActSimdCalls, FusedBatchNormActivation, registerBatchNormAct, setBatchNormActSimd,
} from '../src/basic/backend/batch-norm-act-kernel';
import { batchNormActSimdFor } from '../src/basic/backend/simd/batch-norm-act-simd';
import { BATCH_NORM_ACT_WASM_BASE64 } from '../src/basic/backend/simd/batch-norm-act.wasm.generated';
import { assembleWat, generatedSource, WASM_KERNELS } from '../scripts/build-wasm-kernels';
import { Rng } from '../src/basic/random';
import { findChromium, runWasmPage } from './helpers/headless-chromium';

const chromium = findChromium();
if (!chromium) console.warn('simd-batch-norm.test.ts: the browser check is skipped, Debian package `chromium` is not installed (apt-get install -y chromium)');
const itWithChromium = chromium ? it : it.skip;

/** Random values in [-2, 2) with about one in eight exactly zero (relu's boundary), from a fixed seed. */
function randomTensor(shape: number[], rng: Rng, offset = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (rng.next() < 0.125 ? 0 : (rng.next() * 4 - 2) + offset)), shape);
}

/** Max |a - b| / max(1, |b|); NaN where one is NaN and the other is not. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return NaN;
      continue;
    }
    m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return m;
}

/** Forward outputs (y, mean, variance) and backward outputs (dx, dgamma, dbeta), flat, with SIMD on or off. */
function runBoth(inputs: Record<string, tf.Tensor>, activation: FusedBatchNormActivation, simd: boolean): Float32Array[] {
  setBatchNormActSimd(simd);
  try {
    const attrs = { epsilon: 1e-3, activation } as unknown as tf.NamedAttrMap;
    const { x, gamma, beta, dy } = inputs;
    const forward = tf.engine().runKernel(BATCH_NORM_ACT, { x, gamma, beta }, attrs) as tf.Tensor[];
    const [, mean, variance] = forward;
    const backward = tf.engine().runKernel(BATCH_NORM_ACT_GRAD, { dy, x, gamma, beta, mean, variance }, attrs) as tf.Tensor[];
    const values = [...forward, ...backward].map((t) => t.dataSync().slice() as Float32Array);
    for (const t of [...forward, ...backward]) t.dispose();
    return values;
  } finally {
    setBatchNormActSimd(true);
  }
}

describe('WebAssembly SIMD batch norm + activation (wasm-only engine, issue #12)', () => {
  beforeAll(async () => {
    // 'wasm': tfjs' wasm backend without the native addon, whose kernels would otherwise run instead
    const info = await initBackend({ backend: 'wasm', log: false });
    expect(info.name).toBe('wasm');
    registerBatchNormAct();
  });
  afterAll(async () => {
    await shutdownBackend();
  });

  it('instantiates on the wasm backend heap', () => {
    expect(batchNormActSimdFor(tf.backend())).not.toBeNull();
  });

  const shapes: [number, number][] = [[1, 4], [3, 12], [1024, 256], [3, 256], [1024, 4], [17, 12], [5, 20], [2, 8]];
  for (const activation of ['relu', 'linear'] as const) {
    it(`${activation}: forward and backward outputs are identical to the JavaScript loops, SIMD really running`, () => {
      const rng = new Rng(7);
      for (const [rows, cols] of shapes) {
        const inputs = {
          x: randomTensor([rows, cols], rng, 0.3),
          gamma: randomTensor([cols], rng, 1),
          // zeros in beta put some pre-activations exactly on relu's boundary (e.g. every one when rows = 1)
          beta: randomTensor([cols], rng),
          dy: randomTensor([rows, cols], rng),
        };
        const before = batchNormActSimdCalls();
        const simd = runBoth(inputs, activation, true);
        expect(batchNormActSimdCalls()).toBe(before + 2);
        const js = runBoth(inputs, activation, false);
        expect(batchNormActSimdCalls()).toBe(before + 2);
        const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
        simd.forEach((values, i) => {
          // same float64 arithmetic in the same order: identical after rounding to float32, not merely close
          const err = maxRelErr(values, js[i]);
          if (!(err === 0)) throw new Error(`[${rows}, ${cols}] ${activation} ${names[i]}: max relative error ${err}`);
        });
        if (activation === 'relu') {
          // relu really cut: some outputs are 0 and their gradients do not flow
          expect(simd[0].some((v) => v === 0)).toBe(true);
        }
        Object.values(inputs).forEach((t) => t.dispose());
      }
    });
  }

  it('NaN inputs propagate as in the JavaScript loops', () => {
    const x = tf.tensor2d([[1, NaN, 0, 2], [3, 1, 0, -2]]);
    const gamma = tf.tensor1d([1, 1, 1, 1]);
    const beta = tf.tensor1d([0, 0, 0, -1]);
    const dy = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 1]]);
    const inputs = { x, gamma, beta, dy };
    const simd = runBoth(inputs, 'relu', true);
    const js = runBoth(inputs, 'relu', false);
    simd.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(js[i])));
    expect(Number.isNaN(simd[0][1])).toBe(true);
    Object.values(inputs).forEach((t) => t.dispose());
  });

  it('falls back to the JavaScript loops when cols is not a multiple of 4 (still correct)', () => {
    const rng = new Rng(11);
    const inputs = { x: randomTensor([9, 6], rng), gamma: randomTensor([6], rng, 1), beta: randomTensor([6], rng), dy: randomTensor([9, 6], rng) };
    const before = batchNormActSimdCalls();
    const out = runBoth(inputs, 'relu', true);
    expect(batchNormActSimdCalls()).toBe(before);
    // column 0's statistics by hand
    const x = inputs.x.dataSync();
    let mu = 0;
    for (let r = 0; r < 9; r++) mu += x[r * 6] / 9;
    expect(out[1][0]).toBeCloseTo(mu, 5);
    Object.values(inputs).forEach((t) => t.dispose());
  });

  it('declines heaps it cannot import: none, or shared (the multi-threaded build)', () => {
    expect(batchNormActSimdFor({})).toBeNull();
    expect(batchNormActSimdFor({ wasm: { asm: {} } })).toBeNull();
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(batchNormActSimdFor({ wasm: { asm: { memory: shared } } })).toBeNull();
  });

  it('does not leak tensors', () => {
    const rng = new Rng(3);
    const inputs = { x: randomTensor([8, 8], rng), gamma: randomTensor([8], rng, 1), beta: randomTensor([8], rng), dy: randomTensor([8, 8], rng) };
    const before = tf.memory().numTensors;
    runBoth(inputs, 'linear', true);
    expect(tf.memory().numTensors).toBe(before);
    Object.values(inputs).forEach((t) => t.dispose());
  });

  it('the committed generated module is the assembled .wat (else run scripts/build-wasm-kernels.ts)', async () => {
    for (const k of WASM_KERNELS) {
      const bytes = await assembleWat(k.wat);
      if (fs.readFileSync(k.out, 'utf8') !== generatedSource(k.wat, k.constant, bytes)) {
        throw new Error(`${k.out} is out of date with ${k.wat}: run npx ts-node --transpile-only scripts/build-wasm-kernels.ts`);
      }
    }
    expect(Buffer.from(BATCH_NORM_ACT_WASM_BASE64, 'base64').length).toBeGreaterThan(0);
  });

  itWithChromium('runs in headless Chromium (browser bundle, the browser build of the wasm backend), identical to the JavaScript loops', async () => {
    const got = await runWasmPage(chromium!, path.join(__dirname, 'helpers', 'simd-batch-norm-page.ts'));
    expect(got).toEqual({ backend: 'wasm', simdCalls: 2, identical: true });
  });
});
