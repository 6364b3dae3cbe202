import { SequenceFeature, SparseFeature } from '../../basic/features';
import type { BaseModel } from '../../basic/model/base-model';
import type { FeatureRef } from './behavior-context';

/** The behaviour sequence and candidate item of a transformer ranking model (BST, OneTrans). */
export interface SequenceRoleConfig {
  /** The behaviour history: a declared SequenceFeature (the model's only sequence feature). */
  behaviorFeature: FeatureRef;
  /** The candidate item: a declared SparseFeature reading the same table as the behaviour (same embeddingName). */
  targetItemFeature: FeatureRef;
  /**
   * Optional, for configs shared with DIN / DIEN: when given it must list exactly the other declared features (every
   * feature besides the two roles is context either way).
   */
  contextFeatures?: FeatureRef[];
}

/** Resolve and check the roles; every other feature is context. Errors name the offending feature. */
export function resolveSequenceRoles(model: BaseModel, cfg: SequenceRoleConfig): { behavior: SequenceFeature; target: SparseFeature } {
  const owner = model.modelName();
  const name = (r: FeatureRef) => (typeof r === 'string' ? r : r?.name);
  const behavior = model.sequenceFeatures.find((f) => f.name === name(cfg.behaviorFeature));
  if (!behavior) throw new Error(`${owner}: behaviorFeature '${name(cfg.behaviorFeature)}' must name a declared SequenceFeature (declared: ${model.sequenceFeatures.map((f) => f.name).join(', ') || 'none'})`);
  const others = model.sequenceFeatures.filter((f) => f !== behavior);
  if (others.length) throw new Error(`${owner}: only the behaviour sequence may be a SequenceFeature; '${others[0].name}' is another one (pool it upstream or drop it)`);
  const target = model.sparseFeatures.find((f) => f.name === name(cfg.targetItemFeature));
  if (!target) throw new Error(`${owner}: targetItemFeature '${name(cfg.targetItemFeature)}' must name a declared SparseFeature`);
  if (target.tableName !== behavior.tableName || target.embeddingDim !== behavior.embeddingDim) {
    throw new Error(`${owner}: targetItemFeature '${target.name}' and behaviorFeature '${behavior.name}' must read the same table; give both the same embeddingName`);
  }
  if (cfg.contextFeatures !== undefined) {
    const listed = new Set(cfg.contextFeatures.map(name));
    const rest = model.allFeatures().filter((f) => f !== behavior && f !== target).map((f) => f.name);
    const missing = rest.filter((n) => !listed.has(n));
    const unknown = [...listed].filter((n) => !rest.includes(n as string));
    if (missing.length || unknown.length) {
      throw new Error(`${owner}: contextFeatures must list exactly the features besides the behaviour and target (${rest.join(', ') || 'none'}); ${missing.length ? `missing ${missing.join(', ')}` : `not context: ${unknown.join(', ')}`}`);
    }
  }
  return { behavior, target };
}
