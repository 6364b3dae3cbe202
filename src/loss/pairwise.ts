/**
 * Pairwise ranking losses for retrieval (match) models: each positive score is compared with the scores of
 * negatives of the same query. They take logits (similarities divided by a temperature), not probabilities.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softplus } from './softplus';
import { Registry } from '../basic/registry';

/**
 * A pairwise loss: `pos` [B] or [B, 1] scores of the positives, `neg` [B, N] scores of N negatives per query,
 * `weights` optional [B, N] pair weights (0 drops a pair, e.g. an accidental hit). Returns the weighted mean
 * over pairs.
 */
export type PairwiseLossFn = (pos: tf.Tensor, neg: tf.Tensor, weights?: tf.Tensor) => tf.Scalar;

/** Builds a pairwise loss from numeric parameters. */
export type PairwiseLossFactory = (params?: Record<string, number>) => PairwiseLossFn;

/** A mask of only dropped pairs must give loss 0 (and zero gradients), not 0 / 0. */
const MIN_WEIGHT_SUM = 1e-12;

function pairDifferences(fn: string, pos: tf.Tensor, neg: tf.Tensor, weights?: tf.Tensor): tf.Tensor2D {
  if (neg.rank !== 2) throw new Error(`${fn}: neg must have shape [B, N], got [${neg.shape.join(',')}]`);
  const B = neg.shape[0];
  if (!(pos.rank === 1 && pos.shape[0] === B) && !(pos.rank === 2 && pos.shape[0] === B && pos.shape[1] === 1)) {
    throw new Error(`${fn}: pos must have shape [${B}] or [${B},1] to match neg [${neg.shape.join(',')}], got [${pos.shape.join(',')}]`);
  }
  if (weights && weights.shape.join(',') !== neg.shape.join(',')) throw new Error(`${fn}: weights must have the shape of neg [${neg.shape.join(',')}], got [${weights.shape.join(',')}]`);
  return tf.sub(pos.reshape([B, 1]), neg) as tf.Tensor2D;
}

function pairMean(perPair: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  if (!weights) return tf.mean(perPair) as tf.Scalar;
  return tf.div(tf.sum(tf.mul(perPair, weights)), tf.maximum(tf.sum(weights), MIN_WEIGHT_SUM)) as tf.Scalar;
}

/**
 * Bayesian personalised ranking (Rendle et al., UAI 2009): -log sigmoid(s_pos - s_neg) per pair, i.e.
 * softplus(s_neg - s_pos), averaged over the (weighted) pairs.
 */
export function bprLoss(pos: tf.Tensor, neg: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => pairMean(softplus(tf.neg(pairDifferences('bprLoss', pos, neg, weights))), weights));
}

/** Margin ranking loss max(0, margin - (s_pos - s_neg)) per pair, averaged over the (weighted) pairs. */
export function hingeLoss(margin = 1): PairwiseLossFn {
  if (!(Number.isFinite(margin) && margin >= 0)) throw new Error(`hingeLoss: margin must be a finite number >= 0, got ${margin}`);
  return (pos, neg, weights) => tf.tidy(() => pairMean(tf.relu(tf.sub(margin, pairDifferences('hingeLoss', pos, neg, weights))), weights));
}

/** Pairwise losses by name, used by match models' `pairwiseLoss` option: 'bpr', 'hinge' (params { margin }). */
export const pairwiseLosses = new Registry<PairwiseLossFactory>('pairwise loss');

function checkParams(name: string, params: Record<string, number>, allowed: string[]): void {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) throw new Error(`pairwise loss '${name}': unknown parameter '${k}' (accepted: ${allowed.join(', ') || 'none'})`);
  }
}

pairwiseLosses.register('bpr', (params = {}) => {
  checkParams('bpr', params, []);
  return bprLoss;
});
pairwiseLosses.register('hinge', (params = {}) => {
  checkParams('hinge', params, ['margin']);
  return hingeLoss(params.margin ?? 1);
});
