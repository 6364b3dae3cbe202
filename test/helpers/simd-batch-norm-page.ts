// Browser page script for test/simd-batch-norm.test.ts: the fused batch norm + relu kernels on the browser's wasm
// backend with the WebAssembly SIMD path on and off; reports whether SIMD ran and whether the outputs are identical.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/browser';
import {
  BATCH_NORM_ACT, BATCH_NORM_ACT_GRAD, batchNormActSimdCalls, registerBatchNormAct, setBatchNormActSimd,
} from '../../src/basic/backend/batch-norm-act-kernel';

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 12.9898 + seed) * 2));
}

async function main(): Promise<void> {
  try {
    const backend = await initBackend({ wasmPaths: '/wasm/' });
    registerBatchNormAct();
    const [rows, cols] = [64, 12];
    const x = tf.tensor2d(values(rows * cols, 1), [rows, cols]);
    const gamma = tf.tensor1d(values(cols, 2).map((v) => v + 1));
    const beta = tf.tensor1d(values(cols, 3));
    const dy = tf.tensor2d(values(rows * cols, 4), [rows, cols]);
    const attrs = { epsilon: 1e-3, activation: 'relu' } as unknown as tf.NamedAttrMap;
    const run = (simd: boolean) => {
      setBatchNormActSimd(simd);
      const forward = tf.engine().runKernel(BATCH_NORM_ACT, { x, gamma, beta }, attrs) as tf.Tensor[];
      const backward = tf.engine().runKernel(BATCH_NORM_ACT_GRAD, { dy, x, gamma, beta, mean: forward[1], variance: forward[2] }, attrs) as tf.Tensor[];
      return [...forward, ...backward].map((t) => Array.from(t.dataSync()));
    };
    const before = batchNormActSimdCalls();
    const simd = run(true);
    const simdCalls = batchNormActSimdCalls() - before;
    const js = run(false);
    const identical = simd.every((a, i) => a.every((v, j) => Object.is(v, js[i][j])));
    await fetch('/result', { method: 'POST', body: JSON.stringify({ backend: backend.name, simdCalls, identical }) });
  } catch (err) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ error: (err as Error).message }) });
  }
}

void main();
