import { BATCH_NORM_ACT_WASM_BASE64 } from './batch-norm-act.wasm.generated';
import { simdInstanceFor } from './wasm-simd-loader';

/**
 * The batch norm + activation kernels of batch-norm-act.wat (WebAssembly SIMD, float64 arithmetic as the JavaScript
 * kernel) bound to one tfjs-backend-wasm heap. Every pointer is a byte offset into that heap; cols must be a
 * multiple of 4 and rows >= 1.
 */
export interface BatchNormActSimd {
  forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, rows: number, cols: number, epsilon: number, relu: number): void;
  backward(
    dy: number, x: number, gamma: number, beta: number, mean: number, variance: number, dx: number, dgamma: number, dbeta: number,
    rows: number, cols: number, epsilon: number, relu: number,
  ): void;
}

/**
 * The SIMD kernels on the heap of `backend` (a tfjs-backend-wasm backend object), instantiated once per backend; null
 * when they cannot run there (see {@link simdInstanceFor}), and the caller keeps its JavaScript loops.
 */
export function batchNormActSimdFor(backend: object): BatchNormActSimd | null {
  return simdInstanceFor<BatchNormActSimd>(BATCH_NORM_ACT_WASM_BASE64, backend)?.kernels ?? null;
}
