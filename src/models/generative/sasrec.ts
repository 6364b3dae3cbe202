import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../../basic/layers/module';
import { SasRecBlock, SequenceBatch } from '../../basic/layers/attention';
import { LayerNorm } from '../../basic/layers/layer-norm';
import { PositionalEmbedding } from '../../basic/layers/positional';
import { models } from '../../basic/model/model-registry';
import { unitRms } from './common';
import { SequentialRecommender, SequentialRecommenderConfig } from './sequential-recommender';

/** SASRec settings. */
export interface SASRecConfig extends SequentialRecommenderConfig {
  /** Width of the point-wise feed-forward layers (default: the embedding width). */
  ffnDim?: number;
}

/**
 * SASRec (Kang & McAuley, ICDM 2018): causal multi-head softmax self-attention over the item history with
 * learned absolute position embeddings (position 0 = oldest item). It runs on the same next-item pipeline as
 * HSTU (sampled softmax on cosine similarities, full-catalogue evaluation), which makes it the baseline of the
 * HSTU paper's comparison.
 */
export class SASRec extends SequentialRecommender {
  static readonly modelName: string = 'SASRec';
  private readonly positions: PositionalEmbedding;
  private readonly layers: SasRecBlock[] = [];
  private readonly norm: LayerNorm;

  constructor(config: SASRecConfig) {
    super(config);
    this.positions = this.addChild('positions', new PositionalEmbedding(this.history.maxLen, this.dim, this.initRng));
    for (let i = 0; i < this.blocks; i++) {
      this.layers.push(this.addChild(`block${i}`, new SasRecBlock(this.dim, { heads: this.heads, dropout: this.dropout, ffnDim: config.ffnDim }, this.initRng)));
    }
    this.norm = this.addChild('norm', new LayerNorm(this.dim));
  }

  protected encode(items: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    let x: tf.Tensor = tf.add(unitRms(items), this.positions.first(batch.L));
    if (ctx.training && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, ctx.rng.seed());
    let h = x as tf.Tensor3D;
    for (const layer of this.layers) h = layer.apply(h, batch, ctx);
    return this.norm.apply(h) as tf.Tensor3D;
  }
}

models.register(SASRec.modelName, SASRec);
