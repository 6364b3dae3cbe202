import * as tf from '@tensorflow/tfjs-core';
import { DenseFeature, SequenceFeature, SparseFeature } from '../../basic/features';
import { EmbeddingRequest } from '../../basic/embedding/embedding-collection';
import { ForwardContext, Module } from '../../basic/layers/module';
import { SequencePooler } from '../../basic/layers/sequence-pooling';
import { TargetAttentionConfig } from '../../basic/layers/target-attention';
import { Rng } from '../../basic/random';
import type { BaseModel, ModelInputs } from '../../basic/model/base-model';

/** A feature named by its name or given as the declared feature object. */
export type FeatureRef = string | { name: string };

/** Role assignment shared by behaviour-sequence models (DIN, DIEN). */
export interface BehaviorRoleConfig {
  /** The behaviour history: a declared SequenceFeature. */
  behaviorFeature: FeatureRef;
  /** The candidate item: a declared SparseFeature reading the same table as the behaviour (same embeddingName). */
  targetItemFeature: FeatureRef;
  /**
   * User / context features (sparse, dense or sequence) fed to the final MLP. Every declared feature must have
   * exactly one role, so nothing is silently ignored. Context sequences are pooled by their own `pooling`
   * ('attention' pools them against the target item).
   */
  contextFeatures: FeatureRef[];
}

/** Resolved roles. */
export interface BehaviorRoles {
  behavior: SequenceFeature;
  target: SparseFeature;
  sparse: SparseFeature[];
  dense: DenseFeature[];
  sequences: SequenceFeature[];
}

const refName = (r: FeatureRef): string => (typeof r === 'string' ? r : r?.name);

/** Check and resolve the roles against the model's declared features; errors name the offending feature. */
export function resolveBehaviorRoles(model: BaseModel, cfg: BehaviorRoleConfig): BehaviorRoles {
  const owner = model.modelName();
  const byName = new Map(model.allFeatures().map((f) => [f.name, f]));
  const find = (ref: FeatureRef, field: string) => {
    const name = refName(ref);
    if (typeof name !== 'string' || !name) throw new Error(`${owner}: ${field} must name a declared feature (got ${JSON.stringify(ref)})`);
    const f = byName.get(name);
    if (!f) throw new Error(`${owner}: ${field} '${name}' is not a declared feature (declared: ${[...byName.keys()].join(', ')})`);
    return f;
  };
  const behavior = find(cfg.behaviorFeature, 'behaviorFeature');
  if (!(behavior instanceof SequenceFeature)) throw new Error(`${owner}: behaviorFeature '${behavior.name}' must be a SequenceFeature (declare it in sequenceFeatures)`);
  const target = find(cfg.targetItemFeature, 'targetItemFeature');
  if (!(target instanceof SparseFeature)) throw new Error(`${owner}: targetItemFeature '${target.name}' must be a SparseFeature (declare it in sparseFeatures)`);
  if (target.tableName !== behavior.tableName) {
    throw new Error(
      `${owner}: targetItemFeature '${target.name}' reads table '${target.tableName}' but behaviorFeature '${behavior.name}' reads '${behavior.tableName}'; give both the same embeddingName`,
    );
  }
  if (!Array.isArray(cfg.contextFeatures)) throw new Error(`${owner}: contextFeatures must be a list of feature names ([] for none)`);
  const assigned = new Set([behavior.name, target.name]);
  const roles: BehaviorRoles = { behavior, target, sparse: [], dense: [], sequences: [] };
  cfg.contextFeatures.forEach((ref, i) => {
    const f = find(ref, `contextFeatures[${i}]`);
    if (assigned.has(f.name)) throw new Error(`${owner}: contextFeatures[${i}] '${f.name}' already has a role (behaviour, target or an earlier context entry)`);
    assigned.add(f.name);
    if (f instanceof SparseFeature) roles.sparse.push(f);
    else if (f instanceof DenseFeature) roles.dense.push(f);
    else roles.sequences.push(f);
  });
  const unassigned = [...byName.keys()].filter((n) => !assigned.has(n));
  if (unassigned.length) throw new Error(`${owner}: feature(s) ${unassigned.map((n) => `'${n}'`).join(', ')} have no role; add them to contextFeatures or remove them`);
  return roles;
}

/**
 * Embeds the behaviour, the target item and the context of a behaviour-sequence model: declares the embedding
 * requests and builds the flat context vector [B, width] (sparse embeddings, pooled context sequences, dense).
 */
export class BehaviorContext extends Module {
  /** Width of the context vector (0 without context features). */
  readonly width: number;
  private readonly poolers: SequencePooler[];
  private readonly sparseGroups: Array<{ key: string; dim: number; count: number }> = [];

  constructor(
    readonly roles: BehaviorRoles,
    attention: TargetAttentionConfig,
    rng: Rng,
  ) {
    super();
    const byDim = new Map<number, SparseFeature[]>();
    for (const f of roles.sparse) byDim.set(f.embeddingDim, [...(byDim.get(f.embeddingDim) ?? []), f]);
    for (const [dim, fs] of byDim) this.sparseGroups.push({ key: `context:d${dim}`, dim, count: fs.length });
    this.poolers = roles.sequences.map((s) => {
      if (s.pooling === 'none') throw new Error(`context sequence feature '${s.name}' needs a pooling (mean, sum, max or attention), not 'none'`);
      return this.addChild(`pool_${s.name}`, new SequencePooler(s.pooling, s.embeddingDim, rng, { ...attention, queryDim: roles.target.embeddingDim }));
    });
    this.width =
      this.sparseGroups.reduce((s, g) => s + g.dim * g.count, 0) +
      roles.sequences.reduce((s, f) => s + f.embeddingDim, 0) +
      roles.dense.reduce((s, f) => s + f.dim, 0);
  }

  /** Embedding requests: 'behavior' [B, L, D] + mask, 'target' [B, 1, D], and the context blocks. */
  requests(): EmbeddingRequest[] {
    const out: EmbeddingRequest[] = [
      { key: 'behavior', kind: 'sequence', feature: this.roles.behavior.name },
      { key: 'target', kind: 'stack', features: [this.roles.target.name] },
    ];
    const byDim = new Map<number, string[]>();
    for (const f of this.roles.sparse) byDim.set(f.embeddingDim, [...(byDim.get(f.embeddingDim) ?? []), f.name]);
    for (const g of this.sparseGroups) out.push({ key: g.key, kind: 'stack', features: byDim.get(g.dim)! });
    for (const s of this.roles.sequences) out.push({ key: `context:${s.name}`, kind: 'sequence', feature: s.name });
    return out;
  }

  /** The target item embedding [B, D]. */
  target(inputs: ModelInputs): tf.Tensor2D {
    const t = inputs.embeddings.target;
    return t.reshape([t.shape[0], t.shape[2]!]) as tf.Tensor2D;
  }

  /** Context parts to concatenate (empty without context features). */
  parts(inputs: ModelInputs, ctx: ForwardContext, target: tf.Tensor2D): tf.Tensor2D[] {
    const B = inputs.batchSize;
    const parts: tf.Tensor2D[] = [];
    for (const g of this.sparseGroups) parts.push(inputs.embeddings[g.key].reshape([B, g.count * g.dim]) as tf.Tensor2D);
    this.roles.sequences.forEach((s, i) => {
      const key = `context:${s.name}`;
      parts.push(this.poolers[i].apply(inputs.embeddings[key] as tf.Tensor3D, inputs.masks[key], ctx, target));
    });
    // every dense feature is context (roles are exhaustive), so the model's concatenated dense block is exactly it
    if (this.roles.dense.length && inputs.dense) parts.push(inputs.dense);
    return parts;
  }
}
