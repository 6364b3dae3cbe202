import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { Module } from './module';

/**
 * Adaptive Information Transfer unit of AITM (Xi et al., KDD 2021). Task t's representation q_t and the information
 * p_{t-1} transferred from the previous task are combined by attention over the two:
 *   z_t = sum_{u in {p_{t-1}, q_t}} w_u h1(u),   w_u = softmax_u( <h2(u), h3(u)> / sqrt(D) ),
 * with h1, h2, h3 linear maps D -> D. The unit decides per row how much of the previous stage to take.
 */
export class InfoTransferAttention extends Module {
  private readonly value: Dense;
  private readonly query: Dense;
  private readonly key: Dense;

  constructor(readonly dim: number, rng: Rng) {
    super();
    this.value = this.addChild('value', new Dense(dim, dim, rng));
    this.query = this.addChild('query', new Dense(dim, dim, rng));
    this.key = this.addChild('key', new Dense(dim, dim, rng));
  }

  /** Mixed representation [B, D] and the attention weight of the transferred input [B, 1]. */
  apply(transferred: tf.Tensor2D, own: tf.Tensor2D): { z: tf.Tensor2D; transferWeight: tf.Tensor2D } {
    const inputs = [transferred, own];
    const scores = inputs.map((u) => tf.div(tf.sum(tf.mul(this.query.apply(u), this.key.apply(u)), 1, true), Math.sqrt(this.dim)));
    const w = tf.softmax(tf.concat(scores, 1) as tf.Tensor2D); // [B, 2]
    const wp = w.slice([0, 0], [-1, 1]) as tf.Tensor2D;
    const wq = w.slice([0, 1], [-1, 1]) as tf.Tensor2D;
    const z = tf.add(tf.mul(wp, this.value.apply(transferred)), tf.mul(wq, this.value.apply(own))) as tf.Tensor2D;
    return { z, transferWeight: wp };
  }
}
