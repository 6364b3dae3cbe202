import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { Module } from './module';

/**
 * Squeeze-and-excitation over fields (FiBiNET, Huang et al., RecSys 2019): each field is squeezed to its mean
 * z_f = mean_d e_fd, two ReLU layers with a bottleneck of max(1, floor(F / r)) units give one weight per field,
 * and every field vector is rescaled by its weight:
 *   a = ReLU(W_2 ReLU(W_1 z)),   v_f = a_f e_f
 * Fields [B, F, D] -> [B, F, D].
 */
export class SenetLayer extends Module {
  private readonly squeeze: Dense;
  private readonly excite: Dense;

  constructor(
    readonly numFields: number,
    reductionRatio: number,
    rng: Rng,
    owner = 'SenetLayer',
  ) {
    super();
    if (!(reductionRatio >= 1)) throw new Error(`${owner}: reductionRatio must be >= 1 (got ${reductionRatio})`);
    const hidden = Math.max(1, Math.floor(numFields / reductionRatio));
    this.squeeze = this.addChild('squeeze', new Dense(numFields, hidden, rng, 'relu', false));
    this.excite = this.addChild('excite', new Dense(hidden, numFields, rng, 'relu', false));
  }

  apply(fields: tf.Tensor3D): tf.Tensor3D {
    const [B, F] = fields.shape;
    if (F !== this.numFields) throw new Error(`SenetLayer: expected ${this.numFields} fields, got [${fields.shape}]`);
    const weights = this.excite.apply(this.squeeze.apply(tf.mean(fields, 2)));
    return tf.mul(fields, weights.reshape([B, F, 1])) as tf.Tensor3D;
  }
}
