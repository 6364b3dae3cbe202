import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * SiLU, y = x sigmoid(x), as one kernel forward and one backward (native addon, native/activations.h). Composed it is
 * Sigmoid + Multiply forward and ~6 elementwise kernels backward (the product rule and the sigmoid's gradient), each an
 * engine dispatch and a pass over an activation-sized buffer; HSTU applies it to all four blocks of f1 in every layer.
 * Registered on 'wasm' only with the native kernels (native.ts); elsewhere applyActivation keeps the composed ops.
 */

export const SILU = 'NextrecSilu';
export const SILU_GRAD = 'NextrecSiluGrad';

const gate = new NativeKernelGate(SILU);

/** Called by the native kernels' installer once both kernels are registered. */
export function provideSilu(isActive: () => boolean): void {
  if (!tf.getGradient(SILU)) tf.registerGradient({
    kernelName: SILU,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => tf.engine().runKernel(SILU_GRAD, { dy: dy as tf.Tensor, x }, {}) as tf.Tensor };
    },
  });
  gate.provide(isActive);
}

/** Whether {@link siluKernel} runs natively on the current backend now. */
export function siluKernelAvailable(): boolean {
  return gate.available();
}

/** x sigmoid(x) by the native kernel, differentiable (its gradient is the native backward kernel). Check availability first. */
export function siluKernel<T extends tf.Tensor>(x: T): T {
  return tf.engine().runKernel(SILU, { x }, {}) as T;
}
