import * as tf from '@tensorflow/tfjs-core';
import { SasRecBlock, SequenceBatch } from '../../basic/layers/attention';
import { Dense } from '../../basic/layers/dense';
import { GRU } from '../../basic/layers/gru';
import { ForwardContext } from '../../basic/layers/module';
import { QueryAttentionPooling } from '../../basic/layers/query-attention';
import { models } from '../../basic/model/model-registry';
import { ItemTowerInputs, MatchModel, MatchModelConfig, UserRepresentation, UserTowerInputs } from './match-model';

/** SDM settings. */
export interface SDMConfig extends MatchModelConfig {
  /** The current session (the user's latest items), a user SequenceFeature sharing the item table. */
  shortTermFeature: string;
  /** The long-term behaviours, a user SequenceFeature sharing the item table. */
  longTermFeature: string;
  /** Heads of the self-attention over the session (default 2; must divide the item embedding width). */
  heads?: number;
}

/**
 * Sequential Deep Matching (Lv et al., CIKM 2019). With e_u the user profile (the other user features,
 * concatenated; a learned query when there are none) and d the item embedding width:
 *   short term:  X = GRU(session embeddings);  X' = SelfAttention(X);  s_t = UserAttention(e_u, X')
 *   long term:   p_u = tanh( W_p UserAttention(e_u, long-term embeddings) )
 *   fusion:      G = sigmoid(W_1 e_u + W_2 s_t + W_3 p_u + b),   o_u = (1 - G) * p_u + G * s_t
 * UserAttention is attention pooling with the projected profile as query (QueryAttentionPooling); the paper's
 * session encoder is an LSTM, a GRU here. o_u is scored against the item id embedding (dot, sampled softmax by
 * default).
 */
export class SDM extends MatchModel {
  static readonly modelName = 'SDM';
  readonly shortTermFeature: string;
  readonly longTermFeature: string;
  private readonly gru: GRU;
  private readonly selfAttention: SasRecBlock;
  private readonly shortAttention: QueryAttentionPooling;
  private readonly longAttention: QueryAttentionPooling;
  private readonly longProjection: Dense;
  private readonly gate: Dense;
  private readonly profileWidth: number;

  constructor(config: SDMConfig) {
    super({ similarity: 'dot', negatives: 'sampled', ...config });
    if (this.itemSparse.length !== 1 || this.itemDense.length !== 0) {
      throw new Error(`SDM: the item side is the item id embedding; itemFeatures must be exactly the id feature (got ${this.itemFeatures.map((f) => f.name).join(', ')})`);
    }
    const d = this.itemIdFeature.embeddingDim;
    const find = (field: 'shortTermFeature' | 'longTermFeature') => {
      const name = config[field];
      const f = this.userSequences.find((s) => s.name === name);
      if (!f) throw new Error(`SDM: ${field} '${name ?? ''}' must be a user SequenceFeature (user sequences: ${this.userSequences.map((s) => s.name).join(', ') || 'none'})`);
      if (f.embeddingDim !== d) throw new Error(`SDM: ${field} '${name}' has width ${f.embeddingDim}; it must have the item embedding width ${d}`);
      return f;
    };
    const short = find('shortTermFeature');
    const long = find('longTermFeature');
    if (short.name === long.name) throw new Error(`SDM: shortTermFeature and longTermFeature must be different sequences (both '${short.name}')`);
    this.shortTermFeature = short.name;
    this.longTermFeature = long.name;
    const skip = [short.name, long.name];
    this.checkPooledSequences(skip);
    this.profileWidth = this.userFlatWidth(skip);
    const heads = config.heads ?? 2;
    if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0) throw new Error(`SDM: heads must be a positive integer dividing the item embedding width ${d} (got ${config.heads})`);
    this.gru = this.addChild('gru', new GRU(d, d, this.initRng));
    this.selfAttention = this.addChild('self_attention', new SasRecBlock(d, { heads, dropout: 0 }, this.initRng));
    this.shortAttention = this.addChild('short_attention', new QueryAttentionPooling(d, this.profileWidth, this.initRng));
    this.longAttention = this.addChild('long_attention', new QueryAttentionPooling(d, this.profileWidth, this.initRng));
    this.longProjection = this.addChild('long_projection', new Dense(d, d, this.initRng, 'tanh'));
    this.gate = this.addChild('gate', new Dense(this.profileWidth + 2 * d, d, this.initRng, 'sigmoid'));
  }

  protected userTower(u: UserTowerInputs, ctx: ForwardContext): UserRepresentation {
    const profile = this.userFlat(u, [this.shortTermFeature, this.longTermFeature]);
    const session = u.sequences[this.shortTermFeature];
    const lengths = Int32Array.from(tf.sum(session.mask, 1).dataSync(), Math.round);
    const hidden = this.gru.apply(session.values, session.mask, { returnSequence: true }).sequence!;
    const L = hidden.shape[1];
    // causal self-attention over the session states (time-major for the block)
    const attended = tf.transpose(this.selfAttention.apply(tf.transpose(hidden, [1, 0, 2]) as tf.Tensor3D, new SequenceBatch({ length: L, lengths }), ctx), [1, 0, 2]) as tf.Tensor3D;
    const s = this.shortAttention.apply(attended, session.mask, profile);
    const longSeq = u.sequences[this.longTermFeature];
    const p = this.longProjection.apply(this.longAttention.apply(longSeq.values, longSeq.mask, profile)) as tf.Tensor2D;
    const g = this.gate.apply(tf.concat(profile ? [profile, s, p] : [s, p], 1)) as tf.Tensor2D;
    return { vectors: tf.add(tf.mul(tf.sub(1, g), p), tf.mul(g, s)) as tf.Tensor2D };
  }

  protected itemTower(i: ItemTowerInputs): tf.Tensor2D {
    return i.sparse[this.itemIdFeature.name];
  }
}

models.register(SDM.modelName, SDM);
