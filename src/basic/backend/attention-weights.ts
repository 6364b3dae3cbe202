import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * The pointwise part of attention between its two products, as one kernel forward and one backward (native addon,
 * native/attention_weights.h), on key-major scores [Lk, B, H, Lq]:
 *   softmax (SASRec): p = softmax over keys of (scale s + bias + mask), weights = p * dropout; gate = p
 *   silu (HSTU):      z = scale s + bias, weights = silu(z) * mask * dropout;          gate = z
 * The composed form is ~8 elementwise kernels and 2 reductions forward and ~8 backward, each a pass over the scores
 * (the wasm Exp alone took ~11 ns per element). Registered on 'wasm' only with the native kernels (native.ts);
 * fusedAttention keeps its composed ops elsewhere.
 */

/** Kernel names, registered on 'wasm' by native-attention-kernels.ts. */
export const ATTENTION_WEIGHTS = 'NextrecAttentionWeights';
export const ATTENTION_WEIGHTS_GRAD = 'NextrecAttentionWeightsGrad';

/** Attributes of both kernels. */
export interface AttentionWeightsAttrs {
  /** Key-major shape [Lk, B, H, Lq] of the scores; mask, bias and dropout broadcast to it. */
  full: number[];
  softmax: boolean;
  /** Factor on the raw scores (the backward applies it to the gradient of the scores). */
  scale: number;
  /** Backward only: the bias's shape (rank 4, broadcast to `full`) when its gradient is wanted, else null. */
  biasShape?: number[] | null;
}

const gate = new NativeKernelGate(ATTENTION_WEIGHTS);

/** Called by the native kernels' installer once both kernels are registered. */
export function provideAttentionWeights(isActive: () => boolean): void {
  gate.provide(isActive);
}

/** Whether {@link attentionWeights} and {@link attentionWeightsGrad} run natively on the current backend now. */
export function attentionWeightsAvailable(): boolean {
  return gate.available();
}

function kernelAttrs(attrs: AttentionWeightsAttrs): tf.NamedAttrMap {
  return { full: attrs.full, softmax: attrs.softmax, scale: attrs.scale, biasShape: attrs.biasShape ?? null } as unknown as tf.NamedAttrMap;
}

/**
 * Forward: [gate, weights], both of shape `attrs.full` (gate: the softmax p, or the pre-activation z for SiLU).
 * Not differentiable by itself (custom ops call it); check {@link attentionWeightsAvailable} first.
 */
export function attentionWeights(scores: tf.Tensor, mask: tf.Tensor, bias: tf.Tensor | null, dropout: tf.Tensor | null, attrs: AttentionWeightsAttrs): [tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = { scores, mask };
  if (bias) inputs.bias = bias;
  if (dropout) inputs.dropout = dropout;
  return tf.engine().runKernel(ATTENTION_WEIGHTS, inputs, kernelAttrs(attrs)) as unknown as [tf.Tensor, tf.Tensor];
}

/**
 * Backward: [dL/dscores] (= scale x dL/dz), plus dL/dbias (dL/dz summed over the axes the bias broadcasts on) when
 * attrs.biasShape is given.
 */
export function attentionWeightsGrad(dw: tf.Tensor, gate: tf.Tensor, mask: tf.Tensor, dropout: tf.Tensor | null, attrs: AttentionWeightsAttrs): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = { dw, gate, mask };
  if (dropout) inputs.dropout = dropout;
  return tf.engine().runKernel(ATTENTION_WEIGHTS_GRAD, inputs, kernelAttrs(attrs)) as unknown as tf.Tensor[];
}
