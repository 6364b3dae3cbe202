import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { DenseFeature, SparseFeature } from '../../basic/features';

/**
 * Sparse features with at most this many ids enter a condition input one-hot: group and scenario indicators have
 * few ids, and their freshly initialised embeddings are near zero, so gates fed with them would treat every group
 * alike until the embeddings had grown.
 */
export const ONE_HOT_MAX_VOCAB = 64;

/** One feature of a condition input (scenario, domain or personalisation features). */
export interface ConditionPart {
  name: string;
  kind: 'dense' | 'onehot' | 'embedding';
  width: number;
}

/**
 * Resolve the names of a model's condition features (e.g. PEPNet's domain features, APG's condition): each must be
 * a declared sparse or dense feature; small-vocabulary sparse ones enter one-hot, larger ones through their embedding.
 */
export function conditionParts(owner: string, field: string, names: unknown, sparse: SparseFeature[], dense: DenseFeature[]): ConditionPart[] {
  if (!Array.isArray(names) || names.length === 0) throw new Error(`${owner}: ${field} must name at least one sparse or dense feature (e.g. ['scenario'])`);
  if (new Set(names).size !== names.length) throw new Error(`${owner}: ${field} lists a feature twice (${names.join(', ')})`);
  return names.map((name: string) => {
    const s = sparse.find((f) => f.name === name);
    const d = dense.find((f) => f.name === name);
    if (!s && !d) {
      const known = [...sparse, ...dense].map((f) => f.name).join(', ');
      throw new Error(`${owner}: ${field}: '${name}' is not a declared sparse or dense feature (known: ${known})`);
    }
    if (d) return { name, kind: 'dense', width: d.dim };
    const oneHot = !s!.hashing && s!.vocabSize <= ONE_HOT_MAX_VOCAB;
    return { name, kind: oneHot ? 'onehot' : 'embedding', width: oneHot ? s!.vocabSize : s!.embeddingDim };
  });
}

/** The condition input [B, sum of widths] of a batch. */
export function conditionInput(parts: ConditionPart[], inputs: ModelInputs, embedding: (name: string) => tf.Tensor2D): tf.Tensor2D {
  const cols = parts.map((part) => {
    if (part.kind === 'dense') return inputs.denseFeature(part.name);
    if (part.kind === 'embedding') return embedding(part.name);
    return oneHot(inputs, part.name, part.width);
  });
  return cols.length === 1 ? cols[0] : (tf.concat(cols, 1) as tf.Tensor2D);
}

/** One-hot [B, width] of a sparse feature's ids (ids are checked against the vocabulary when data is bound). */
export function oneHot(inputs: ModelInputs, name: string, width: number): tf.Tensor2D {
  const B = inputs.batchSize;
  const ids = inputs.data.column(name).data;
  const hot = new Float32Array(B * width);
  for (let i = 0; i < B; i++) hot[i * width + ids[inputs.indices[i]]] = 1;
  return tf.tensor2d(hot, [B, width]);
}
