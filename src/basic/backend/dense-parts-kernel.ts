import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * A dense layer's product split into column blocks (Dense.applyParts: q / k / v, HSTU's u / v / q / k) as one native
 * kernel each way. Composed, every block slices the kernel and the bias (2 Slice kernels forward, 2 PadV2 backward
 * plus the Adds that gather the block gradients again) and runs its own products; natively each block reads its
 * columns of the one kernel in place and the backward writes each block of dkernel in place and accumulates dx in
 * one buffer. Registered on 'wasm' only with the native kernels (native-dense-parts.ts).
 */

export const DENSE_PARTS = 'NextrecDenseParts';
export const DENSE_PARTS_GRAD = 'NextrecDensePartsGrad';

/** Attributes of both kernels: the widths of the column blocks (summing to the kernel's columns). */
export interface DensePartsAttrs {
  widths: number[];
}

const gate = new NativeKernelGate(DENSE_PARTS);

/** Called by the native kernels' installer once both kernels are registered. */
export function provideDenseParts(isActive: () => boolean): void {
  if (!tf.getGradient(DENSE_PARTS)) {
    tf.registerGradient({
      kernelName: DENSE_PARTS,
      inputsToSave: ['x', 'kernel'],
      gradFunc: (dys, saved, attrs) => {
        const [x, kernel] = saved;
        const grads = Array.isArray(dys) ? dys : [dys];
        const { widths } = attrs as unknown as DensePartsAttrs;
        const inputs: tf.NamedTensorMap = { x, kernel };
        grads.forEach((dy, p) => (inputs[`dy${p}`] = dy));
        const hasBias = (attrs as unknown as { hasBias: boolean }).hasBias;
        const [dx, dkernel, dbias] = tf.engine().runKernel(DENSE_PARTS_GRAD, inputs, { widths, hasBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return { x: () => dx, kernel: () => dkernel, ...(hasBias ? { bias: () => dbias } : {}) };
      },
    });
  }
  gate.provide(isActive);
}

/** Whether {@link densePartsKernel} runs natively on the current backend now. */
export function densePartsKernelAvailable(): boolean {
  return gate.available();
}

/** [x kernel_p + bias_p] over the column blocks of `widths`, differentiable in x, kernel and bias. */
export function densePartsKernel(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, widths: number[]): tf.Tensor2D[] {
  const inputs: tf.NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
  return tf.engine().runKernel(DENSE_PARTS, inputs, { widths, hasBias: bias !== null } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
}
