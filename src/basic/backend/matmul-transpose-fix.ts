import * as tf from '@tensorflow/tfjs-core';
import { WasmKernelFn as KernelFn, wrapWasmKernel } from './wasm-kernel-wrap';
import { fastTranspose } from './wasm-fast-kernels';
import { simdMatMulForward, simdMatMulTransposedB, simdMatMulTransposeA } from './simd/matmul-simd';

/**
 * tfjs-backend-wasm 4.22 hands a matMul to XNNPACK only when neither operand is transposed; the transposed
 * forms (which every backward pass of a dense layer uses) fall back to a naive loop that is ~12x slower.
 * We re-register BatchMatMul and _FusedMatMul on 'wasm' with a wrapper that materialises the transpose with
 * the (fast) wasm Transpose kernel and then calls the original kernel untransposed. A^T B (the weight gradient of
 * a dense layer) runs instead as a WebAssembly SIMD kernel reading A and B in place where that is measured faster
 * (simd/matmul-simd.ts), and so do the untransposed forward products A B (+ bias, relu), whose fresh B XNNPACK would
 * re-pack on every call.
 */

const WRAPPED_KERNELS = ['BatchMatMul', '_FusedMatMul'];
let installed = false;

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Install the transpose-first wrappers on the wasm backend (idempotent). Returns false when wasm is not loaded. */
export function installMatMulTransposeFix(): boolean {
  if (installed) return true;
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!transposeKernel) return false;
  const transpose = transposeKernel.kernelFunc as unknown as KernelFn;
  for (const name of WRAPPED_KERNELS) {
    const wrappedOk = wrapWasmKernel(name, (run) => (args) => {
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return simdMatMulForward(args) ?? run(args);
      const simd = simdMatMulTransposeA(args);
      if (simd) return simd;
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const materialise = (x: tf.TensorInfo) => {
        const perm = swapLastTwo(x.shape.length);
        return fastTranspose(x, perm, args.backend) ?? transpose({ inputs: { x }, backend: args.backend, attrs: { perm } });
      };
      const a2 = transposeA ? materialise(a) : a;
      const b2 = transposeB ? materialise(b) : b;
      try {
        const simdB = transposeB ? simdMatMulTransposedB(args, b2) : null;
        if (simdB) return simdB;
        return run({ ...args, inputs: { ...args.inputs, a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      } finally {
        if (transposeA) args.backend.disposeData(a2.dataId);
        if (transposeB) args.backend.disposeData(b2.dataId);
      }
    });
    if (!wrappedOk) return false;
  }
  installed = true;
  return true;
}

/** Whether the wrappers are installed in this process. */
export function isMatMulTransposeFixInstalled(): boolean {
  return installed;
}
