// Browser page script for test/simd-matmul.test.ts: dense-layer gradient products (A^T B and A B^T) and the forward
// product relu(x W + b) on the browser's
// wasm backend with the WebAssembly SIMD kernels on and off; reports how many ran as SIMD and whether the results
// agree within float32 rounding.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/browser';
import { matMulSimdCalls, setMatMulSimd } from '../../src/basic/backend/simd/matmul-simd';

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed));
}

async function main(): Promise<void> {
  try {
    const backend = await initBackend({ wasmPaths: '/wasm/' });
    const x = tf.tensor2d(values(300 * 21, 1), [300, 21]);
    const dy = tf.tensor2d(values(300 * 19, 2), [300, 19]);
    const w = tf.tensor2d(values(21 * 19, 3), [21, 19]);
    const bias = tf.tensor1d(values(19, 4));
    const run = (simd: boolean) => {
      setMatMulSimd(simd);
      const dW = tf.matMul(x, dy, true, false);
      const dx = tf.matMul(dy, w, false, true);
      const y = tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' });
      const out = [dW, dx, y].map((t) => Array.from(t.dataSync()));
      tf.dispose([dW, dx, y]);
      return out;
    };
    const before = matMulSimdCalls();
    const simd = run(true);
    const simdCalls = matMulSimdCalls() - before;
    const reference = run(false);
    setMatMulSimd(true);
    const close = simd.every((a, i) => a.every((v, j) => Math.abs(v - reference[i][j]) <= 1e-5 * Math.max(1, Math.abs(reference[i][j]))));
    await fetch('/result', { method: 'POST', body: JSON.stringify({ backend: backend.name, simdCalls, close }) });
  } catch (err) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ error: (err as Error).message }) });
  }
}

void main();
