import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { CrossNetwork, CrossNetworkConfig } from '../../basic/layers/cross-network';
import { poolSequence } from '../../basic/layers/sequence-pooling';
import { models } from '../../basic/model/model-registry';
import { SparseFeature } from '../../basic/features';

/** DCN-V2 settings. */
export interface DCNv2Config extends BaseModelConfig {
  /** Cross network: numLayers (default 3), crossType 'full' (default) or 'mix', and the mix options lowRank, numExperts, lowRankActivation, useLowRankTransform. */
  cross?: CrossNetworkConfig;
  /** 'stacked' (cross network, then the MLP on its output; default) or 'parallel' (both on x_0, outputs concatenated). */
  structure?: 'stacked' | 'parallel';
  /** Deep part (default { dims: [256, 128] }); dims [] with 'stacked' gives the cross-only model. */
  mlp?: MlpConfig;
}

/**
 * DCN-V2 (Wang et al., KDD 2021). x_0 concatenates every sparse embedding, pooled sequence feature (mean, sum or
 * max) and dense feature; L cross layers x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l (full rank, or the low-rank
 * mixture of experts) model explicit crosses up to order L + 1, and an MLP adds implicit ones:
 *   stacked:  y = w^T MLP(Cross(x_0))
 *   parallel: y = w^T [Cross(x_0); MLP(x_0)]
 * Embedded features may have different widths.
 */
export class DCNv2 extends BaseModel {
  static readonly modelName = 'DCNv2';
  readonly structure: 'stacked' | 'parallel';
  private readonly groups: Array<{ key: string; dim: number; count: number }> = [];
  private readonly cross: CrossNetwork;
  private readonly deep: Mlp;
  private readonly head: Dense;

  constructor(config: DCNv2Config) {
    super(config);
    this.structure = config.structure ?? 'stacked';
    if (this.structure !== 'stacked' && this.structure !== 'parallel') throw new Error(`DCNv2: structure must be 'stacked' or 'parallel' (got '${this.structure as string}')`);
    if (this.allFeatures().length === 0) throw new Error('DCNv2 needs at least one feature');
    const byDim = new Map<number, SparseFeature[]>();
    for (const f of this.sparseFeatures) byDim.set(f.embeddingDim, [...(byDim.get(f.embeddingDim) ?? []), f]);
    for (const [dim, fs] of byDim) {
      const key = `fields:d${dim}`;
      this.requestEmbedding({ key, kind: 'stack', features: fs.map((f) => f.name) });
      this.groups.push({ key, dim, count: fs.length });
    }
    for (const s of this.sequenceFeatures) {
      if (s.pooling === 'attention' || s.pooling === 'none') throw new Error(`DCNv2: sequence feature '${s.name}' needs pooling mean, sum or max (got '${s.pooling}'); DCNv2 has no target item to attend with`);
      this.requestEmbedding({ key: `seq:${s.name}`, kind: 'sequence', feature: s.name });
    }
    const d0 =
      this.groups.reduce((s, g) => s + g.dim * g.count, 0) + this.sequenceFeatures.reduce((s, f) => s + f.embeddingDim, 0) + this.denseDim();
    this.cross = this.addChild('cross', new CrossNetwork(d0, config.cross ?? {}, this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = this.addChild('deep', new Mlp(d0, { ...mlp, outputDim: undefined }, this.initRng, 'DCNv2'));
    const headIn = this.structure === 'stacked' ? this.deep.outputWidth : d0 + this.deep.outputWidth;
    this.head = this.addChild('head', new Dense(headIn, this.targets.length, this.initRng));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const B = inputs.batchSize;
    const parts: tf.Tensor2D[] = this.groups.map((g) => inputs.embeddings[g.key].reshape([B, g.count * g.dim]) as tf.Tensor2D);
    for (const s of this.sequenceFeatures) {
      const key = `seq:${s.name}`;
      parts.push(poolSequence(inputs.embeddings[key] as tf.Tensor3D, inputs.masks[key], s.pooling));
    }
    if (inputs.dense) parts.push(inputs.dense);
    const x0 = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
    const top =
      this.structure === 'stacked'
        ? this.deep.apply(this.cross.apply(x0), ctx)
        : (tf.concat([this.cross.apply(x0), this.deep.apply(x0, ctx)], 1) as tf.Tensor2D);
    return this.head.apply(top) as tf.Tensor2D;
  }
}

models.register(DCNv2.modelName, DCNv2);
