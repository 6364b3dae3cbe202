import * as tf from '@tensorflow/tfjs-core';

/** Gradient of a custom op: upstream gradient and saved tensors in, one gradient per input out. */
export type CustomGradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * `tf.customGrad` with a typed signature (tfjs does not export CustomGradientFunc): `f` gets the input tensors
 * and the save function, and returns the value with its gradient function. Used where the automatic gradient is
 * missing or slow on wasm.
 */
export function customOp(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: CustomGradFn }): (...args: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(args.slice(0, -1) as tf.Tensor[], save);
  }) as Parameters<typeof tf.customGrad>[0]);
}

const stopGradientOp = customOp(([x]) => ({ value: tf.clone(x), gradFunc: (dy) => tf.zerosLike(dy) }));

/** Identity in the forward pass, zero gradient in the backward pass (tfjs has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
