import * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm's backend object that the kernels of this folder use (internal API, pinned by
 * test/backend.test.ts and test/lean-engine.test.ts): allocate an output, view a tensor's bytes on the wasm heap
 * in place, reference counting for shared buffers.
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A typed-array view of the tensor's bytes on the heap; take it after every makeOutput (the heap may move). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
  disposeData(dataId: object): void;
}

/** Arguments a wasm kernel function receives (inputs absent from a call are undefined). */
export interface WasmKernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: WasmBackendLike;
  attrs: Record<string, unknown>;
}

/** A wasm kernel with one output. */
export type WasmKernelFn = (args: WasmKernelArgs) => tf.TensorInfo;

/** A wasm kernel with several outputs (the host kernels of host-kernel.ts). */
export type WasmMultiKernelFn = (args: WasmKernelArgs) => tf.TensorInfo[];

/** Float32 heap view of a float32 tensor (its dtype checked by the caller). */
export function heapFloats(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * Replace the registered wasm kernel `name` by `wrap(original)`, keeping the rest of its registration (setup,
 * dispose). Every wasm fast path (transposed matMul, host-loop kernels, lean kernels, native kernels) is installed
 * this way, so each wrapper can fall back to the kernel it replaced. Returns false when wasm has no such kernel.
 */
export function wrapWasmKernel<F = WasmKernelFn>(name: string, wrap: (original: F) => F): boolean {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return false;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc as unknown as F) as unknown as tf.KernelFunc });
  return true;
}
