import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../../basic/layers/module';
import { SequenceBatch } from '../../basic/layers/attention';
import { Dense } from '../../basic/layers/dense';
import { GRU } from '../../basic/layers/gru';
import { detachedMax } from '../../basic/layers/attention';
import { models } from '../../basic/model/model-registry';
import { SequentialRecommender, SequentialRecommenderConfig } from './sequential-recommender';
import { trainingDropout } from '../../basic/layers/dropout';

/** GRU4Rec settings. */
export interface GRU4RecConfig extends Omit<SequentialRecommenderConfig, 'heads' | 'timestampColumn' | 'targetTimeColumn' | 'objective'> {
  /** Width of the GRU state (default: the item embedding width); a linear layer maps it back when it differs. */
  hiddenDim?: number;
  /**
   * Ranking loss over the true next item and the sampled negatives: 'softmax' (cross-entropy, default; the loss
   * GRU4Rec's authors found best with many negatives) or 'bpr-max' (Hidasi & Karatzoglou, 2018).
   */
  loss?: 'softmax' | 'bpr-max';
  /** BPR-max score regulariser lambda: lambda * sum_j s_j r_j^2 over the negatives' softmax weights s_j (default 0). */
  bprMaxRegularization?: number;
}

/**
 * GRU4Rec (Hidasi et al., ICLR 2016; Hidasi & Karatzoglou, CIKM 2018): a GRU runs over the session's items,
 *   h_t = GRU(e_{i_t}, h_{t-1}),   score(j | i_1..i_t) = cos(W h_t, e_j) / T,
 * and every position t is trained to rank the true next item i_{t+1} above sampled negatives shared by the
 * batch. Training all positions of many sessions at once is what the paper's session-parallel mini-batches
 * compute (each session's hidden state carried across its own steps); `blocks` stacks GRU layers.
 * Ranking losses: softmax cross-entropy (default), or BPR-max,
 *   L = -log sum_j s_j sigmoid(r_i - r_j) + lambda sum_j s_j r_j^2,   s = softmax(r_neg).
 */
export class GRU4Rec extends SequentialRecommender {
  static readonly modelName = 'GRU4Rec';
  readonly hiddenDim: number;
  readonly loss: 'softmax' | 'bpr-max';
  readonly bprMaxRegularization: number;
  private readonly layers: GRU[] = [];
  private readonly output: Dense | null;

  constructor(config: GRU4RecConfig) {
    super({ blocks: 1, ...config });
    this.hiddenDim = config.hiddenDim ?? this.dim;
    if (!Number.isInteger(this.hiddenDim) || this.hiddenDim < 1) throw new Error(`GRU4Rec: hiddenDim must be a positive integer (got ${config.hiddenDim})`);
    this.loss = config.loss ?? 'softmax';
    if (this.loss !== 'softmax' && this.loss !== 'bpr-max') throw new Error(`GRU4Rec: loss must be 'softmax' or 'bpr-max' (got '${config.loss}')`);
    this.bprMaxRegularization = config.bprMaxRegularization ?? 0;
    if (!(this.bprMaxRegularization >= 0)) throw new Error(`GRU4Rec: bprMaxRegularization must be >= 0 (got ${config.bprMaxRegularization})`);
    for (let i = 0; i < this.blocks; i++) this.layers.push(this.addChild(`gru${i}`, new GRU(i === 0 ? this.dim : this.hiddenDim, this.hiddenDim, this.initRng)));
    this.output = this.hiddenDim === this.dim ? null : this.addChild('output', new Dense(this.hiddenDim, this.dim, this.initRng));
  }

  protected encode(items: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    const { L, B } = batch;
    const maskValues = new Float32Array(B * L);
    for (let b = 0; b < B; b++) maskValues.fill(1, b * L, b * L + batch.lengths[b]);
    const mask = tf.tensor2d(maskValues, [B, L]);
    let x = tf.transpose(items, [1, 0, 2]) as tf.Tensor3D;
    for (const gru of this.layers) {
      x = trainingDropout(x, this.dropout, ctx) as tf.Tensor3D;
      x = gru.apply(x, mask, { returnSequence: true }).sequence!;
    }
    const h = this.output ? (this.output.apply(x) as tf.Tensor3D) : x;
    return tf.transpose(h, [1, 0, 2]) as tf.Tensor3D;
  }

  protected positionLoss(pos: tf.Tensor1D, neg: tf.Tensor2D): tf.Tensor1D {
    if (this.loss === 'softmax') return super.positionLoss(pos, neg);
    const P = pos.shape[0];
    // softmax weights of the negatives: the hardest ones dominate (targets among them sit at -1e4, weight 0)
    const shift = detachedMax(neg, 1);
    const e = tf.exp(tf.sub(neg, shift));
    const s = tf.div(e, tf.sum(e, 1, true));
    const diff = tf.sigmoid(tf.sub(pos.reshape([P, 1]), neg));
    let loss = tf.neg(tf.log(tf.add(tf.sum(tf.mul(s, diff), 1), 1e-10)));
    if (this.bprMaxRegularization > 0) loss = tf.add(loss, tf.mul(this.bprMaxRegularization, tf.sum(tf.mul(s, tf.square(tf.maximum(neg, -100))), 1)));
    return loss as tf.Tensor1D;
  }
}

models.register(GRU4Rec.modelName, GRU4Rec);
