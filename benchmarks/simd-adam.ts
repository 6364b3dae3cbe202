/**
 * The WebAssembly SIMD Adam update (backend/simd/adam.wat) against the JavaScript loop it replaces on wasm-only
 * installs, through the NextrecAdamUpdateMany kernel FusedAdamOptimizer calls (outputs allocated, inputs read in place
 * on the heap), per parameter count. Times are process CPU ms per call (median of blocks), SIMD and JavaScript
 * alternating, the same operands every call (the update is memory-bound; its cost does not depend on the values).
 *
 *   NEXTREC_BACKEND=wasm npx ts-node --transpile-only benchmarks/simd-adam.ts [--sizes 100000,1000000] [--reps 50]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { ADAM_UPDATE_MANY, adamManyInputs, adamSimdCalls, registerOptimizerKernels, setAdamSimd } from '../src/basic/backend/optimizer-kernels';
import { arg } from './lib/args';
import { cpuMs, median } from './lib/timing';

function timeCalls(inputs: tf.NamedTensorMap, count: number, reps: number, simd: boolean): number {
  setAdamSimd(simd);
  const attrs = { lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, correction1: 0.1, correction2: 0.001, count } as unknown as tf.NamedAttrMap;
  const start = cpuMs();
  for (let r = 0; r < reps; r++) tf.dispose(tf.engine().runKernel(ADAM_UPDATE_MANY, inputs, attrs) as tf.Tensor[]);
  return (cpuMs() - start) / reps;
}

async function main(): Promise<void> {
  const info = await initBackend({ backend: 'wasm', log: false });
  registerOptimizerKernels();
  const sizes = arg('sizes', '1000,10000,100000,1000000').split(',').map(Number);
  const reps = Number(arg('reps', '50'));
  console.log(`backend ${info.name}; ms per NextrecAdamUpdateMany call (process CPU, median of 5 blocks of ${reps})`);
  console.log('| parameters | JavaScript | SIMD | speed-up |');
  console.log('|---|---|---|---|');
  for (const size of sizes) {
    const inputs: tf.NamedTensorMap = {};
    const [w, g, m, v] = adamManyInputs(0);
    const values = (seed: number, nonNegative = false) => tf.tensor1d(Float32Array.from({ length: size }, (_, i) => { const x = Math.sin(i * 12.9898 + seed) * 0.5; return nonNegative ? Math.abs(x) : x; }));
    Object.assign(inputs, { [w]: values(1), [g]: values(2), [m]: values(3), [v]: values(4, true) });
    const js: number[] = [];
    const simd: number[] = [];
    timeCalls(inputs, 1, 5, true);
    timeCalls(inputs, 1, 5, false);
    const before = adamSimdCalls();
    for (let b = 0; b < 5; b++) {
      js.push(timeCalls(inputs, 1, reps, false));
      simd.push(timeCalls(inputs, 1, reps, true));
    }
    if (adamSimdCalls() - before !== 5 * reps) throw new Error('the SIMD kernel did not run (no WebAssembly SIMD here?)');
    const [j, s] = [median(js), median(simd)];
    console.log(`| ${size} | ${j.toFixed(3)} | ${s.toFixed(3)} | ${(j / s).toFixed(1)}x |`);
    tf.dispose(Object.values(inputs));
  }
  setAdamSimd(true);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
