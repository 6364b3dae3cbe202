import * as tf from '@tensorflow/tfjs-core';
import { CapsuleRouting } from '../../basic/layers/capsule';
import { SelfAttentiveInterests } from '../../basic/layers/self-attentive-interests';
import { TopK } from '../../basic/retrieval-metrics';
import { models } from '../../basic/model/model-registry';
import { DataInput } from '../../basic/model/types';
import { ItemTowerInputs, MatchModel, MatchModelConfig, Recommendations, UserRepresentation, UserTowerInputs } from './match-model';

/** ComiRec settings. */
export interface ComiRecConfig extends MatchModelConfig {
  /** 'sa': self-attentive interest extraction (ComiRec-SA, default); 'dr': dynamic routing (ComiRec-DR). */
  variant?: 'sa' | 'dr';
  /** The behaviour sequence the interests are extracted from (default: the first user SequenceFeature). */
  behaviorFeature?: string;
  /** Number of interests K (default 4). */
  numInterests?: number;
  /** 'sa': hidden width d_a of the attention (default 4 x the behaviour width). */
  attentionDim?: number;
  /** 'dr': routing iterations (default 3). */
  routingIterations?: number;
}

/** Options of {@link ComiRec.recommendDiverse}. */
export interface DiverseRecommendOptions {
  /** Category of every item, indexed by item id (e.g. a genre column). */
  categories: ArrayLike<number>;
  /** Weight lambda of the diversity term (default 0: plain ranking by the best interest's score). */
  lambda?: number;
  /** Candidates each interest retrieves before aggregation (default k). */
  candidatesPerInterest?: number;
  /** As in recommend: true excludes each row's history, a list per row gives the items. */
  excludeSeen?: boolean | ArrayLike<number>[];
}

/**
 * ComiRec (Cen et al., KDD 2020): K interest vectors from the behaviour sequence,
 *   SA:  A = softmax(W2^T tanh(W1^T H^T)),  V_u = A H          (SelfAttentiveInterests)
 *   DR:  capsule routing of the behaviours into K interests     (CapsuleRouting, shared bilinear map as MIND's)
 * The item side is the item id embedding. Training scores the target with the interest closest to it,
 * v_u = V_u[argmax_k V_u[k] . e_i] (the paper's hard selection), inside the model's objective (default sampled
 * softmax). Serving: each interest retrieves its nearest items; `recommend` ranks by max_k V_u[k] . e_i, and
 * `recommendDiverse` aggregates with the paper's controllable diversity,
 *   Q(u, S) = sum_{i in S} f(u, i) + lambda sum_{i in S} sum_{j in S, j before i} [cat(i) != cat(j)],
 * maximised greedily over the union of the interests' candidates, f(u, i) = max_k V_u[k] . e_i / T.
 */
export class ComiRec extends MatchModel {
  static readonly modelName = 'ComiRec';
  readonly variant: 'sa' | 'dr';
  readonly behaviorFeature: string;
  readonly numInterests: number;
  private readonly attention: SelfAttentiveInterests | null = null;
  private readonly routing: CapsuleRouting | null = null;

  constructor(config: ComiRecConfig) {
    super({ similarity: 'dot', negatives: 'sampled', ...config });
    const beh = this.userSequences.find((f) => f.name === (config.behaviorFeature ?? this.userSequences[0]?.name));
    if (!beh) throw new Error(`ComiRec: behaviorFeature '${config.behaviorFeature ?? ''}' must be a user SequenceFeature (user sequences: ${this.userSequences.map((f) => f.name).join(', ') || 'none'})`);
    if (this.itemSparse.length !== 1 || this.itemDense.length !== 0) {
      throw new Error(`ComiRec: the item side is the item id embedding; itemFeatures must be exactly the id feature (got ${this.itemFeatures.map((f) => f.name).join(', ')})`);
    }
    if (beh.embeddingDim !== this.itemIdFeature.embeddingDim) throw new Error(`ComiRec: the behaviour feature '${beh.name}' (width ${beh.embeddingDim}) must have the item embedding width ${this.itemIdFeature.embeddingDim}: interests are mixes of behaviours scored against items`);
    const others = this.userFeatures.filter((f) => f.name !== beh.name).map((f) => f.name);
    if (others.length) throw new Error(`ComiRec: the user side is the behaviour sequence only; remove ${others.join(', ')} from userFeatures`);
    this.behaviorFeature = beh.name;
    this.variant = config.variant ?? 'sa';
    if (this.variant !== 'sa' && this.variant !== 'dr') throw new Error(`ComiRec: variant must be 'sa' or 'dr' (got '${config.variant}')`);
    this.numInterests = config.numInterests ?? 4;
    if (!Number.isInteger(this.numInterests) || this.numInterests < 1) throw new Error(`ComiRec: numInterests must be a positive integer (got ${config.numInterests})`);
    if (this.variant === 'sa') {
      this.attention = this.addChild('attention', new SelfAttentiveInterests({ inputDim: beh.embeddingDim, numInterests: this.numInterests, attentionDim: config.attentionDim, maxLen: beh.maxLen }, this.initRng));
    } else {
      this.routing = this.addChild('routing', new CapsuleRouting({ inputDim: beh.embeddingDim, numCapsules: this.numInterests, maxLen: beh.maxLen, iterations: config.routingIterations ?? 3, initStd: 0.1 }, this.initRng));
    }
  }

  protected userTower(u: UserTowerInputs): UserRepresentation {
    const { values, mask } = u.sequences[this.behaviorFeature];
    if (this.attention) return { vectors: this.attention.apply(values, mask) };
    return { vectors: this.routing!.apply(values, mask).capsules };
  }

  protected itemTower(i: ItemTowerInputs): tf.Tensor2D {
    return i.sparse[this.itemIdFeature.name];
  }

  /**
   * Top-k per row balancing relevance and category diversity (see the class doc): each interest retrieves its
   * `candidatesPerInterest` best items (exact search), and k items are picked greedily by
   * f(u, i) + lambda * (number of already picked items of another category). lambda = 0 gives `recommend`'s ranking.
   */
  async recommendDiverse(users: DataInput, k: number, opts: DiverseRecommendOptions): Promise<Recommendations> {
    if (!Number.isInteger(k) || k < 1) throw new Error(`recommendDiverse: k must be a positive integer (got ${k})`);
    const lambda = opts.lambda ?? 0;
    if (!(lambda >= 0)) throw new Error(`recommendDiverse: lambda must be >= 0 (got ${opts.lambda})`);
    const perInterest = opts.candidatesPerInterest ?? k;
    if (!Number.isInteger(perInterest) || perInterest < 1) throw new Error(`recommendDiverse: candidatesPerInterest must be a positive integer (got ${opts.candidatesPerInterest})`);
    if (!opts.categories) throw new Error('recommendDiverse: categories (the category of every item id) is required');
    const cats = opts.categories;
    const u = await this.userEmbeddings(users);
    const items = this.itemEmbeddings();
    const ids = items.ids!;
    for (const id of ids) if (!(id < cats.length)) throw new Error(`recommendDiverse: categories has ${cats.length} entries but the catalogue holds item id ${id}; index it by item id`);
    const [N, K, D] = u.shape;
    const exclude = this.exclusionLists(users, opts.excludeSeen);
    const inv = 1 / this.temperature;
    const outIds: Int32Array[] = [];
    const outScores: Float32Array[] = [];
    const heap = new TopK(perInterest);
    const buf = { ids: new Int32Array(perInterest), scores: new Float32Array(perInterest) };
    for (let n = 0; n < N; n++) {
      const ex = exclude[n];
      const best = new Map<number, number>();
      for (let q = 0; q < K; q++) {
        if (u.interestMask && u.interestMask[n * K + q] === 0) continue;
        const v = u.values.subarray((n * K + q) * D, (n * K + q + 1) * D);
        heap.clear();
        for (let i = 0; i < ids.length; i++) {
          let s = 0;
          for (let j = 0; j < D; j++) s += v[j] * items.values[i * D + j];
          s *= inv;
          if (!heap.accepts(s, ids[i]) || (ex && ex.has(ids[i]))) continue;
          heap.push(s, ids[i]);
        }
        const got = heap.drainInto(buf.ids, buf.scores, 0);
        for (let j = 0; j < got; j++) best.set(buf.ids[j], Math.max(best.get(buf.ids[j]) ?? -Infinity, buf.scores[j]));
      }
      const candidates = Array.from(best, ([id, s]) => ({ id, s }));
      const picked: Array<{ id: number; s: number }> = [];
      const perCategory = new Map<number, number>();
      while (picked.length < k && candidates.length) {
        let bi = -1;
        let bg = -Infinity;
        for (let c = 0; c < candidates.length; c++) {
          const { id, s } = candidates[c];
          const gain = s + lambda * (picked.length - (perCategory.get(cats[id]) ?? 0));
          if (gain > bg || (gain === bg && id < candidates[bi].id)) [bi, bg] = [c, gain];
        }
        const [chosen] = candidates.splice(bi, 1);
        picked.push(chosen);
        perCategory.set(cats[chosen.id], (perCategory.get(cats[chosen.id]) ?? 0) + 1);
      }
      outIds.push(Int32Array.from(picked, (p) => p.id));
      outScores.push(Float32Array.from(picked, (p) => p.s));
    }
    return { k, ids: outIds, scores: outScores };
  }
}

models.register(ComiRec.modelName, ComiRec);
