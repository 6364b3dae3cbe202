import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * Layer norm over the last axis as one kernel forward and one backward (native addon, native/layer_norm.h). The
 * composed custom op (layers/layer-norm.ts) runs ~9 kernels forward and ~12 backward, several of them broadcasts
 * over [rows, 1] that the wasm backend runs without SIMD, and the gain / bias gradients as leading-axis sums in
 * JavaScript. Registered on 'wasm' only with the native kernels (native.ts); LayerNorm keeps its composed ops elsewhere.
 */

export const LAYER_NORM = 'NextrecLayerNorm';
export const LAYER_NORM_GRAD = 'NextrecLayerNormGrad';

const gate = new NativeKernelGate(LAYER_NORM);

/** Called by the native kernels' installer once both kernels are registered. */
export function provideLayerNorm(isActive: () => boolean): void {
  gate.provide(isActive);
}

/** Whether {@link layerNormKernel} and {@link layerNormGradKernel} run natively on the current backend now. */
export function layerNormKernelAvailable(): boolean {
  return gate.available();
}

/**
 * Forward of x [rows, dim] (gamma, beta [dim] or both null): [out, y, r] with y the normalised x and r [rows, 1] the
 * reciprocal standard deviations. Not differentiable by itself (the LayerNorm custom op calls it).
 */
export function layerNormKernel(x: tf.Tensor2D, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const inputs: tf.NamedTensorMap = { x };
  if (gamma && beta) Object.assign(inputs, { gamma, beta });
  return tf.engine().runKernel(LAYER_NORM, inputs, { epsilon } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** Backward: [dx] without gamma, [dx, dgamma, dbeta] with it. */
export function layerNormGradKernel(g: tf.Tensor2D, y: tf.Tensor2D, r: tf.Tensor2D, gamma: tf.Tensor | null): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = { g, y, r };
  if (gamma) inputs.gamma = gamma;
  return tf.engine().runKernel(LAYER_NORM_GRAD, inputs, {}) as unknown as tf.Tensor[];
}
