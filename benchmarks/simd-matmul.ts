/**
 * The WebAssembly SIMD kernel for C = A^T B (backend/simd/matmul.wat) against the route it replaces on wasm-only
 * installs (A transposed by a blocked copy, then XNNPACK, which re-packs B), per shape, with fresh operands on every
 * call (training's case: XNNPACK caches packing by tensor, and every step's operands are new tensors). Shapes: the
 * weight gradients of DeepFM / DCNv2 (rows = batch 1024), of SASRec / HSTU at L50 (rows = 128 x 50 and 512 x 50
 * tokens), and small ones. Times are process CPU ms per call (median of blocks), SIMD and XNNPACK alternating.
 *
 *   NEXTREC_BACKEND=wasm npx ts-node --transpile-only benchmarks/simd-matmul.ts [--form tA|tB] [--reps 12]
 *     [--shapes rows:m:n,...]
 * --form tB times C = A B^T (a dense layer's input gradient dx = dy W^T) instead, A [rows, m], B [n, m]; --form fwd
 * the forward product relu(A B + bias) (fused matMul, a dense layer's x W + b), A [rows, m], B [m, n], bias [n];
 * --form fwd-linear the same without bias and activation (DCNv2's cross layers carry a bias; plain BatchMatMul).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { matMulSimdCalls, setMatMulSimd } from '../src/basic/backend/simd/matmul-simd';
import { arg } from './lib/args';
import { cpuMs, median } from './lib/timing';

const DEFAULT_SHAPES = [
  // DeepFM / DCNv2 (MLP 112 -> 256 -> 128 -> 1, cross layers 112 x 112)
  '1024:112:256', '1024:256:128', '1024:128:1', '1024:112:112', '1024:112:1', '1024:368:1', '1024:16:16',
  // SASRec / HSTU, L50, dims 50-200
  '6400:50:50', '6400:50:200', '6400:200:50', '6400:100:100', '6400:200:200', '25600:50:50', '25600:50:200', '25600:200:50',
  // small
  '1:8:8', '7:17:5', '64:16:16', '64:64:64', '256:32:32', '256:128:128', '1024:8:8',
].join(',');

/**
 * ms per call over `reps` fresh operand pairs (operand creation not timed): form 'tA', C = A^T B with A [rows, m],
 * B [rows, n]; form 'tB', C = A B^T with A [rows, m], B [n, m] (dx = dy W^T: rows of dy, m its width, W [n, m]).
 */
function timeCalls(form: string, rows: number, m: number, n: number, reps: number, simd: boolean): number {
  setMatMulSimd(simd);
  let total = 0;
  const forward = form === 'fwd' || form === 'fwd-linear';
  for (let r = 0; r < reps; r++) {
    const a = tf.randomUniform([rows, m], -1, 1);
    const b = tf.randomUniform(form === 'tA' ? [rows, n] : forward ? [m, n] : [n, m], -1, 1);
    const bias = tf.randomUniform([n], -1, 1);
    const t0 = cpuMs();
    const c =
      form === 'tA' ? tf.matMul(a, b, true, false)
      : form === 'tB' ? tf.matMul(a, b, false, true)
      : form === 'fwd' ? tf.fused.matMul({ a, b, bias, activation: 'relu' })
      : tf.matMul(a, b);
    total += cpuMs() - t0;
    tf.dispose([a, b, c, bias]);
  }
  return total / reps;
}

async function main(): Promise<void> {
  const info = await initBackend({ threads: 1, log: true });
  if (info.name !== 'wasm' || info.native) throw new Error('run with NEXTREC_BACKEND=wasm (the wasm backend without the native addon)');
  const reps = Number(arg('reps', '12'));
  const form = arg('form', 'tA');
  if (!['tA', 'tB', 'fwd', 'fwd-linear'].includes(form)) throw new Error(`--form must be tA, tB, fwd or fwd-linear (got ${form})`);
  const shapes = arg('shapes', DEFAULT_SHAPES).split(',').map((s) => s.split(':').map(Number));
  const title =
    form === 'tA' ? 'rows x m x n (C = A^T B, A [rows, m], B [rows, n])'
    : form === 'tB' ? 'rows x m x n (C = A B^T, A [rows, m], B [n, m])'
    : form === 'fwd' ? 'rows x m x n (C = relu(A B + bias), A [rows, m], B [m, n])'
    : 'rows x m x n (C = A B, A [rows, m], B [m, n])';
  const old = form.startsWith('fwd') ? 'XNNPACK' : 'transpose + XNNPACK';
  console.log(`| ${title} | ${old} ms | SIMD ms | speed-up | SIMD GFLOP/s |`);
  console.log('|---|---|---|---|---|');
  for (const [rows, m, n] of shapes) {
    const callsBefore = matMulSimdCalls();
    const flops = 2 * rows * m * n;
    const perBlock = Math.max(2, Math.min(reps, Math.round(3e8 / flops)));
    timeCalls(form, rows, m, n, 2, true);
    timeCalls(form, rows, m, n, 2, false);
    const xnn: number[] = [];
    const simd: number[] = [];
    for (let block = 0; block < 5; block++) {
      simd.push(timeCalls(form, rows, m, n, perBlock, true));
      xnn.push(timeCalls(form, rows, m, n, perBlock, false));
    }
    const [x, s] = [median(xnn), median(simd)];
    if (matMulSimdCalls() === callsBefore) {
      console.log(`| ${rows} x ${m} x ${n} | ${x.toFixed(3)} | (XNNPACK by the rule) | | |`);
      continue;
    }
    console.log(`| ${rows} x ${m} x ${n} | ${x.toFixed(3)} | ${s.toFixed(3)} | ${(x / s).toFixed(2)} | ${(flops / s / 1e6).toFixed(1)} |`);
  }
  setMatMulSimd(true);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
