import * as tf from '@tensorflow/tfjs-core';

/**
 * Replace the registered wasm kernel `name` by `wrap(original)`, keeping the rest of its registration (setup,
 * dispose). Every wasm fast path (transposed matMul, host-loop kernels, lean kernels, native sgemm) is installed this
 * way, so each wrapper can fall back to the kernel it replaced. Returns false when wasm has no such kernel.
 */
export function wrapWasmKernel<F>(name: string, wrap: (original: F) => F): boolean {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return false;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc as unknown as F) as unknown as tf.KernelFunc });
  return true;
}
