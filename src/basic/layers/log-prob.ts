import * as tf from '@tensorflow/tfjs-core';

let logAddExpOp: ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor) | undefined;

/**
 * log(exp(a) + exp(b)) element-wise, as max(a, b) + log1p(exp(-|a - b|)) so neither exponential overflows.
 * The gradient is given explicitly (sigmoid(a - b), sigmoid(b - a)): autodiff through max and abs would hand the
 * whole gradient to one side wherever a == b.
 */
export function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!logAddExpOp) {
    // built lazily so importing this module does not touch the tfjs engine
    logAddExpOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, y] = args as tf.Tensor[];
      const save = args[2] as tf.GradSaveFunc;
      const d = tf.sub(x, y);
      save([d]);
      const value = tf.tidy(() => tf.add(tf.maximum(x, y), tf.log1p(tf.exp(tf.neg(tf.abs(d))))));
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.sigmoid(saved[0])), tf.mul(dy, tf.sigmoid(tf.neg(saved[0])))],
      };
    }) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  }
  return logAddExpOp(a, b);
}

/**
 * Logit of the product of two probabilities given as logits, p = sigmoid(a) * sigmoid(b), computed without
 * forming p. log p = -softplus(-a) - softplus(-b) and, because 1 - p = sigmoid(-a) + sigmoid(a) sigmoid(-b) is a
 * sum of positive terms, log(1 - p) = logAddExp(-softplus(a), -softplus(-a) - softplus(b)) has no cancellation.
 * The result log p - log(1 - p) is finite for any finite a, b, so a cross-entropy on it equals the cross-entropy
 * on p (ESMM's CTCVR loss) without clipping p away from 0 or 1.
 */
export function productLogit(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const spNegA = tf.softplus(tf.neg(a));
    const logP = tf.neg(tf.add(spNegA, tf.softplus(tf.neg(b))));
    const log1mP = logAddExp(tf.neg(tf.softplus(a)), tf.neg(tf.add(spNegA, tf.softplus(b))));
    return tf.sub(logP, log1mP);
  });
}
