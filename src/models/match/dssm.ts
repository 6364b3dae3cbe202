import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';
import { ItemTowerInputs, MatchModel, MatchModelConfig, UserRepresentation, UserTowerInputs } from './match-model';

/** DSSM settings. */
export interface DSSMConfig extends MatchModelConfig {
  /** User tower hidden layers (default { dims: [128, 64] }). */
  userMlp?: MlpConfig;
  /** Item tower hidden layers (default { dims: [128, 64] }). */
  itemMlp?: MlpConfig;
  /** Width of the user and item vectors (default 32). */
  outputDim?: number;
}

/**
 * Deep Structured Semantic Model (Huang et al., CIKM 2013) as a two-tower retriever: an MLP over the user's
 * features (sparse embeddings, pooled sequences, dense values) and an MLP over the item's features map both sides
 * into one space, scored by cosine similarity over a temperature (the paper's smoothing factor). Defaults:
 * cosine, temperature 0.05, listwise in-batch softmax with log-Q correction.
 */
export class DSSM extends MatchModel {
  static readonly modelName = 'DSSM';
  private readonly userNet: Mlp;
  private readonly itemNet: Mlp;

  constructor(config: DSSMConfig) {
    super({ similarity: 'cosine', ...config });
    const out = config.outputDim ?? 32;
    if (!Number.isInteger(out) || out < 1) throw new Error(`DSSM: outputDim must be a positive integer (got ${config.outputDim})`);
    this.checkPooledSequences();
    const itemWidth = this.itemSparse.reduce((s, f) => s + f.embeddingDim, 0) + this.itemDense.reduce((s, f) => s + f.dim, 0);
    this.userNet = this.addChild('user', new Mlp(this.userFlatWidth(), { ...(config.userMlp ?? { dims: [128, 64] }), outputDim: out }, this.initRng, 'DSSM user tower'));
    this.itemNet = this.addChild('item', new Mlp(itemWidth, { ...(config.itemMlp ?? { dims: [128, 64] }), outputDim: out }, this.initRng, 'DSSM item tower'));
  }

  protected userTower(u: UserTowerInputs, ctx: ForwardContext): UserRepresentation {
    return { vectors: this.userNet.apply(this.userFlat(u)!, ctx) };
  }

  protected itemTower(i: ItemTowerInputs, ctx: ForwardContext): tf.Tensor2D {
    const parts = this.itemSparse.map((f) => i.sparse[f.name]);
    if (i.dense) parts.push(i.dense);
    return this.itemNet.apply(parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D), ctx);
  }
}

models.register(DSSM.modelName, DSSM);
