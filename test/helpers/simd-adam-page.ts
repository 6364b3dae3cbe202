// Browser page script for test/simd-adam.test.ts: the Adam update kernel (all parameters in one call) on the
// browser's wasm backend with the WebAssembly SIMD path on and off; reports whether SIMD ran and whether the outputs
// are identical bit for bit.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/browser';
import { ADAM_UPDATE_MANY, adamManyInputs, adamSimdCalls, registerOptimizerKernels, setAdamSimd } from '../../src/basic/backend/optimizer-kernels';

function values(n: number, seed: number, nonNegative = false): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const x = i % 7 === 0 ? 0 : Math.sin(i * 12.9898 + seed) * 10 ** ((i % 13) - 6);
    return nonNegative ? Math.abs(x) : x;
  });
}

async function main(): Promise<void> {
  try {
    const backend = await initBackend({ wasmPaths: '/wasm/' });
    registerOptimizerKernels();
    const inputs: tf.NamedTensorMap = {};
    [1, 5, 1003].forEach((n, i) => {
      const [w, g, m, v] = adamManyInputs(i);
      Object.assign(inputs, { [w]: tf.tensor1d(values(n, 4 * i)), [g]: tf.tensor1d(values(n, 4 * i + 1)), [m]: tf.tensor1d(values(n, 4 * i + 2)), [v]: tf.tensor1d(values(n, 4 * i + 3, true)) });
    });
    const attrs = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, correction1: 1 - 0.9 ** 3, correction2: 1 - 0.999 ** 3, count: 3 } as unknown as tf.NamedAttrMap;
    const run = (simd: boolean) => {
      setAdamSimd(simd);
      const outs = tf.engine().runKernel(ADAM_UPDATE_MANY, inputs, attrs) as tf.Tensor[];
      const bits = outs.map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
      tf.dispose(outs);
      return bits;
    };
    const before = adamSimdCalls();
    const simd = run(true);
    const simdCalls = adamSimdCalls() - before;
    const js = run(false);
    const identical = simd.length === 9 && simd.every((a, i) => a.length === js[i].length && a.every((v, j) => v === js[i][j]));
    await fetch('/result', { method: 'POST', body: JSON.stringify({ backend: backend.name, simdCalls, identical }) });
  } catch (err) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ error: (err as Error).message }) });
  }
}

void main();
