/**
 * The WebAssembly SIMD kernels (src/basic/backend/simd/matmul.wat) that wasm-only installs run for the gradients of
 * dense layers, C = A^T B (dW = x^T dy) and C = A B^T (dx = dy W^T): results equal the cpu backend's tf.matMul within float32 rounding over shapes
 * with every kind of tail, batched, through BatchMatMul and _FusedMatMul and through tf.grad of a dense layer; the
 * hook's routing rule and fallbacks. Runs on wasm without the native addon whatever NEXTREC_BACKEND says. The
 * committed generated module is checked against the .wat by test/simd-batch-norm.test.ts (all kernels).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { matMulSimdCalls, matMulSimdFor, setMatMulSimd, simdTransposeAFaster, simdTransposeBFaster } from '../src/basic/backend/simd/matmul-simd';
import { Rng } from '../src/basic/random';
import { startStaticServer } from './helpers/static-server';
import { bundlePage, findChromium, openHeadless, withTimeout } from './helpers/headless-chromium';

const chromium = findChromium();
if (!chromium) console.warn('simd-matmul.test.ts: the browser check is skipped, Debian package `chromium` is not installed (apt-get install -y chromium)');
const itWithChromium = chromium ? it : it.skip;

function randomValues(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** Run `f` on the cpu backend (tensors built from plain arrays there) and return its flat result. */
async function onCpu(f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  try {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose(list);
    return values;
  } finally {
    await tf.setBackend('wasm');
  }
}

/**
 * Max over C of |got - want| / (sum_r |a_ri b_rj| + 1e-30): float32 products summed in another order differ by a few
 * ulps of the absolute sum, whatever the cancellation.
 */
function maxScaledErr(got: Float32Array, want: Float32Array, a: Float32Array, b: Float32Array, batch: number, rows: number, m: number, n: number): number {
  let worst = 0;
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let scale = 0;
        for (let r = 0; r < rows; r++) scale += Math.abs(a[(p * rows + r) * m + i] * b[(p * rows + r) * n + j]);
        const k = (p * m + i) * n + j;
        const err = Math.abs(got[k] - want[k]) / (scale + 1e-30);
        if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
      }
    }
  }
  return worst;
}

/** C = A^T B on wasm (SIMD on) and on cpu for A [...lead, rows, m], B [...lead, rows, n]; throws on a mismatch. */
async function checkShape(lead: number[], rows: number, m: number, n: number, rng: Rng): Promise<void> {
  const batch = lead.reduce((p, d) => p * d, 1);
  const av = randomValues(batch * rows * m, rng);
  const bv = randomValues(batch * rows * n, rng);
  const before = matMulSimdCalls();
  const got = tf.tidy(() => tf.matMul(tf.tensor(av, [...lead, rows, m]), tf.tensor(bv, [...lead, rows, n]), true, false).dataSync().slice() as Float32Array);
  if (matMulSimdCalls() !== before + 1) throw new Error(`${[...lead, rows, m, n]}: the SIMD kernel did not run`);
  const [want] = await onCpu(() => tf.matMul(tf.tensor(av, [...lead, rows, m]), tf.tensor(bv, [...lead, rows, n]), true, false));
  expect(got.length).toBe(batch * m * n);
  const err = maxScaledErr(got, want, av, bv, batch, rows, m, n);
  if (!(err < 1e-5)) throw new Error(`lead [${lead}] rows ${rows} m ${m} n ${n}: scaled error ${err}`);
}

/**
 * C = A B^T on wasm (SIMD on) and on cpu for A [...lead, rows, depth], B [...lead, n, depth]; throws on a mismatch.
 * Checked as (B A^T)^T against the same scaled bound.
 */
async function checkShapeTransposeB(lead: number[], rows: number, depth: number, n: number, rng: Rng): Promise<void> {
  const batch = lead.reduce((p, d) => p * d, 1);
  const av = randomValues(batch * rows * depth, rng);
  const bv = randomValues(batch * n * depth, rng);
  const before = matMulSimdCalls();
  const got = tf.tidy(() => tf.matMul(tf.tensor(av, [...lead, rows, depth]), tf.tensor(bv, [...lead, n, depth]), false, true).dataSync().slice() as Float32Array);
  if (matMulSimdCalls() !== before + 1) throw new Error(`A B^T ${[...lead, rows, depth, n]}: the SIMD kernel did not run`);
  const [want] = await onCpu(() => tf.matMul(tf.tensor(av, [...lead, rows, depth]), tf.tensor(bv, [...lead, n, depth]), false, true));
  expect(got.length).toBe(batch * rows * n);
  let worst = 0;
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        let scale = 0;
        for (let k = 0; k < depth; k++) scale += Math.abs(av[(p * rows + i) * depth + k] * bv[(p * n + j) * depth + k]);
        const at = (p * rows + i) * n + j;
        const err = Math.abs(got[at] - want[at]) / (scale + 1e-30);
        if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
      }
    }
  }
  if (!(worst < 1e-5)) throw new Error(`A B^T lead [${lead}] rows ${rows} depth ${depth} n ${n}: scaled error ${worst}`);
}

describe('WebAssembly SIMD matMul A^T B and A B^T (wasm-only engine, issue #12)', () => {
  beforeAll(async () => {
    // 'wasm': tfjs' wasm backend without the native addon, whose kernels would otherwise run instead
    const info = await initBackend({ backend: 'wasm', log: false });
    expect(info.name).toBe('wasm');
  });
  afterAll(async () => {
    setMatMulSimd(true);
    await shutdownBackend();
  });

  it('instantiates on the wasm backend heap', () => {
    expect(matMulSimdFor(tf.backend())).not.toBeNull();
  });

  it('equals the cpu backend over every tail of the 4 x 8 blocks (m, n in 1-112, rows 1-1024)', async () => {
    const rng = new Rng(5);
    const widths = [1, 3, 4, 5, 8, 17, 50, 112];
    for (const rows of [1, 2, 7, 1024]) {
      for (const m of widths) {
        for (const n of widths) await checkShape([], rows, m, n, rng);
      }
    }
  });

  it('equals the cpu backend where rows span several cache chunks, and batched (3-D, 4-D)', async () => {
    const rng = new Rng(6);
    // 131072 / (m + n) rows per chunk: 3 chunks, the last one partial
    await checkShape([], 2900, 50, 67, rng);
    await checkShape([3], 7, 5, 17, rng);
    await checkShape([2], 1024, 17, 50, rng);
    await checkShape([2, 3], 9, 4, 9, rng);
  });

  it('A B^T (dx = dy W^T) equals the cpu backend over every tail, and batched', async () => {
    const rng = new Rng(12);
    for (const rows of [1, 2, 3, 5, 7, 1024]) {
      for (const depth of [16, 17, 50]) {
        for (const n of [1, 3, 4, 5, 8, 17, 50, 112]) await checkShapeTransposeB([], rows, depth, n, rng);
      }
    }
    await checkShapeTransposeB([3], 9, 20, 11, rng);
    await checkShapeTransposeB([2, 2], 5, 16, 9, rng);
  });

  it('keeps rows and columns apart: a NaN in A or B reaches only its own row or column of C', () => {
    const [rows, m, n] = [6, 5, 11];
    const av = new Float32Array(rows * m).fill(1);
    const bv = new Float32Array(rows * n).fill(1);
    av[3 * m + 4] = NaN; // column 4 of A: row 4 of C, the tail row of the second block
    bv[2 * n + 9] = NaN; // column 9 of B: column 9 of C, in the 3-column tail
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(av, [rows, m]), tf.tensor2d(bv, [rows, n]), true, false).arraySync() as number[][]);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        if (i === 4 || j === 9) expect(Number.isNaN(c[i][j])).toBe(true);
        else expect(c[i][j]).toBe(rows);
      }
    }
  });

  it('runs for BatchMatMul and linear, bias-free _FusedMatMul; fused with a bias or activation, transposeB and SIMD off take the old route, same values', () => {
    const rng = new Rng(8);
    const a = tf.tensor2d(randomValues(64 * 12, rng), [64, 12]);
    const b = tf.tensor2d(randomValues(64 * 20, rng), [64, 20]);
    const bias = tf.tensor1d(randomValues(20, rng));
    const reference = tf.matMul(a, b, true, false);
    const count = (f: () => tf.Tensor) => {
      const before = matMulSimdCalls();
      const out = f();
      const calls = matMulSimdCalls() - before;
      const values = out.dataSync().slice();
      out.dispose();
      return { calls, values };
    };
    const close = (x: Float32Array | Int32Array | Uint8Array, y: tf.Tensor) => {
      const yv = y.dataSync();
      x.forEach((v, i) => expect(Math.abs(v - yv[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(yv[i]))));
    };
    expect(count(() => tf.matMul(a, b, true, false)).calls).toBe(1);
    const fusedLinear = count(() => tf.fused.matMul({ a, b, transposeA: true }));
    expect(fusedLinear.calls).toBe(1);
    close(fusedLinear.values, reference);
    const withBias = count(() => tf.fused.matMul({ a, b, transposeA: true, bias, activation: 'relu' }));
    expect(withBias.calls).toBe(0);
    tf.tidy(() => close(withBias.values, tf.relu(tf.add(reference, bias))));
    // A B^T: SIMD from depth 16 (the rule), XNNPACK below
    const x = tf.tensor2d(randomValues(30 * 20, rng), [30, 20]);
    const abt = count(() => tf.matMul(x, b, false, true));
    expect(abt.calls).toBe(1);
    tf.tidy(() => close(abt.values, tf.matMul(x, tf.transpose(b))));
    x.dispose();
    const shallow = tf.tensor2d(randomValues(20 * 3, rng), [20, 3]);
    const abtShallow = count(() => tf.matMul(shallow, shallow, false, true));
    expect(abtShallow.calls).toBe(0);
    tf.tidy(() => close(abtShallow.values, tf.matMul(shallow, tf.transpose(shallow))));
    shallow.dispose();
    setMatMulSimd(false);
    try {
      const off = count(() => tf.matMul(a, b, true, false));
      expect(off.calls).toBe(0);
      close(off.values, reference);
    } finally {
      setMatMulSimd(true);
    }
    tf.dispose([a, b, bias, reference]);
  });

  it('routes by the measured rule: SIMD for the model zoo shapes, XNNPACK for large products', () => {
    for (const [m, n] of [[112, 256], [256, 128], [128, 1], [50, 200], [200, 200], [512, 512], [768, 128], [2048, 16]]) {
      expect(simdTransposeAFaster(m, n)).toBe(true);
    }
    for (const [m, n] of [[1024, 1024], [1024, 200], [128, 1024], [768, 768], [4096, 64]]) {
      expect(simdTransposeAFaster(m, n)).toBe(false);
    }
    for (const [m, depth, n] of [[1024, 256, 112], [6400, 50, 200], [1024, 368, 1], [6400, 768, 64]]) {
      expect(simdTransposeBFaster(m, depth, n)).toBe(true);
    }
    for (const [m, depth, n] of [[1024, 1, 128], [1024, 8, 128], [1024, 256, 1024], [1024, 512, 512]]) {
      expect(simdTransposeBFaster(m, depth, n)).toBe(false);
    }
    const a = tf.zeros([4, 1024]);
    const b = tf.ones([4, 256]);
    const before = matMulSimdCalls();
    const c = tf.matMul(a, b, true, false);
    expect(matMulSimdCalls()).toBe(before);
    expect(c.shape).toEqual([1024, 256]);
    tf.dispose([a, b, c]);
  });

  it('two dense layers: gradients through tf.grad equal the cpu backend, with the kernel computing dW1, dW2 and dh', async () => {
    const rng = new Rng(9);
    const [rows, k, hidden, units] = [300, 17, 13, 18];
    const xv = randomValues(rows * k, rng);
    const w1v = randomValues(k * hidden, rng);
    const bv = randomValues(hidden, rng);
    const w2v = randomValues(hidden * units, rng);
    const tv = randomValues(rows * units, rng);
    const gradients = () => {
      const x = tf.tensor2d(xv, [rows, k]);
      const target = tf.tensor2d(tv, [rows, units]);
      const loss = (w1: tf.Tensor, b: tf.Tensor, w2: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b)), w2), target));
      return tf.grads(loss)([tf.tensor2d(w1v, [k, hidden]), tf.tensor1d(bv), tf.tensor2d(w2v, [hidden, units])]);
    };
    const before = matMulSimdCalls();
    const onWasm = tf.tidy(() => gradients().map((g) => g.dataSync().slice() as Float32Array));
    // dW1 = x^T dz, dW2 = h^T dy (A^T B) and dh = dy W2^T (A B^T, depth 18); dx is not needed
    expect(matMulSimdCalls()).toBe(before + 3);
    const onCpuBackend = await onCpu(gradients);
    onWasm.forEach((g, i) => {
      g.forEach((v, j) => expect(Math.abs(v - onCpuBackend[i][j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(onCpuBackend[i][j]))));
    });
  });

  it('declines heaps it cannot import: none, or shared (the multi-threaded build)', () => {
    expect(matMulSimdFor({})).toBeNull();
    expect(matMulSimdFor({ wasm: { asm: {} } })).toBeNull();
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(matMulSimdFor({ wasm: { asm: { memory: shared } } })).toBeNull();
  });

  it('does not leak tensors', () => {
    const a = tf.ones([32, 5]);
    const b = tf.ones([32, 9]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.matMul(a, b, true, false).dispose();
    tf.tidy(() => {
      tf.grad((w: tf.Tensor) => tf.sum(tf.matMul(a, w)))(tf.ones([5, 9]));
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  itWithChromium('runs in headless Chromium (browser bundle, the browser build of the wasm backend), equal to XNNPACK within rounding', async () => {
    const script = await bundlePage(path.join(__dirname, 'helpers', 'simd-matmul-page.ts'));
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    const server = await startStaticServer({ '/wasm/': wasmDir }, { '/index.html': '<!doctype html><script src="/page.js"></script>', '/page.js': script });
    const close = await openHeadless(chromium!, `${server.url}/index.html`);
    try {
      const got = JSON.parse(await withTimeout(server.results, 60_000, 'the headless Chromium page'));
      expect(got).toEqual({ backend: 'wasm', simdCalls: 2, close: true });
    } finally {
      await close();
      await server.close();
    }
  });
});
