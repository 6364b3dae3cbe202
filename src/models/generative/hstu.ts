import * as tf from '@tensorflow/tfjs';
import { ForwardContext } from '../../basic/layers/module';
import { SequenceBatch } from '../../basic/layers/attention';
import { HstuEncoder, HstuLayerConfig } from '../../basic/layers/hstu-layer';
import { models } from '../../basic/model/model-registry';
import { unitRms } from './common';
import { SequentialRecommender, SequentialRecommenderConfig } from './sequential-recommender';

/** HSTU next-item settings. */
export interface HSTUConfig extends SequentialRecommenderConfig {
  /** Per-layer options beyond blocks / heads / dropout: attentionDim, linearDim, positionBuckets, maxDistance, timeBuckets. */
  layer?: Omit<HstuLayerConfig, 'heads' | 'dropout'>;
}

/**
 * HSTU for next-item retrieval (Zhai et al., ICML 2024): a stack of Hierarchical Sequential Transduction Units
 * (pointwise SiLU attention normalised by the number of visible items, relative position / time-gap bias, gated
 * output) over the item history, trained autoregressively with a sampled softmax; see SequentialRecommender.
 * Without a `timestampColumn` only the positional bias is used.
 */
export class HSTU extends SequentialRecommender {
  static readonly modelName = 'HSTU';
  private readonly encoder: HstuEncoder;

  constructor(config: HSTUConfig) {
    super(config);
    const layer = config.layer ?? {};
    this.encoder = this.addChild('encoder', new HstuEncoder(this.dim, { ...layer, blocks: this.blocks, heads: this.heads, dropout: this.dropout }, this.initRng));
  }

  protected encode(items: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    let x: tf.Tensor = unitRms(items);
    if (ctx.training && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, ctx.rng.seed());
    return this.encoder.apply(x as tf.Tensor3D, batch, ctx);
  }
}

models.register(HSTU.modelName, HSTU);
