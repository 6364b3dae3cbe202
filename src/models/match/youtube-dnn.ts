import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';
import { ItemTowerInputs, MatchModel, MatchModelConfig, UserRepresentation, UserTowerInputs } from './match-model';

/** YouTubeDNN settings. */
export interface YouTubeDNNConfig extends MatchModelConfig {
  /** Hidden layers of the user tower (default { dims: [128, 64] }); its linear output has the item embedding width. */
  mlp?: MlpConfig;
}

/**
 * YouTube DNN candidate generation (Covington et al., RecSys 2016): the user's watch history (mean-pooled
 * sequence embeddings), other user features and dense values go through a ReLU tower to a user vector u; the item
 * side is the item id's embedding v_j, and training is a softmax over items, P(j | u) = exp(u.v_j) / sum exp(u.v),
 * approximated with sampled negatives. Defaults: dot product, temperature 1, listwise sampled softmax with 512
 * uniformly sampled negatives per batch.
 */
export class YouTubeDNN extends MatchModel {
  static readonly modelName = 'YouTubeDNN';
  private readonly net: Mlp;

  constructor(config: YouTubeDNNConfig) {
    super({ similarity: 'dot', negatives: 'sampled', ...config });
    if (this.itemSparse.length !== 1 || this.itemDense.length !== 0) {
      throw new Error(`YouTubeDNN: the item side is the item id embedding only; itemFeatures must be exactly the id feature (got ${this.itemFeatures.map((f) => f.name).join(', ')})`);
    }
    this.checkPooledSequences();
    this.net = this.addChild('user', new Mlp(this.userFlatWidth(), { ...(config.mlp ?? { dims: [128, 64] }), outputDim: this.itemIdFeature.embeddingDim }, this.initRng, 'YouTubeDNN'));
  }

  protected userTower(u: UserTowerInputs, ctx: ForwardContext): UserRepresentation {
    return { vectors: this.net.apply(this.userFlat(u)!, ctx) };
  }

  protected itemTower(i: ItemTowerInputs): tf.Tensor2D {
    return i.sparse[this.itemIdFeature.name];
  }
}

models.register(YouTubeDNN.modelName, YouTubeDNN);
