import * as tf from '@tensorflow/tfjs';
import { createLoss, BUILTIN_LOSSES, LossSpec } from '../loss/pointwise';
import * as M from './metrics';
import { Registry } from './registry';
import { SparseOptimizerConfig } from './embedding/sparse-optimizer';

/** A metric over host arrays; `groups` is provided for per-user metrics such as gauc. */
export interface MetricSpec {
  fn: (labels: Float32Array, preds: Float32Array, groups?: Int32Array) => number;
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

for (const name of BUILTIN_LOSSES) losses.register(name, (params) => createLoss(name, params));

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
  return { dense: tf.train.adam(lr, beta1, beta2, epsilon), sparse: { kind: 'adam', lr: embeddingLr, beta1, beta2, epsilon, lazy: lazy === 1 } };
});
optimizers.register('adagrad', ({ lr, embeddingLr, params }) => {
  checkKeys('adagrad', params, ['initialAccumulator']);
  const { initialAccumulator = 0.1 } = params;
  return { dense: tf.train.adagrad(lr, initialAccumulator), sparse: { kind: 'adagrad', lr: embeddingLr, initialAccumulator } };
});
optimizers.register('sgd', ({ lr, embeddingLr, params }) => {
  checkKeys('sgd', params, []);
  return { dense: tf.train.sgd(lr), sparse: { kind: 'sgd', lr: embeddingLr } };
});
