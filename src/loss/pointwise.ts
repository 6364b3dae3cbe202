/**
 * Pointwise training losses for ranking and regression heads.
 *
 * Classification losses take raw logits rather than probabilities: computing
 * the cross-entropy from logits never evaluates log(0), so it stays finite for
 * arbitrarily confident predictions, and its gradient does not vanish when the
 * sigmoid saturates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softplus } from './softplus';

/**
 * A loss maps model outputs and targets (same shape [B] or [B,1]) to a scalar mean loss.
 * `weights` optional per-sample weights (mean is sum(w*l)/sum(w)).
 */
export type LossFn = (outputs: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor) => tf.Scalar;

/** A named loss together with the output activation the model must pair it with. */
export interface LossSpec {
  name: string;
  fn: LossFn;
  /** 'logit' if the loss expects raw logits (then the model's prediction applies sigmoid), 'identity' for regression */
  output: 'logit' | 'identity';
}

/**
 * Guards the weighted mean against an all-zero weight vector (e.g. a fully
 * masked batch): the loss then becomes 0 with zero gradients instead of NaN,
 * which would otherwise poison every parameter on the next update.
 */
const MIN_WEIGHT_SUM = 1e-12;

/**
 * Floor for the focal modulating base (1 - p_t). d/dq q^gamma is infinite at
 * q = 0 for gamma < 1, and 0 * Infinity = NaN in the backward pass; samples
 * this well classified contribute nothing measurable anyway.
 */
const MIN_FOCAL_BASE = 1e-12;

/**
 * Brings a [B] or [B,1] tensor to float32 [B]. Other shapes are rejected
 * rather than flattened, because flattening e.g. [B,T] against [T,B] would
 * silently pair the wrong elements.
 */
function asVector(fn: string, name: string, t: tf.Tensor): tf.Tensor1D {
  const shape = t.shape;
  let v: tf.Tensor;
  if (shape.length === 1) v = t;
  else if (shape.length === 2 && shape[1] === 1) v = tf.reshape(t, [shape[0]]);
  else throw new Error(`${fn}: ${name} must have shape [B] or [B,1], got [${shape.join(',')}]`);
  // Labels usually arrive as int32; tfjs refuses to mix dtypes in binary ops.
  return (v.dtype === 'float32' ? v : tf.cast(v, 'float32')) as tf.Tensor1D;
}

function prepare(
  fn: string,
  outputs: tf.Tensor,
  targets: tf.Tensor,
  weights: tf.Tensor | undefined,
): { x: tf.Tensor1D; y: tf.Tensor1D; w: tf.Tensor1D | undefined } {
  const x = asVector(fn, 'outputs', outputs);
  const y = asVector(fn, 'targets', targets);
  if (x.shape[0] !== y.shape[0]) {
    throw new Error(`${fn}: batch size mismatch (outputs: ${x.shape[0]}, targets: ${y.shape[0]})`);
  }
  if (x.shape[0] === 0) throw new Error(`${fn}: empty batch`);
  let w: tf.Tensor1D | undefined;
  if (weights !== undefined) {
    w = asVector(fn, 'weights', weights);
    if (w.shape[0] !== x.shape[0]) {
      throw new Error(`${fn}: batch size mismatch (outputs: ${x.shape[0]}, weights: ${w.shape[0]})`);
    }
  }
  return { x, y, w };
}

function reduceMean(perSample: tf.Tensor1D, w: tf.Tensor1D | undefined): tf.Scalar {
  if (w === undefined) return tf.mean(perSample) as tf.Scalar;
  return tf.div(tf.sum(tf.mul(w, perSample)), tf.maximum(tf.sum(w), MIN_WEIGHT_SUM)) as tf.Scalar;
}

/** Elementwise BCE from logits: softplus(x) - x*y = max(x,0) - x*y + log(1+exp(-|x|)). */
function bceElementwise(x: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.sub(softplus(x), tf.mul(x, y)) as tf.Tensor1D;
}

/**
 * Binary cross-entropy computed directly from logits.
 *
 * Per sample: max(x,0) - x*y + log(1 + exp(-|x|)), which is finite for any
 * logit; its gradient w.r.t. x is sigmoid(x) - y (divided by B for the mean).
 *
 * @param logits - raw model outputs, shape [B] or [B,1]
 * @param targets - labels in [0, 1], same batch size
 * @param weights - optional per-sample weights; the result is sum(w*l)/sum(w)
 * @returns the (weighted) mean loss as a scalar
 * @throws Error on shape or batch-size mismatch
 */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { x, y, w } = prepare('bceWithLogits', logits, targets, weights);
    return reduceMean(bceElementwise(x, y), w);
  });
}

/**
 * Builds a BCE-from-logits loss whose positive term is scaled by `posWeight`,
 * the usual remedy for rare positives (e.g. CTR data): per sample
 * posWeight * y * softplus(-x) + (1 - y) * softplus(x).
 *
 * The mean is still taken over samples (or over `weights`), so posWeight
 * shifts the balance between classes rather than renormalising it.
 *
 * @param posWeight - multiplier for the positive-label term, must be finite and > 0
 * @returns a {@link LossFn} taking logits
 * @throws Error when posWeight is not a finite positive number
 */
export function weightedBce(posWeight: number): LossFn {
  if (!Number.isFinite(posWeight) || posWeight <= 0) {
    throw new Error(`weightedBce: posWeight must be a finite number > 0, got ${posWeight}`);
  }
  return (logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const { x, y, w } = prepare('weightedBce', logits, targets, weights);
      // -log(sigmoid(x)) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x).
      const posTerm = tf.mul(tf.mul(y, posWeight), softplus(tf.neg(x)));
      const negTerm = tf.mul(tf.sub(1, y), softplus(x));
      return reduceMean(tf.add(posTerm, negTerm) as tf.Tensor1D, w);
    });
}

/**
 * Builds a focal loss (Lin et al., 2017) computed from logits.
 *
 * Per sample: alpha_t * (1 - p_t)^gamma * BCE(x, y), where p = sigmoid(x),
 * p_t = p*y + (1-p)(1-y) and alpha_t = alpha*y + (1-alpha)(1-y). With
 * gamma = 0 and alpha = 0.5 it reduces to 0.5 * BCE.
 *
 * @param opts.gamma - focusing parameter >= 0, default 2
 * @param opts.alpha - weight of the positive class in [0, 1], default 0.25
 * @returns a {@link LossFn} taking logits
 * @throws Error when gamma < 0 or alpha is outside [0, 1]
 */
export function focalLoss(opts: { gamma?: number; alpha?: number } = {}): LossFn {
  const gamma = opts.gamma ?? 2;
  const alpha = opts.alpha ?? 0.25;
  if (!Number.isFinite(gamma) || gamma < 0) {
    throw new Error(`focalLoss: gamma must be a finite number >= 0, got ${gamma}`);
  }
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new Error(`focalLoss: alpha must be in [0, 1], got ${alpha}`);
  }
  return (logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const { x, y, w } = prepare('focalLoss', logits, targets, weights);
      const ce = bceElementwise(x, y);
      const notY = tf.sub(1, y);
      const alphaT = tf.add(tf.mul(y, alpha), tf.mul(notY, 1 - alpha));
      let perSample = tf.mul(alphaT, ce);
      if (gamma !== 0) {
        // 1 - p_t written with sigmoid(-x) instead of 1 - sigmoid(x): the
        // subtraction would round to 0 long before sigmoid(-x) underflows.
        const oneMinusPt = tf.add(tf.mul(y, tf.sigmoid(tf.neg(x))), tf.mul(notY, tf.sigmoid(x)));
        perSample = tf.mul(perSample, tf.pow(tf.maximum(oneMinusPt, MIN_FOCAL_BASE), gamma));
      }
      return reduceMean(perSample as tf.Tensor1D, w);
    });
}

/**
 * Mean squared error for regression heads (predictions used as-is).
 *
 * @param preds - model outputs, shape [B] or [B,1]
 * @param targets - regression targets, same batch size
 * @param weights - optional per-sample weights; the result is sum(w*l)/sum(w)
 * @returns the (weighted) mean squared error as a scalar
 * @throws Error on shape or batch-size mismatch
 */
export function mseLoss(preds: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { x, y, w } = prepare('mseLoss', preds, targets, weights);
    return reduceMean(tf.squaredDifference(x, y) as tf.Tensor1D, w);
  });
}

interface LossFactory {
  params: readonly string[];
  output: 'logit' | 'identity';
  make: (params: Record<string, number>) => LossFn;
}

const FACTORIES: Record<string, LossFactory> = {
  bce: { params: [], output: 'logit', make: () => bceWithLogits },
  weighted_bce: {
    params: ['posWeight'],
    output: 'logit',
    make: (p) => {
      // No default: weighted_bce without posWeight is plain bce, most likely a config mistake.
      if (p.posWeight === undefined) throw new Error("createLoss: 'weighted_bce' requires params.posWeight");
      return weightedBce(p.posWeight);
    },
  },
  focal: {
    params: ['gamma', 'alpha'],
    output: 'logit',
    make: (p) => focalLoss({ gamma: p.gamma, alpha: p.alpha }),
  },
  mse: { params: [], output: 'identity', make: () => mseLoss },
};

/** Names accepted by {@link createLoss}. */
export const BUILTIN_LOSSES: readonly string[] = Object.freeze(Object.keys(FACTORIES));

/**
 * Named built-in losses: 'bce', 'weighted_bce' (params {posWeight}), 'focal' (params {gamma, alpha}), 'mse'.
 *
 * Parameter names are checked so that a typo such as `pos_weight` fails
 * loudly instead of silently falling back to a default.
 *
 * @param name - one of {@link BUILTIN_LOSSES} (case-insensitive)
 * @param params - numeric hyper-parameters of the chosen loss
 * @returns the loss function with its name and expected output activation
 * @throws Error for an unknown loss name (listing the known ones) or unknown/invalid params
 */
export function createLoss(name: string, params: Record<string, number> = {}): LossSpec {
  const key = name.trim().toLowerCase();
  const factory = Object.prototype.hasOwnProperty.call(FACTORIES, key) ? FACTORIES[key] : undefined;
  if (factory === undefined) {
    throw new Error(`createLoss: unknown loss '${name}'; known losses: ${BUILTIN_LOSSES.join(', ')}`);
  }
  for (const p of Object.keys(params)) {
    if (!factory.params.includes(p)) {
      const allowed = factory.params.length > 0 ? factory.params.join(', ') : '(none)';
      throw new Error(`createLoss: unknown parameter '${p}' for loss '${key}'; accepted: ${allowed}`);
    }
  }
  return { name: key, fn: factory.make(params), output: factory.output };
}
