import { DenseFeature, featureFromSpec, FeatureSpec, featureToSpec, SequenceFeature, SparseFeature } from '../features';

const FEATURE_TAG = '$feature';

/** Turn a model config into plain JSON, replacing feature objects with tagged specs. */
export function encodeConfig(value: unknown): unknown {
  if (value instanceof SparseFeature || value instanceof DenseFeature || value instanceof SequenceFeature) {
    return { [FEATURE_TAG]: featureToSpec(value) };
  }
  if (Array.isArray(value)) return value.map(encodeConfig);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = encodeConfig(v);
    return out;
  }
  return value;
}

/** Inverse of {@link encodeConfig}: tagged specs become validated feature objects again. */
export function decodeConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeConfig);
  if (value && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    if (FEATURE_TAG in rec) return featureFromSpec(rec[FEATURE_TAG] as FeatureSpec);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = decodeConfig(v);
    return out;
  }
  return value;
}
