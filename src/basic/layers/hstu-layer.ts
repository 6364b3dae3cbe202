import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { applyActivation } from './activation';
import { keyMajorApply, keyMajorScores, SequenceBatch } from './attention';
import { Dense } from './dense';
import { fusedAttention } from './fused-attention';
import { fusedOpsEnabled } from './fused-mode';
import { LayerNorm } from './layer-norm';
import { ForwardContext, Module } from './module';
import { RelativeBias, RelativeBiasConfig } from './positional';
import { trainingDropout } from './dropout';

/** Settings of an {@link HstuLayer}. */
export interface HstuLayerConfig extends RelativeBiasConfig {
  /** Number of heads (default 1). */
  heads?: number;
  /** Query / key width per head (default: model width / heads). */
  attentionDim?: number;
  /** Value / gate (U) width per head (default: model width / heads). */
  linearDim?: number;
  /** Dropout on the gated attention output before the output projection (default 0.2). */
  dropout?: number;
  /**
   * Feed the output projection [U, Norm(AV), U * Norm(AV)] instead of U * Norm(AV) alone (the `concat_ua` option of
   * the authors' public code; default false). U is a SiLU projection of the token itself, so f2(U) gives each token
   * a feed-forward path that does not go through the attention mixture.
   */
  concatUA?: boolean;
}

/**
 * One HSTU layer (Zhai et al., "Actions Speak Louder than Words", ICML 2024):
 *   U, V, Q, K = Split(SiLU(f1(Norm(X))))                      one fused projection to 2(h dv) + 2(h dqk)
 *   A = SiLU(Q K^T + rab^{p,t}) / n                             pointwise, no softmax; n = real keys visible
 *   Y = X + f2(Dropout(Norm(A V) * U))                          or f2 over [U, Norm(A V), Norm(A V) * U] (concatUA)
 * `rab` is a learned relative bias over position and time-gap buckets. Tokens are time-major [S, B, D] with S =
 * L prefix tokens (causal, padded at the end of each row) followed by C target tokens that each see their row's
 * real prefix and themselves only, so a target's output does not depend on any other target.
 */
export class HstuLayer extends Module {
  readonly heads: number;
  readonly attentionDim: number;
  readonly linearDim: number;
  readonly dropout: number;
  readonly concatUA: boolean;
  readonly bias: RelativeBias;
  private readonly inputNorm: LayerNorm;
  private readonly f1: Dense;
  private readonly outputNorm: LayerNorm;
  private readonly f2: Dense;

  constructor(
    readonly dim: number,
    config: HstuLayerConfig,
    rng: Rng,
  ) {
    super();
    this.heads = config.heads ?? 1;
    if (!Number.isInteger(this.heads) || this.heads < 1) throw new Error(`HstuLayer: heads must be a positive integer (got ${config.heads})`);
    const perHead = Math.floor(dim / this.heads);
    this.attentionDim = config.attentionDim ?? perHead;
    this.linearDim = config.linearDim ?? perHead;
    this.dropout = config.dropout ?? 0.2;
    this.concatUA = config.concatUA ?? false;
    for (const [name, v] of [
      ['attentionDim', this.attentionDim],
      ['linearDim', this.linearDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`HstuLayer: ${name} must be a positive integer (got ${v}; set it when heads exceed the width)`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`HstuLayer: dropout must be in [0, 1) (got ${config.dropout})`);
    const h = this.heads;
    this.inputNorm = this.addChild('input_norm', new LayerNorm(dim));
    this.f1 = this.addChild('f1', new Dense(dim, 2 * h * this.linearDim + 2 * h * this.attentionDim, rng, 'silu'));
    this.bias = this.addChild('rab', new RelativeBias(config));
    this.outputNorm = this.addChild('output_norm', new LayerNorm(h * this.linearDim));
    this.f2 = this.addChild('f2', new Dense((this.concatUA ? 3 : 1) * h * this.linearDim, dim, rng));
  }

  /** Time-major tokens [L + C, B, D] laid out as described by `batch` -> [L + C, B, D]. */
  apply(x: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    const [S, B, D] = x.shape;
    const { L, C } = batch;
    if (S !== L + C || B !== batch.B) throw new Error(`HstuLayer: tokens [${x.shape}] do not match the batch layout (${L} + ${C} tokens x ${batch.B} rows)`);
    const H = this.heads;
    const dv = this.linearDim;
    const dqk = this.attentionDim;
    const [u, v, q, k] = this.f1.applyParts(this.inputNorm.apply(x).reshape([S * B, D]) as tf.Tensor2D, [H * dv, H * dv, H * dqk, H * dqk]);
    const v3 = v.reshape([S, B * H, dv]) as tf.Tensor3D;
    const q3 = q.reshape([S, B * H, dqk]) as tf.Tensor3D;
    const k3 = k.reshape([S, B * H, dqk]) as tf.Tensor3D;
    const prefix = (t: tf.Tensor3D) => (C === 0 ? t : (tf.slice(t, [0, 0, 0], [L, -1, -1]) as tf.Tensor3D));
    const targets = (t: tf.Tensor3D) => tf.slice(t, [L, 0, 0], [C, -1, -1]) as tf.Tensor3D;
    const config = { positionBuckets: this.bias.positionBuckets, maxDistance: this.bias.maxDistance, timeBuckets: this.bias.timeBuckets };
    const buckets = batch.buckets(config);
    const qp = prefix(q3);
    const kp = prefix(k3);
    const vp = prefix(v3);

    const rab = this.bias.prefix(buckets, L, B, L);
    let attended: tf.Tensor3D;
    if (fusedOpsEnabled()) {
      attended = fusedAttention(qp, kp, vp, { nonlinearity: 'silu', heads: H, mask: batch.prefixWeights(), bias: rab });
    } else {
      let scores: tf.Tensor = keyMajorScores(qp, kp).reshape([L, B, H, L]);
      if (rab) scores = tf.add(scores, rab);
      const weights = tf.mul(applyActivation(scores, 'silu'), batch.prefixWeights());
      attended = keyMajorApply(weights.reshape([L, B * H, L]) as tf.Tensor3D, vp);
    }

    if (C > 0) {
      const qt = targets(q3);
      const kt = targets(k3);
      const vt = targets(v3);
      let cross: tf.Tensor = keyMajorScores(qt, kp).reshape([L, B, H, C]);
      const rabCross = this.bias.targetToPrefix(buckets, L, B);
      if (rabCross) cross = tf.add(cross, rabCross);
      const crossWeights = tf.mul(applyActivation(cross, 'silu'), batch.targetWeights());
      let own: tf.Tensor = tf.sum(tf.mul(qt, kt), -1).reshape([C, B, H]);
      const rabSelf = this.bias.self(buckets);
      if (rabSelf) own = tf.add(own, rabSelf);
      const ownWeights = tf.mul(applyActivation(own, 'silu'), batch.selfWeights()).reshape([C, B * H, 1]);
      const targetOut = tf.add(keyMajorApply(crossWeights.reshape([L, B * H, C]) as tf.Tensor3D, vp), tf.mul(ownWeights, vt));
      attended = tf.concat([attended, targetOut as tf.Tensor3D], 0);
    }

    const normed = this.outputNorm.apply(attended.reshape([S * B, H * dv]));
    let gated = this.concatUA ? tf.concat([u, normed, tf.mul(normed, u)], 1) : tf.mul(normed, u);
    gated = trainingDropout(gated, this.dropout, ctx);
    return tf.add(x, this.f2.apply(gated).reshape([S, B, D])) as tf.Tensor3D;
  }
}

/** Settings of an {@link HstuEncoder}. */
export interface HstuEncoderConfig extends HstuLayerConfig {
  /** Number of stacked layers (default 2). */
  blocks?: number;
}

/** A stack of HSTU layers followed by a final layer norm. */
export class HstuEncoder extends Module {
  readonly layers: HstuLayer[] = [];
  private readonly norm: LayerNorm;

  constructor(
    readonly dim: number,
    config: HstuEncoderConfig,
    rng: Rng,
  ) {
    super();
    const blocks = config.blocks ?? 2;
    if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`HstuEncoder: blocks must be a positive integer (got ${config.blocks})`);
    for (let i = 0; i < blocks; i++) this.layers.push(this.addChild(`layer${i}`, new HstuLayer(dim, config, rng)));
    this.norm = this.addChild('norm', new LayerNorm(dim));
  }

  /** Time-major tokens [L + C, B, D] -> [L + C, B, D]. */
  apply(x: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    let h = x;
    for (const layer of this.layers) h = layer.apply(h, batch, ctx);
    return this.norm.apply(h) as tf.Tensor3D;
  }
}
