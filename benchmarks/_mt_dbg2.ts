import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/basic/backend';
import { productLogit } from '../src/basic/layers/log-prob';
import { bceWithLogits } from '../src/loss/pointwise';
(async () => {
  await initBackend({ log: false });
  const a = tf.tensor2d([[-3], [0.5], [2], [-1], [4]]);
  const b = tf.tensor2d([[1], [-2], [0.3], [-0.5], [3]]);
  const y = tf.tensor2d([[0], [1], [1], [0], [1]]);
  const f = (a: tf.Tensor, b: tf.Tensor) => bceWithLogits(productLogit(a, b), y);
  const g = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => { const p = tf.mul(tf.sigmoid(a), tf.sigmoid(b)); return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))); });
  console.log(f(a, b).dataSync(), g(a, b).dataSync());
  const gf = tf.grads(f)([a, b]); const gg = tf.grads(g)([a, b]);
  console.log(gf[0].dataSync(), gg[0].dataSync()); console.log(gf[1].dataSync(), gg[1].dataSync());
  console.log(tf.sigmoid(productLogit(a, b)).dataSync(), tf.mul(tf.sigmoid(a), tf.sigmoid(b)).dataSync());
})();
