import * as tf from '@tensorflow/tfjs-core';

let softplusOp: ((x: tf.Tensor) => tf.Tensor) | undefined;

/**
 * softplus(x) = log(1 + e^x), evaluated as max(x, 0) + log1p(e^-|x|) so that e^x never overflows. The gradient is
 * supplied explicitly as sigmoid(x): autodiff through relu and abs would report 0 for both kinks at x = 0, giving
 * a derivative of 0 instead of 0.5 exactly where training starts from equal scores or a zero-initialised output.
 * Shared by the pointwise (BCE) and pairwise (BPR) losses.
 */
export function softplus(x: tf.Tensor): tf.Tensor {
  if (softplusOp === undefined) {
    // built lazily so that importing this module does not touch the tfjs engine
    softplusOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      save([input]);
      const value = tf.tidy(() => tf.add(tf.relu(input), tf.log1p(tf.exp(tf.neg(tf.abs(input))))));
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sigmoid(saved[0])) };
    }) as (x: tf.Tensor) => tf.Tensor;
  }
  return softplusOp(x);
}
