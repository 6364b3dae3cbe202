import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { ForwardContext, Module } from './module';
import { MultiHeadSelfAttention, SelfAttentionConfig } from './self-attention';

/** Settings of {@link InteractingLayer}. */
export interface InteractingLayerConfig extends SelfAttentionConfig {
  /** Add the projected input W_Res e_m before the ReLU (default true). */
  residual?: boolean;
}

/**
 * AutoInt's interacting layer (Song et al., CIKM 2019): multi-head self-attention across the fields of one row,
 *   ẽ_m = [head_1; ...; head_H](e_m),   e_m^Res = ReLU(ẽ_m + W_Res e_m)
 * so that each field's new vector mixes in the fields most relevant to it; stacking layers builds higher-order
 * crosses. Fields [B, F, D] -> [B, F, H * d_h].
 */
export class InteractingLayer extends Module {
  readonly outputDim: number;
  private readonly attention: MultiHeadSelfAttention;
  private readonly residual: Dense | null;

  constructor(
    readonly inputDim: number,
    config: InteractingLayerConfig,
    rng: Rng,
    owner = 'InteractingLayer',
  ) {
    super();
    this.attention = this.addChild('attention', new MultiHeadSelfAttention(inputDim, config, rng, owner));
    this.outputDim = this.attention.outputDim;
    this.residual = config.residual ?? true ? this.addChild('residual', new Dense(inputDim, this.outputDim, rng, 'linear', false)) : null;
  }

  apply(fields: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    const [B, F, D] = fields.shape;
    const tokens = tf.transpose(fields, [1, 0, 2]) as tf.Tensor3D;
    let out: tf.Tensor = this.attention.apply(tokens, ctx);
    if (this.residual) out = tf.add(out, this.residual.apply(tokens.reshape([F * B, D])).reshape([F, B, this.outputDim]));
    return tf.transpose(tf.relu(out), [1, 0, 2]) as tf.Tensor3D;
  }
}
