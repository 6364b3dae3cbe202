import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../../basic/layers/module';
import { SasRecBlock, SasRecBlockLayout, SequenceBatch } from '../../basic/layers/attention';
import { LayerNorm } from '../../basic/layers/layer-norm';
import { PositionalEmbedding } from '../../basic/layers/positional';
import { models } from '../../basic/model/model-registry';
import { unitRms } from './common';
import { SequentialRecommender, SequentialRecommenderConfig } from './sequential-recommender';
import { trainingDropout } from '../../basic/layers/dropout';

/** SASRec settings. */
export interface SASRecConfig extends SequentialRecommenderConfig {
  /** Width of the point-wise feed-forward layers (default: the embedding width). */
  ffnDim?: number;
  /**
   * 'pre-norm' (default): the blocks as the paper's equations read, item embeddings rescaled to unit RMS.
   * 'reference': as the authors' released code computes it: item embeddings scaled by sqrt(width), and each block
   * adds its attention to the normalised queries (keys and values from the un-normalised input, no output
   * projection) and its feed-forward output to the normalised sum. With the paper's training (dot scoring, BCE,
   * one negative per position, dropout 0.5) and the authors' optimizer (dense Adam on the item table included:
   * `optimizerParams: { beta2: 0.98, epsilon: 1e-8, lazy: 0 }`) it reaches 0.7254 HR@10 on Amazon Games over three
   * seeds, 0.016 below the published figure; see docs/models-generative.md.
   */
  layout?: SasRecBlockLayout;
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
  private readonly layout: SasRecBlockLayout;

  constructor(config: SASRecConfig) {
    super(config);
    this.layout = config.layout ?? 'pre-norm';
    this.positions = this.addChild('positions', new PositionalEmbedding(this.history.maxLen, this.dim, this.initRng));
    for (let i = 0; i < this.blocks; i++) {
      this.layers.push(this.addChild(`block${i}`, new SasRecBlock(this.dim, { heads: this.heads, dropout: this.dropout, ffnDim: config.ffnDim, layout: this.layout }, this.initRng)));
    }
    this.norm = this.addChild('norm', new LayerNorm(this.dim));
  }

  protected encode(items: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    const tokens = this.layout === 'reference' ? tf.mul(items, Math.sqrt(this.dim)) : unitRms(items);
    let x: tf.Tensor = tf.add(tokens, this.positions.first(batch.L));
    x = trainingDropout(x, this.dropout, ctx);
    let h = x as tf.Tensor3D;
    for (const layer of this.layers) h = layer.apply(h, batch, ctx);
    return this.norm.apply(h) as tf.Tensor3D;
  }
}

models.register(SASRec.modelName, SASRec);
