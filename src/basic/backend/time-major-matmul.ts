import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * Batched products of time-major tensors x [Lx, N, p] and y [Ly, N, r], one product per middle index n:
 *   out[:, n, :] = op(x[:, n, :]) op(y[:, n, :])      (op = transpose when asked)
 * i.e. transpose(matMul(transpose(x, [1, 0, 2]), transpose(y, [1, 0, 2]), tA, tB), [1, 0, 2]). The attention
 * layers keep tokens time-major and scores key-major [Lk, N, Lq], so every attention product has this form. With
 * the native kernels (native.ts) one kernel runs them as strided BLAS calls in place on the wasm heap: the matrix of
 * item n starts at column block n of row 0 and its rows are N blocks apart, so nothing is transposed or copied.
 * Elsewhere (wasm-only installs, cpu, browsers, the ONNX tracer) the callers keep their own product kernels.
 */

/** Kernel name of the native strided product, registered on 'wasm' by native.ts. */
export const TIME_MAJOR_MATMUL = 'NextrecTimeMajorMatMul';

/** Attributes of {@link TIME_MAJOR_MATMUL}. */
export interface TimeMajorMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

const gate = new NativeKernelGate(TIME_MAJOR_MATMUL);

/** Called by native.ts once its kernel is registered: `isActive()` says whether the native kernels are switched on. */
export function provideTimeMajorMatMul(isActive: () => boolean): void {
  gate.provide(isActive);
}

/** Whether {@link timeMajorMatMul} runs natively on the current backend now. */
export function timeMajorMatMulAvailable(): boolean {
  return gate.available();
}

/** Output shape of a time-major product, or an error naming both shapes. */
export function timeMajorMatMulShape(x: number[], y: number[], transposeA: boolean, transposeB: boolean): number[] {
  if (x.length !== 3 || y.length !== 3 || x[1] !== y[1]) {
    throw new Error(`timeMajorMatMul: expected x [Lx, N, p] and y [Ly, N, r] with the same N (got [${x}] and [${y}])`);
  }
  const [m, k] = transposeA ? [x[2], x[0]] : [x[0], x[2]];
  const [kb, n] = transposeB ? [y[2], y[0]] : [y[0], y[2]];
  if (k !== kb) throw new Error(`timeMajorMatMul: inner dimensions differ (x [${x}]${transposeA ? '^T' : ''}, y [${y}]${transposeB ? '^T' : ''})`);
  return [m, x[1], n];
}

/**
 * The time-major product out[:, n, :] = op(x[:, n, :]) op(y[:, n, :]) as one native kernel call. Not
 * differentiable by itself: it is meant for the forward and backward passes of custom ops. Callers check
 * {@link timeMajorMatMulAvailable} first; without the native kernel this composes it from transposes and tf.matMul.
 */
export function timeMajorMatMul(x: tf.Tensor3D, y: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  timeMajorMatMulShape(x.shape, y.shape, transposeA, transposeB);
  if (timeMajorMatMulAvailable()) {
    const attrs: TimeMajorMatMulAttrs = { transposeA, transposeB };
    return tf.engine().runKernel(TIME_MAJOR_MATMUL, { x, y }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
  }
  const prod = tf.matMul(tf.transpose(x, [1, 0, 2]) as tf.Tensor3D, tf.transpose(y, [1, 0, 2]) as tf.Tensor3D, transposeA, transposeB);
  return tf.transpose(prod, [1, 0, 2]) as tf.Tensor3D;
}
