import * as tf from '@tensorflow/tfjs-core';
import { siluKernel, siluKernelAvailable } from '../backend/silu-kernel';

/** Element-wise activations available to layers by name. */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'leaky_relu' | 'silu' | 'gelu' | 'elu';

export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'silu', 'gelu', 'elu'];

/** Apply a named activation. */
export function applyActivation(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, 0.01);
    case 'silu':
      return siluKernelAvailable() && x.dtype === 'float32' ? siluKernel(x) : tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      // tanh approximation (Hendrycks & Gimpel); tfjs has no erf gradient on every backend
      return tf.tidy(() => {
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      });
    case 'elu':
      return tf.elu(x);
    default:
      throw new Error(`unknown activation '${act as string}' (known: ${ACTIVATIONS.join(', ')})`);
  }
}
