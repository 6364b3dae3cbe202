import * as tf from '@tensorflow/tfjs-core';

/** How batched products are computed: 'auto' (depthwise convolution on wasm, tf.matMul elsewhere) or forced. */
export type BatchedMatMulMode = 'auto' | 'depthwise' | 'matmul';
let matMulMode: BatchedMatMulMode = 'auto';

/** Choose how attention computes batched products (for benchmarks and tests; the default 'auto' is fastest). */
export function setBatchedMatMulMode(mode: BatchedMatMulMode): void {
  if (!['auto', 'depthwise', 'matmul'].includes(mode)) throw new Error(`setBatchedMatMulMode: unknown mode '${mode}' (known: auto, depthwise, matmul)`);
  matMulMode = mode;
}

/**
 * out[h, c, q] = sum_w x[h, w, c] * f[w, c, q]: one matrix product per channel c. On wasm a depthwise convolution
 * whose channels are the batch rows runs these products through XNNPACK (a batched tf.matMul runs a plain C loop
 * there, ~10x slower); elsewhere it is a batched tf.matMul between transposes.
 */
export function channelMatMul(x: tf.Tensor3D, f: tf.Tensor3D): tf.Tensor3D {
  const [H, W, C] = x.shape;
  const Q = f.shape[2];
  if (f.shape[0] !== W || f.shape[1] !== C) throw new Error(`channelMatMul: shapes [${x.shape}] and [${f.shape}] do not match`);
  const depthwise = matMulMode === 'depthwise' || (matMulMode === 'auto' && tf.getBackend() === 'wasm');
  if (depthwise) {
    const out = tf.depthwiseConv2d(x.reshape([1, H, W, C]) as tf.Tensor4D, f.reshape([1, W, C, Q]) as tf.Tensor4D, 1, 'valid');
    return out.reshape([H, C, Q]) as tf.Tensor3D;
  }
  const prod = tf.matMul(tf.transpose(x, [2, 0, 1]) as tf.Tensor3D, tf.transpose(f, [1, 0, 2]) as tf.Tensor3D);
  return tf.transpose(prod, [1, 0, 2]) as tf.Tensor3D;
}
