import { ADAM_WASM_BASE64 } from './adam.wasm.generated';
import { simdInstanceFor } from './wasm-simd-loader';

/**
 * The Adam update of adam.wat (WebAssembly SIMD, float32 arithmetic in the JavaScript loop's order, bit-identical to
 * it) bound to one tfjs-backend-wasm heap. Pointers are byte offsets into that heap; n >= 0 elements; the constants
 * are those adamUpdate rounds to float32 (beta1, 1 - beta1, beta2, 1 - beta2, the two bias corrections, epsilon, -lr).
 */
export interface AdamSimd {
  adam(
    w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction1: number, correction2: number, epsilon: number, negLr: number,
  ): void;
}

/**
 * The SIMD Adam kernel on the heap of `backend` (a tfjs-backend-wasm backend object), instantiated once per backend;
 * null when it cannot run there (see {@link simdInstanceFor}), and the caller keeps its JavaScript loop.
 */
export function adamSimdFor(backend: object): AdamSimd | null {
  return simdInstanceFor<AdamSimd>(ADAM_WASM_BASE64, backend)?.kernels ?? null;
}
