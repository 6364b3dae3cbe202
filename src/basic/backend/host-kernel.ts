import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, WasmBackendLike } from './wasm-kernel-wrap';

/**
 * Kernels written as plain loops over float32 buffers, registered on 'wasm' (in place on the wasm heap) and 'cpu'
 * (on the backend's own arrays). Used by the lean engine's fused ops (batch norm + activation, optimizer updates).
 */
export interface BufferAccess {
  read(info: tf.TensorInfo): Float32Array;
  /** Allocate all outputs first, then take views on them (a wasm allocation may move the heap). */
  alloc(shapes: number[][]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
}

interface CpuLike {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function wasmAccess(backend: WasmBackendLike): BufferAccess {
  return {
    read: (info) => heapFloats(backend, info),
    alloc: (shapes) => {
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      return { infos, views: () => infos.map((i) => heapFloats(backend, i)) };
    },
  };
}

function cpuAccess(backend: CpuLike): BufferAccess {
  return {
    read: (info) => backend.readSync(info.dataId) as Float32Array,
    alloc: (shapes) => {
      const arrays = shapes.map((s) => new Float32Array(s.reduce((p, d) => p * d, 1)));
      const infos = shapes.map((s, i) => backend.makeTensorInfo(s, 'float32', arrays[i]));
      return { infos, views: () => arrays };
    },
  };
}

/** A host kernel: float32 inputs by name, attributes, buffer access; returns its outputs. */
export type HostKernel<A> = (inputs: Record<string, tf.TensorInfo>, attrs: A, io: BufferAccess) => tf.TensorInfo[];

/** Register `kernel` under `name` on 'wasm' and 'cpu' (skipped where already registered). */
export function registerHostKernel<A>(name: string, kernel: HostKernel<A>): void {
  const backends: [string, (b: unknown) => BufferAccess][] = [
    ['wasm', (b) => wasmAccess(b as WasmBackendLike)],
    ['cpu', (b) => cpuAccess(b as CpuLike)],
  ];
  for (const [backendName, access] of backends) {
    if (tf.getKernel(name, backendName)) continue;
    const kernelFunc = ({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: A }) => {
      for (const [input, t] of Object.entries(inputs)) {
        if (t.dtype !== 'float32') throw new Error(`${name}: input '${input}' must be float32 (got ${t.dtype})`);
      }
      return kernel(inputs, attrs, access(backend));
    };
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** Whether the current backend has the host kernel `name`. */
export function hasHostKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
