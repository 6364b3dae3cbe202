/**
 * The WebAssembly SIMD kernels (src/basic/backend/simd/matmul.wat) that wasm-only installs run for the gradients of
 * dense layers, C = A^T B (dW = x^T dy) and C = A B^T (dx = dy W^T), and for their forward products act(x W + b):
 * results equal the cpu backend's tf.matMul within float32 rounding over shapes
 * with every kind of tail, batched, through BatchMatMul and _FusedMatMul and through tf.grad of a dense layer; the
 * hook's routing rule and fallbacks. Runs on wasm without the native addon whatever NEXTREC_BACKEND says. The
 * committed generated module is checked against the .wat by test/simd-batch-norm.test.ts (all kernels).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { matMulSimdCalls, matMulSimdFor, setMatMulSimd, setMatMulSimdForward, simdForwardFaster, simdTransposeAFaster, simdTransposeBFaster } from '../src/basic/backend/simd/matmul-simd';
import { Rng } from '../src/basic/random';
import { findChromium, runWasmPage } from './helpers/headless-chromium';

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
    setMatMulSimdForward(true);
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
    // forward act(x W + b): DeepFM / DCNv2 layers (1024 rows), SASRec / HSTU at L50 (6400 tokens)
    for (const [m, depth, n] of [[1024, 112, 256], [1024, 256, 128], [1024, 128, 1], [1024, 112, 112], [6400, 50, 200], [6400, 200, 200]]) {
      expect(simdForwardFaster(m, depth, n)).toBe(true);
    }
    for (const [m, depth, n] of [[1024, 4, 128], [1024, 256, 1024], [1024, 512, 512]]) {
      expect(simdForwardFaster(m, depth, n)).toBe(false);
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
    // dW1 = x^T dz, dW2 = h^T dy (A^T B), dh = dy W2^T (A B^T, depth 18) and the forward x W1 (depth 17; h W2 has
    // depth 13, XNNPACK by the rule); dx is not needed
    expect(matMulSimdCalls()).toBe(before + 4);
    const onCpuBackend = await onCpu(gradients);
    onWasm.forEach((g, i) => {
      g.forEach((v, j) => expect(Math.abs(v - onCpuBackend[i][j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(onCpuBackend[i][j]))));
    });
  });

  it('forward act(A B + bias) equals the cpu backend over every tail, with and without bias, linear and relu', async () => {
    const rng = new Rng(21);
    const widths = [1, 3, 4, 5, 8, 17, 50, 112];
    // depth below 16 is XNNPACK's by the rule: forced through the kernel here by calling it directly is not possible
    // from tfjs, so depths 1 and 2 check the fallback's values and depths 16-112 the kernel
    for (const depth of [1, 2, 16, 50, 112]) {
      for (const m of widths) {
        for (const n of widths) {
          // values near 0 (|A B + b| mostly below 0.5) so relu's boundary is crossed in every block
          const av = randomValues(m * depth, rng).map((v) => v / Math.sqrt(depth));
          const bv = randomValues(depth * n, rng);
          const biasV = randomValues(n, rng).map((v) => v * 0.3);
          const variants = [false, true].flatMap((withBias) => (['linear', 'relu'] as const).map((activation) => ({ withBias, activation })));
          const build = (withBias: boolean, activation: 'linear' | 'relu') => {
            const bias = withBias ? tf.tensor1d(biasV) : undefined;
            return tf.fused.matMul({ a: tf.tensor2d(av, [m, depth]), b: tf.tensor2d(bv, [depth, n]), bias, activation });
          };
          const before = matMulSimdCalls();
          const got = variants.map(({ withBias, activation }) => tf.tidy(() => build(withBias, activation).dataSync().slice() as Float32Array));
          const expected = simdForwardFaster(m, depth, n) ? 4 : 0;
          if (matMulSimdCalls() - before !== expected) throw new Error(`${m} x ${depth} x ${n}: SIMD ran ${matMulSimdCalls() - before} times, want ${expected}`);
          // one switch to the cpu backend for the 4 variants
          const wants = await onCpu(() => variants.map(({ withBias, activation }) => build(withBias, activation)));
          variants.forEach(({ withBias, activation }, v) => {
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let scale = withBias ? Math.abs(biasV[j]) : 0;
                for (let k = 0; k < depth; k++) scale += Math.abs(av[i * depth + k] * bv[k * n + j]);
                const err = Math.abs(got[v][i * n + j] - wants[v][i * n + j]);
                if (!(err <= 1e-5 * scale + 1e-30)) {
                  throw new Error(`${m} x ${depth} x ${n} bias ${withBias} ${activation} [${i}, ${j}]: ${got[v][i * n + j]} vs ${wants[v][i * n + j]}`);
                }
              }
            }
          });
        }
      }
    }
  });

  it('forward: batched, BatchMatMul; relu maps NaN and -0 to +0 as XNNPACK\'s fused clamp does', () => {
    const rng = new Rng(22);
    const count = (f: () => tf.Tensor) => {
      const before = matMulSimdCalls();
      const values = tf.tidy(() => f().dataSync().slice() as Float32Array);
      return { calls: matMulSimdCalls() - before, values };
    };
    const withRoute = (simd: boolean, f: () => tf.Tensor) => {
      setMatMulSimdForward(simd);
      try {
        return count(f);
      } finally {
        setMatMulSimdForward(true);
      }
    };
    const a = tf.tensor3d(randomValues(2 * 9 * 20, rng), [2, 9, 20]);
    const b = tf.tensor3d(randomValues(2 * 20 * 11, rng), [2, 20, 11]);
    const bias = tf.tensor1d(randomValues(11, rng));
    // [reference (unfused, XNNPACK), the call]: tfjs-backend-wasm 4.22's own batched _FusedMatMul with a bias does not
    // equal relu(A B + bias) (0.4 off here), so the batched calls are checked against the unfused ops
    const cases: Array<[() => tf.Tensor, () => tf.Tensor]> = [
      [() => tf.matMul(a, b), () => tf.matMul(a, b)],
      [() => tf.relu(tf.add(tf.matMul(a, b), bias)), () => tf.fused.matMul({ a, b, bias, activation: 'relu' })],
      [() => tf.add(tf.matMul(a.reshape([18, 20]), b.slice([0, 0, 0], [1, 20, 11]).reshape([20, 11])), bias),
        () => tf.fused.matMul({ a: a.reshape([18, 20]), b: b.slice([0, 0, 0], [1, 20, 11]).reshape([20, 11]), bias })],
    ];
    for (const [reference, f] of cases) {
      const simd = withRoute(true, f);
      const old = withRoute(false, reference);
      expect(simd.calls).toBe(1);
      expect(old.calls).toBe(0);
      simd.values.forEach((v, i) => expect(Math.abs(v - old.values[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(old.values[i]))));
    }
    // NaN in a row of A and -0 results: the same bits on both routes (tfjs-backend-wasm's fused relu clamps them to +0)
    const av = new Float32Array(5 * 16).fill(0);
    av[2 * 16 + 3] = NaN;
    for (let k = 0; k < 16; k++) av[16 + k] = -1; // row 1: -0 * ... sums to -0 with B's -0 entries
    const bv = new Float32Array(16 * 9).fill(-0);
    const nanRelu = () => tf.fused.matMul({ a: tf.tensor2d(av, [5, 16]), b: tf.tensor2d(bv, [16, 9]), activation: 'relu' });
    const simd = withRoute(true, nanRelu);
    const old = withRoute(false, nanRelu);
    expect(simd.calls).toBe(1);
    expect(Array.from(simd.values).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(Array.from(old.values).map((v) => (Object.is(v, -0) ? '-0' : String(v))));
    expect(Array.from(simd.values).every((v) => Object.is(v, 0))).toBe(true);
    const nanLinear = withRoute(true, () => tf.fused.matMul({ a: tf.tensor2d(av, [5, 16]), b: tf.tensor2d(bv, [16, 9]) }));
    expect(Number.isNaN(nanLinear.values[2 * 9 + 4])).toBe(true);
    tf.dispose([a, b, bias]);
  });

  it('forward fallbacks keep the old route with the same values: prelu, other activations, a 2-D bias, SIMD off', () => {
    const rng = new Rng(23);
    const a = tf.tensor2d(randomValues(40 * 24, rng), [40, 24]);
    const b = tf.tensor2d(randomValues(24 * 10, rng), [24, 10]);
    const bias = tf.tensor1d(randomValues(10, rng));
    const fullBias = tf.tensor2d(randomValues(40 * 10, rng), [40, 10]);
    const alpha = tf.scalar(0.2);
    const cases: Array<[string, () => tf.Tensor, () => tf.Tensor]> = [
      ['prelu', () => tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha }), () => tf.prelu(tf.add(tf.matMul(a, b), bias), alpha)],
      ['elu', () => tf.fused.matMul({ a, b, bias, activation: 'elu' }), () => tf.elu(tf.add(tf.matMul(a, b), bias))],
      ['relu6', () => tf.fused.matMul({ a, b, activation: 'relu6' }), () => tf.relu6(tf.matMul(a, b))],
    ];
    // a rank-2 bias ([rows, n] or [1, n]) is not taken: it meets tfjs-backend-wasm's own handling (an error in 4.22)
    const outcome = (f: () => tf.Tensor) => {
      try {
        return Array.from(tf.tidy(() => f().dataSync()));
      } catch (err) {
        return (err as Error).message;
      }
    };
    for (const rowBias of [fullBias, tf.reshape(bias, [1, 10])]) {
      const before = matMulSimdCalls();
      const simdOn = outcome(() => tf.fused.matMul({ a, b, bias: rowBias, activation: 'relu' }));
      expect(matMulSimdCalls()).toBe(before);
      setMatMulSimdForward(false);
      try {
        expect(simdOn).toEqual(outcome(() => tf.fused.matMul({ a, b, bias: rowBias, activation: 'relu' })));
      } finally {
        setMatMulSimdForward(true);
      }
      rowBias.dispose();
    }
    for (const [name, fused, reference] of cases) {
      const before = matMulSimdCalls();
      const got = tf.tidy(() => fused().dataSync().slice());
      expect({ name, calls: matMulSimdCalls() - before }).toEqual({ name, calls: 0 });
      const want = tf.tidy(() => reference().dataSync().slice());
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]))));
    }
    setMatMulSimd(false);
    try {
      const before = matMulSimdCalls();
      const off = tf.tidy(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }).dataSync().slice());
      expect(matMulSimdCalls()).toBe(before);
      setMatMulSimd(true);
      const on = tf.tidy(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }).dataSync().slice());
      expect(matMulSimdCalls()).toBe(before + 1);
      on.forEach((v, i) => expect(Math.abs(v - off[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(off[i]))));
    } finally {
      setMatMulSimd(true);
    }
    tf.dispose([a, b, bias, alpha]);
  });

  it('a dense layer + relu trained by SGD: the same loss trajectory with the forward SIMD route as with XNNPACK', () => {
    const rng = new Rng(24);
    const [rows, k, hidden] = [256, 32, 24];
    const xv = randomValues(rows * k, rng);
    const yv = randomValues(rows, rng);
    const w1v = randomValues(k * hidden, rng).map((v) => v * 0.3);
    const w2v = randomValues(hidden, rng).map((v) => v * 0.3);
    const train = (forwardSimd: boolean) => {
      setMatMulSimdForward(forwardSimd);
      const x = tf.tensor2d(xv, [rows, k]);
      const y = tf.tensor2d(yv, [rows, 1]);
      const w1 = tf.variable(tf.tensor2d(w1v, [k, hidden]));
      const b1 = tf.variable(tf.zeros([hidden]));
      const w2 = tf.variable(tf.tensor2d(w2v, [hidden, 1]));
      const optimizer = tf.train.sgd(0.1);
      const losses: number[] = [];
      const before = matMulSimdCalls();
      try {
        for (let step = 0; step < 6; step++) {
          const loss = optimizer.minimize(() => {
            const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
            return tf.losses.meanSquaredError(y, tf.matMul(h, w2));
          }, true) as tf.Scalar;
          losses.push(loss.dataSync()[0]);
          loss.dispose();
        }
      } finally {
        setMatMulSimdForward(true);
      }
      const calls = matMulSimdCalls() - before;
      tf.dispose([x, y, w1, b1, w2]);
      optimizer.dispose();
      return { losses, calls };
    };
    const simd = train(true);
    const old = train(false);
    // per step: the forward x W1 + b1 (relu) and h W2 (depth 24, n = 1) as SIMD with the route on
    expect(simd.calls - old.calls).toBe(12);
    expect(simd.losses[5]).toBeLessThan(simd.losses[0]);
    simd.losses.forEach((l, i) => expect(Math.abs(l - old.losses[i])).toBeLessThan(1e-5 * Math.max(1, old.losses[i])));
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
    const got = await runWasmPage(chromium!, path.join(__dirname, 'helpers', 'simd-matmul-page.ts'));
    expect(got).toEqual({ backend: 'wasm', simdCalls: 3, close: true });
  });
});
