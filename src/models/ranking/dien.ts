import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { EmbeddingBlock } from '../../basic/embedding/embedding-collection';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { GRU } from '../../basic/layers/gru';
import { TargetAttention, TargetAttentionConfig } from '../../basic/layers/target-attention';
import { models } from '../../basic/model/model-registry';
import { bceWithLogits } from '../../loss/pointwise';
import { Dataset } from '../../basic/dataset/dataset';
import { BehaviorContext, BehaviorRoleConfig, resolveBehaviorRoles } from './behavior-context';

/** How the interest evolving layer uses the attention scores a_t (DIEN paper, section 4.3). */
export type InterestEvolution = 'augru' | 'aigru' | 'agru';

/** DIEN settings: the declared features, their roles, and the layer sizes. */
export interface DIENConfig extends BaseModelConfig, BehaviorRoleConfig {
  /** Hidden width of both GRUs (default: the behaviour embeddingDim). */
  gruHidden?: number;
  /** 'augru' (default): attention scales the update gate; 'aigru': attention scales the GRU input; 'agru': attention replaces the update gate. */
  evolution?: InterestEvolution;
  /** Attention between the extracted interests and the target item; scores are always softmax-normalised (default dims [80, 40], sigmoid). */
  attention?: Omit<TargetAttentionConfig, 'softmax'>;
  /** Weight of the auxiliary next-behaviour loss (default 1; 0 switches it and the negative sampling off). */
  auxLossWeight?: number;
  /** Auxiliary classifier: 'dot' (<h_t, e>; needs gruHidden = embeddingDim) or 'mlp' (MLP([h_t; e])). Default 'dot' when the widths match, else 'mlp'. */
  auxClassifier?: 'dot' | 'mlp';
  /** Hidden layers of the 'mlp' auxiliary classifier (default { dims: [32], activation: 'sigmoid' }). */
  auxMlp?: MlpConfig;
  /** Final MLP (default { dims: [200, 80] }). */
  mlp?: MlpConfig;
}

/** Tensors of the current training forward pass that the auxiliary loss needs. */
interface AuxInputs {
  states: tf.Tensor3D;
  behavior: tf.Tensor3D;
  mask: tf.Tensor2D;
  negatives: tf.Tensor3D;
}

const NEG_KEY = 'dien:negatives';

/**
 * Deep Interest Evolution Network (Zhou et al., AAAI 2019).
 * 1. Interest extractor: a GRU over the behaviour embeddings e_1..e_L gives interest states h_1..h_L. An auxiliary
 *    loss makes h_t predict the next behaviour: BCE of classifier(h_t, e_{t+1}) = 1 against classifier(h_t, ê_{t+1})
 *    = 0 for a negative item ê sampled uniformly from the item vocabulary, over real steps t+1 only.
 * 2. Interest evolving: attention a_t = softmax_t(att(e_target, h_t)) over real steps, then AUGRU (default), AIGRU
 *    or AGRU over h_1..h_L; its state at each row's last real step is the evolved interest h'.
 * 3. y = MLP([context; e_target; h']).
 * Padding is masked out of both GRUs (a padded step keeps the previous state exactly), of the attention softmax
 * and of the auxiliary loss. The training loss reported by fit includes auxLossWeight x the auxiliary loss.
 */
export class DIEN extends BaseModel {
  static readonly modelName = 'DIEN';
  readonly auxLossWeight: number;
  readonly evolution: InterestEvolution;
  private readonly context: BehaviorContext;
  private readonly extractor: GRU;
  private readonly attention: TargetAttention;
  private readonly evolver: GRU;
  private readonly auxMlp: Mlp | null;
  private readonly mlp: Mlp;
  private readonly vocab: number;
  private readonly behaviorName: string;
  /** Set by a training forward pass, consumed by trainingLoss of the same step. */
  private pendingAux: AuxInputs | null = null;

  constructor(config: DIENConfig) {
    super(config);
    const roles = resolveBehaviorRoles(this, config);
    this.behaviorName = roles.behavior.name;
    this.vocab = roles.behavior.vocabSize;
    const D = roles.behavior.embeddingDim;
    const H = config.gruHidden ?? D;
    if (!Number.isInteger(H) || H < 1) throw new Error(`DIEN: gruHidden must be a positive integer (got ${config.gruHidden})`);
    this.evolution = config.evolution ?? 'augru';
    if (!['augru', 'aigru', 'agru'].includes(this.evolution)) throw new Error(`DIEN: evolution must be 'augru', 'aigru' or 'agru' (got '${this.evolution as string}')`);
    this.auxLossWeight = config.auxLossWeight ?? 1;
    if (!(this.auxLossWeight >= 0) || !Number.isFinite(this.auxLossWeight)) throw new Error(`DIEN: auxLossWeight must be a finite number >= 0 (got ${config.auxLossWeight})`);
    const auxKind = config.auxClassifier ?? (H === D ? 'dot' : 'mlp');
    if (auxKind !== 'dot' && auxKind !== 'mlp') throw new Error(`DIEN: auxClassifier must be 'dot' or 'mlp' (got '${auxKind as string}')`);
    if (auxKind === 'dot' && H !== D) throw new Error(`DIEN: auxClassifier 'dot' needs gruHidden (${H}) equal to the behaviour embeddingDim (${D}); use 'mlp'`);
    if (roles.behavior.vocabSize < 3 && this.auxLossWeight > 0) throw new Error('DIEN: the auxiliary loss needs an item vocabulary of at least 2 real ids');

    const attention = { dims: [80, 40], ...(config.attention ?? {}) };
    this.context = this.addChild('context', new BehaviorContext(roles, attention, this.initRng));
    for (const r of this.context.requests()) this.requestEmbedding(r);
    this.extractor = this.addChild('extractor', new GRU(D, H, this.initRng, 'gru'));
    this.attention = this.addChild('attention', new TargetAttention(H, { ...attention, softmax: true }, this.initRng, D));
    this.evolver = this.addChild('evolver', new GRU(H, H, this.initRng, this.evolution === 'aigru' ? 'gru' : this.evolution));
    this.auxMlp =
      auxKind === 'mlp'
        ? this.addChild('aux_mlp', new Mlp(H + D, { ...(config.auxMlp ?? { dims: [32], activation: 'sigmoid' }), outputDim: 1 }, this.initRng, 'DIEN aux'))
        : null;
    const inDim = this.context.width + D + H;
    this.mlp = this.addChild('mlp', new Mlp(inDim, { ...(config.mlp ?? { dims: [200, 80] }), outputDim: this.targets.length }, this.initRng, 'DIEN'));
  }

  /** Negative items for the auxiliary loss: one per real step t+1 >= 2, uniform over 1..vocab-1 and never the positive. */
  protected override extraBlocks(data: Dataset, indices: Int32Array, ctx: ForwardContext): EmbeddingBlock[] {
    if (this.auxLossWeight === 0) return [];
    const col = data.column(this.behaviorName);
    const L = col.width;
    if (L < 2) return [];
    const B = indices.length;
    const src = col.data as Int32Array;
    const ids = new Int32Array(B * (L - 1));
    for (let i = 0; i < B; i++) {
      const off = indices[i] * L;
      for (let t = 1; t < L; t++) {
        const pos = src[off + t];
        // padding stays id 0: a zero row that gets no update, and the loss masks it out anyway
        if (pos === 0) continue;
        let neg = 1 + ctx.rng.int(this.vocab - 1);
        while (neg === pos) neg = 1 + ctx.rng.int(this.vocab - 1);
        ids[i * (L - 1) + t - 1] = neg;
      }
    }
    return [this.embeddings.lookupIds(NEG_KEY, this.behaviorName, ids, [B, L - 1])];
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const behavior = inputs.embeddings.behavior as tf.Tensor3D;
    const mask = inputs.masks.behavior;
    const target = this.context.target(inputs);
    const { sequence } = this.extractor.apply(behavior, mask, { returnSequence: true });
    const states = sequence!;
    const scores = this.attention.weights(target, states, mask, ctx);
    let evolved: tf.Tensor2D;
    if (this.evolution === 'aigru') {
      const [B, L, H] = states.shape;
      evolved = this.evolver.apply(tf.mul(states, scores.reshape([B, L, 1])) as tf.Tensor3D, mask).last;
    } else {
      evolved = this.evolver.apply(states, mask, { attention: scores }).last;
    }
    if (ctx.training && this.auxLossWeight > 0 && inputs.embeddings[NEG_KEY]) {
      this.pendingAux = { states, behavior, mask, negatives: inputs.embeddings[NEG_KEY] as tf.Tensor3D };
    }
    const x = tf.concat([...this.context.parts(inputs, ctx, target), target, evolved], 1) as tf.Tensor2D;
    return this.mlp.apply(x, ctx);
  }

  /** Target loss plus auxLossWeight x the auxiliary next-behaviour loss. */
  protected override trainingLoss(inputs: ModelInputs, labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    this.pendingAux = null;
    const main = super.trainingLoss(inputs, labels, ctx);
    const aux = this.pendingAux as AuxInputs | null;
    this.pendingAux = null;
    if (!aux) return main;
    return tf.add(main, tf.mul(this.auxLoss(aux, ctx), this.auxLossWeight)) as tf.Scalar;
  }

  /** Mean BCE of the next-behaviour classifier over real steps 2..L (positives and negatives). */
  private auxLoss({ states, behavior, mask, negatives }: AuxInputs, ctx: ForwardContext): tf.Scalar {
    const [B, L, H] = states.shape;
    const D = behavior.shape[2];
    const n = B * (L - 1);
    const h = states.slice([0, 0, 0], [B, L - 1, H]);
    const pos = behavior.slice([0, 1, 0], [B, L - 1, D]);
    const m = mask.slice([0, 1], [B, L - 1]).reshape([n]);
    const logit = (items: tf.Tensor3D): tf.Tensor1D => {
      if (!this.auxMlp) return tf.sum(tf.mul(h, items), 2).reshape([n]);
      const x = tf.concat([h, items], 2).reshape([n, H + D]) as tf.Tensor2D;
      return this.auxMlp.apply(x, ctx).reshape([n]);
    };
    const logits = tf.concat([logit(pos), logit(negatives)]);
    const targets = tf.concat([tf.ones([n]), tf.zeros([n])]);
    return bceWithLogits(logits, targets, tf.concat([m, m]));
  }
}

models.register(DIEN.modelName, DIEN);
