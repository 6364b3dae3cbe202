import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * Sampled softmax cross-entropy per row, logsumexp(pos, neg) - pos, as one kernel forward and one backward (native
 * addon, native/sampled_softmax.h). The composed custom op (loss/listwise.ts sampledSoftmaxRows) concatenates
 * [pos, neg] into a [rows, 1 + N] block, runs a softmax and two row maxima over it and slices the gradient apart
 * again; for SASRec / HSTU at length 50 that block is [6272, 129] per step. Registered on 'wasm' only with the native
 * kernels (native.ts); sampledSoftmaxRows keeps its composed ops elsewhere.
 */

export const SAMPLED_SOFTMAX = 'NextrecSampledSoftmax';
export const SAMPLED_SOFTMAX_GRAD = 'NextrecSampledSoftmaxGrad';

const gate = new NativeKernelGate(SAMPLED_SOFTMAX);

/** Called by the native kernels' installer once both kernels are registered. */
export function provideSampledSoftmax(isActive: () => boolean): void {
  if (!tf.getGradient(SAMPLED_SOFTMAX)) {
    tf.registerGradient({
      kernelName: SAMPLED_SOFTMAX,
      inputsToSave: ['pos', 'neg'],
      outputsToSave: [false, true],
      gradFunc: (dys, saved) => {
        // lse (the second output) is not differentiated: it only carries the forward's normaliser to the backward
        const dy = Array.isArray(dys) ? dys[0] : dys;
        const [pos, neg, lse] = saved;
        const [dpos, dneg] = tf.engine().runKernel(SAMPLED_SOFTMAX_GRAD, { dy, pos, neg, lse }, {}) as tf.Tensor[];
        return { pos: () => dpos, neg: () => dneg };
      },
    });
  }
  gate.provide(isActive);
}

/** Whether {@link sampledSoftmaxKernel} runs natively on the current backend now. */
export function sampledSoftmaxKernelAvailable(): boolean {
  return gate.available();
}

/** Per-row loss [rows] of logits pos [rows] and neg [rows, N] by the native kernel, differentiable in both. */
export function sampledSoftmaxKernel(pos: tf.Tensor1D, neg: tf.Tensor2D): tf.Tensor1D {
  const [loss] = tf.engine().runKernel(SAMPLED_SOFTMAX, { pos, neg }, {}) as tf.Tensor[];
  return loss as tf.Tensor1D;
}
