import * as tf from '@tensorflow/tfjs-core';
import './tfjs-setup';
import { createLoss, BUILTIN_LOSSES, LossSpec } from '../loss/pointwise';
import { createGroupedLoss, GROUPED_LOSSES } from '../loss/grouped';
import * as M from './metrics';
import * as T from './threshold-metrics';
import { GROUPED_METRICS, groupedMetricAt } from './grouped-metrics';
import { Registry } from './registry';
import { SparseOptimizerConfig } from './embedding/sparse-optimizer';
import { AdamWOptimizer, FtrlOptimizer } from './optim/dense-optimizers';
import { FusedAdagradOptimizer, FusedAdamOptimizer, FusedSGDOptimizer } from './optim/fused-dense-optimizers';

/** Settings of metrics that take them (from compile). */
export interface MetricOptions {
  /** Decision threshold of precision, recall and f1 (default 0.5). */
  threshold?: number;
}

/** A metric over host arrays; `groups` is provided for per-user metrics such as gauc. */
export interface MetricSpec {
  fn: (labels: Float32Array, preds: Float32Array, groups?: Int32Array, opts?: MetricOptions) => number;
  /** Direction used by early stopping when no mode is given. */
  higherIsBetter: boolean;
  /** Needs a group column (compile's `groupColumn`). */
  needsGroups?: boolean;
}

/** Both halves of an optimizer: a tfjs optimizer for dense parameters, a row-sparse one for embedding tables. */
export interface OptimizerPair {
  dense: tf.Optimizer;
  sparse: SparseOptimizerConfig;
}

/** Builds an optimizer pair from learning rates and extra hyper-parameters. */
export type OptimizerFactory = (opts: { lr: number; embeddingLr: number; params: Record<string, number> }) => OptimizerPair;

/** Builds a loss from parameters. */
export type LossFactory = (params?: Record<string, number>) => LossSpec;

export const metrics = new Registry<MetricSpec>('metric');
export const losses = new Registry<LossFactory>('loss');
export const optimizers = new Registry<OptimizerFactory>('optimizer');

metrics.register('auc', { fn: (y, p) => M.auc(y, p), higherIsBetter: true });
metrics.register('gauc', { fn: (y, p, g) => M.gauc(y, p, g!), higherIsBetter: true, needsGroups: true });
metrics.register('logloss', { fn: (y, p) => M.logloss(y, p), higherIsBetter: false });
metrics.register('accuracy', { fn: (y, p) => M.accuracy(y, p), higherIsBetter: true });
metrics.register('mse', { fn: (y, p) => M.mse(y, p), higherIsBetter: false });
metrics.register('rmse', { fn: (y, p) => M.rmse(y, p), higherIsBetter: false });
metrics.register('mae', { fn: (y, p) => M.mae(y, p), higherIsBetter: false });
metrics.register('ks', { fn: (y, p) => T.ks(y, p), higherIsBetter: true });
metrics.register('precision', { fn: (y, p, _g, o) => T.precision(y, p, o?.threshold ?? 0.5), higherIsBetter: true });
metrics.register('recall', { fn: (y, p, _g, o) => T.recall(y, p, o?.threshold ?? 0.5), higherIsBetter: true });
metrics.register('f1', { fn: (y, p, _g, o) => T.f1(y, p, o?.threshold ?? 0.5), higherIsBetter: true });
metrics.register('r2', { fn: (y, p) => T.r2(y, p), higherIsBetter: true });
metrics.register('mape', { fn: (y, p) => T.mape(y, p), higherIsBetter: false });
// per-group ranking metrics at a cut-off: 'ndcg@10', 'recall@20', ... (need compile's groupColumn)
for (const name of GROUPED_METRICS) {
  metrics.registerFamily(`${name}@`, `${name}@K`, (suffix) => {
    const K = Number(suffix);
    if (!/^[0-9]+$/.test(suffix) || !Number.isInteger(K) || K < 1) throw new Error(`metric '${name}@${suffix}': K must be a positive integer, e.g. '${name}@10'`);
    return { fn: (y, p, g) => groupedMetricAt(name, y, p, g!, K), higherIsBetter: true, needsGroups: true };
  });
}

for (const name of BUILTIN_LOSSES) losses.register(name, (params) => createLoss(name, params));
// ranking within request groups (needs compile's groupColumn)
for (const name of GROUPED_LOSSES) losses.register(name, (params) => createGroupedLoss(name, params));

function checkKeys(name: string, params: Record<string, number>, allowed: string[]): void {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) throw new Error(`optimizer '${name}': unknown parameter '${k}' (allowed: ${allowed.join(', ') || 'none'})`);
  }
}

/**
 * Adam. Embedding tables get lazy Adam (rows move only when present, as PyTorch's SparseAdam) unless `lazy: 0`
 * asks for dense-equivalent Adam (rows keep moving on momentum between their occurrences, as PyTorch's Adam on an
 * nn.Embedding): see docs/embedding-optimizer.md.
 */
optimizers.register('adam', ({ lr, embeddingLr, params }) => {
  checkKeys('adam', params, ['beta1', 'beta2', 'epsilon', 'lazy']);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, lazy = 1 } = params;
  if (lazy !== 0 && lazy !== 1) throw new Error(`optimizer 'adam': lazy must be 0 (dense-equivalent embedding updates) or 1 (lazy, rows move only when present); got ${lazy}`);
  return { dense: new FusedAdamOptimizer(lr, beta1, beta2, epsilon), sparse: { kind: 'adam', lr: embeddingLr, beta1, beta2, epsilon, lazy: lazy === 1 } };
});
optimizers.register('adagrad', ({ lr, embeddingLr, params }) => {
  checkKeys('adagrad', params, ['initialAccumulator']);
  const { initialAccumulator = 0.1 } = params;
  return { dense: new FusedAdagradOptimizer(lr, initialAccumulator), sparse: { kind: 'adagrad', lr: embeddingLr, initialAccumulator } };
});
optimizers.register('sgd', ({ lr, embeddingLr, params }) => {
  checkKeys('sgd', params, []);
  return { dense: new FusedSGDOptimizer(lr), sparse: { kind: 'sgd', lr: embeddingLr } };
});
optimizers.register('momentum', ({ lr, embeddingLr, params }) => {
  checkKeys('momentum', params, ['momentum', 'nesterov']);
  const { momentum = 0.9, nesterov = 0 } = params;
  if (!(momentum >= 0 && momentum < 1)) throw new Error(`optimizer 'momentum': momentum must be in [0, 1) (got ${momentum})`);
  return { dense: tf.train.momentum(lr, momentum, !!nesterov), sparse: { kind: 'momentum', lr: embeddingLr, momentum, nesterov: nesterov ? 1 : 0 } };
});
optimizers.register('rmsprop', ({ lr, embeddingLr, params }) => {
  checkKeys('rmsprop', params, ['decay', 'momentum', 'epsilon']);
  const { decay = 0.9, momentum = 0, epsilon = 1e-7 } = params;
  if (!(decay > 0 && decay < 1)) throw new Error(`optimizer 'rmsprop': decay must be in (0, 1) (got ${decay})`);
  return { dense: tf.train.rmsprop(lr, decay, momentum, epsilon), sparse: { kind: 'rmsprop', lr: embeddingLr, decay, momentum, epsilon } };
});
optimizers.register('adamw', ({ lr, embeddingLr, params }) => {
  checkKeys('adamw', params, ['beta1', 'beta2', 'epsilon', 'weightDecay']);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, weightDecay = 0.01 } = params;
  if (!(weightDecay >= 0)) throw new Error(`optimizer 'adamw': weightDecay must be >= 0 (got ${weightDecay})`);
  return {
    dense: new AdamWOptimizer(lr, beta1, beta2, epsilon, weightDecay),
    sparse: { kind: 'adamw', lr: embeddingLr, beta1, beta2, epsilon, weightDecay },
  };
});
optimizers.register('ftrl', ({ lr, embeddingLr, params }) => {
  checkKeys('ftrl', params, ['beta']);
  const { beta = 1 } = params;
  if (!(beta >= 0)) throw new Error(`optimizer 'ftrl': beta must be >= 0 (got ${beta})`);
  return { dense: new FtrlOptimizer(lr, beta), sparse: { kind: 'ftrl', lr: embeddingLr, beta } };
});
