/**
 * Listwise (softmax-family) losses for retrieval models: each query's positive competes with a list of candidate
 * items (the other items of the batch, or sampled negatives). They take logits (similarity / temperature).
 *
 * Corrections that depend on how the candidates were drawn (log-Q popularity correction, masking of accidental
 * hits) are additive logit adjustments and 0/1 masks built on the host with the helpers below, so the losses stay
 * plain functions of tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Registry } from '../basic/registry';
import { sampledSoftmaxKernel, sampledSoftmaxKernelAvailable } from '../basic/backend/sampled-softmax-kernel';

/**
 * A listwise loss over a candidate matrix: `logits` [B, C]; `positives` [B, C] 1 where a candidate is a positive
 * of the row (at least one per row); `valid` optional [B, C] 0 for candidates to ignore entirely.
 */
export type ListwiseLossFn = (logits: tf.Tensor2D, positives: tf.Tensor2D, valid?: tf.Tensor2D) => tf.Scalar;

/** Builds a listwise loss from numeric parameters. */
export type ListwiseLossFactory = (params?: Record<string, number>) => ListwiseLossFn;

/**
 * Added to the logit of a masked candidate: exp of it underflows to exactly 0 after the max shift of
 * log-sum-exp, so the candidate gets neither probability mass nor gradient, while staying finite (no NaN from
 * -Infinity - -Infinity on rows whose maximum is masked).
 */
export const MASKED_LOGIT = -1e9;

function checkShapes(fn: string, logits: tf.Tensor, positives: tf.Tensor, valid?: tf.Tensor): void {
  if (logits.rank !== 2) throw new Error(`${fn}: logits must have shape [B, C], got [${logits.shape.join(',')}]`);
  const s = logits.shape.join(',');
  if (positives.shape.join(',') !== s) throw new Error(`${fn}: positives must have the shape of logits [${s}], got [${positives.shape.join(',')}]`);
  if (valid && valid.shape.join(',') !== s) throw new Error(`${fn}: valid must have the shape of logits [${s}], got [${valid.shape.join(',')}]`);
}

let lseOp: ((x: tf.Tensor) => tf.Tensor) | undefined;

/**
 * log sum_j exp(x_ij) per row of [B, C], computed through the softmax kernel: with p = softmax(x) and m the row
 * maximum, p at the maximum is exp(m - lse), so lse = m - log(max_j p_ij) (no underflow: that p is >= 1/C). The
 * gradient is p * dy from the saved p. On wasm this beats exp-sum-log, whose Exp kernel costs ~28 ms on a
 * [1024, 1024] in-batch block, and tf.logSumExp's gradient through its max shift (an equality mask) more still.
 */
export function logSumExpRows(x: tf.Tensor2D): tf.Tensor1D {
  if (lseOp === undefined) {
    lseOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor2D;
      const save = args[1] as tf.GradSaveFunc;
      const p = tf.softmax(input);
      const value = tf.tidy(() => tf.sub(tf.max(input, 1), tf.log(tf.max(p, 1))));
      save([p]);
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy.reshape([-1, 1])) };
    }) as (x: tf.Tensor) => tf.Tensor;
  }
  return lseOp(x) as tf.Tensor1D;
}

let sampledRowsOp: ((pos: tf.Tensor, neg: tf.Tensor) => tf.Tensor) | undefined;

/**
 * Per-row sampled softmax cross-entropy, log(exp(pos_i) + sum_j exp(neg_ij)) - pos_i, for pos [B] and neg [B, N],
 * as one custom op: the log-sum-exp goes through the softmax kernel as in {@link logSumExpRows} (XNNPACK's softmax
 * beats wasm's scalar Exp kernel several times over), and the gradient is read off the saved softmax p:
 * d neg_ij = g_i p_ij, d pos_i = g_i (p_i0 - 1). Differentiating the composed concat / exp / sum / log instead
 * takes ~20 kernels over the [B, N + 1] block per step. With the native kernels it is one kernel each way that never
 * builds the [B, N + 1] block (backend/sampled-softmax-kernel.ts).
 */
export function sampledSoftmaxRows(pos: tf.Tensor1D, neg: tf.Tensor2D): tf.Tensor1D {
  const [B, N] = neg.shape;
  if (pos.rank !== 1 || pos.shape[0] !== B) throw new Error(`sampledSoftmaxRows: pos must have shape [${B}] (one logit per row of neg [${B},${N}]), got [${pos.shape.join(',')}]`);
  if (sampledSoftmaxKernelAvailable() && pos.dtype === 'float32' && neg.dtype === 'float32') return sampledSoftmaxKernel(pos, neg);
  if (sampledRowsOp === undefined) {
    sampledRowsOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [p1, n2] = args as [tf.Tensor1D, tf.Tensor2D];
      const save = args[2] as tf.GradSaveFunc;
      const [rows, cols] = n2.shape;
      const logits = tf.concat([p1.reshape([rows, 1]), n2], 1);
      const p = tf.softmax(logits);
      const value = tf.sub(tf.sub(tf.max(logits, 1), tf.log(tf.max(p, 1))), p1);
      save([p]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const d = tf.mul(saved[0], dy.reshape([rows, 1]));
          return [tf.sub(tf.slice(d, [0, 0], [rows, 1]).reshape([rows]), dy), tf.slice(d, [0, 1], [rows, cols])];
        },
      };
    }) as (pos: tf.Tensor, neg: tf.Tensor) => tf.Tensor;
  }
  return sampledRowsOp(pos, neg) as tf.Tensor1D;
}

/** logits where mask is 1, MASKED_LOGIT where it is 0. */
function masked(logits: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(logits, mask), tf.mul(tf.sub(1, mask), MASKED_LOGIT));
}

/**
 * Softmax cross-entropy over each row's candidates against the uniform distribution over the row's positives:
 * mean_rows( logsumexp(valid logits) - mean_{positives} logit ). With one positive per row this is the usual
 * -log softmax(logits)[positive]. Candidates may also be excluded by giving them {@link MASKED_LOGIT} directly,
 * which is cheaper than a `valid` mask when the caller builds logit adjustments on the host anyway.
 */
export function softmaxListLoss(logits: tf.Tensor2D, positives: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  checkShapes('softmaxListLoss', logits, positives, valid);
  return tf.tidy(() => {
    const all = valid ? masked(logits, tf.maximum(valid, positives)) : logits;
    const denom = logSumExpRows(all as tf.Tensor2D);
    const numer = tf.div(tf.sum(tf.mul(logits, positives), 1), tf.maximum(tf.sum(positives, 1), 1));
    return tf.mean(tf.sub(denom, numer)) as tf.Scalar;
  });
}

/**
 * Binary cross-entropy on every valid candidate independently (label 1 for positives, 0 otherwise), averaged over
 * valid candidates: the sigmoid alternative to softmax, which does not make candidates compete.
 */
export function sigmoidListLoss(logits: tf.Tensor2D, positives: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  checkShapes('sigmoidListLoss', logits, positives, valid);
  return tf.tidy(() => {
    // log(1 + e^x) - x*y without overflow: max(x,0) - x*y + log1p(e^-|x|)
    const x = logits;
    const per = tf.add(tf.sub(tf.relu(x), tf.mul(x, positives)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    if (!valid) return tf.mean(per) as tf.Scalar;
    const w = tf.maximum(valid, positives);
    return tf.div(tf.sum(tf.mul(per, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}

/**
 * In-batch softmax: row i's positive is candidate i (the item paired with query i), the other items of the batch
 * are its negatives. `logits` [B, B]; `valid` optional [B, B] (see {@link inBatchHitMask}).
 */
export function inBatchSoftmaxLoss(logits: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  if (logits.rank !== 2 || logits.shape[0] !== logits.shape[1]) throw new Error(`inBatchSoftmaxLoss: logits must be square [B, B], got [${logits.shape.join(',')}]`);
  return tf.tidy(() => softmaxListLoss(logits, tf.eye(logits.shape[0]) as tf.Tensor2D, valid));
}

/**
 * Sampled softmax (Jean et al., 2015; Bengio & Senecal, 2008): the positive [B] or [B, 1] against N sampled
 * negatives [B, N]. Logits should already carry the log-Q correction when negatives are not uniform
 * (see {@link logQ}); `valid` [B, N] masks negatives that equal the positive.
 */
export function sampledSoftmaxLoss(pos: tf.Tensor, neg: tf.Tensor2D, valid?: tf.Tensor2D): tf.Scalar {
  if (neg.rank !== 2) throw new Error(`sampledSoftmaxLoss: neg must have shape [B, N], got [${neg.shape.join(',')}]`);
  const [B, N] = neg.shape;
  if (pos.size !== B) throw new Error(`sampledSoftmaxLoss: pos must hold one logit per row (${B}), got [${pos.shape.join(',')}]`);
  if (valid && valid.shape.join(',') !== neg.shape.join(',')) throw new Error(`sampledSoftmaxLoss: valid must have the shape of neg [${B},${N}], got [${valid.shape.join(',')}]`);
  return tf.tidy(() => {
    const logits = tf.concat([pos.reshape([B, 1]), neg], 1) as tf.Tensor2D;
    const positives = tf.concat([tf.ones([B, 1]), tf.zeros([B, N])], 1) as tf.Tensor2D;
    const v = valid ? (tf.concat([tf.ones([B, 1]), valid], 1) as tf.Tensor2D) : undefined;
    return softmaxListLoss(logits, positives, v);
  });
}

/**
 * InfoNCE (van den Oord et al., 2018): cosine similarities of L2-normalised `query` [B, D] and `keys` [B, D]
 * divided by `temperature`, in-batch softmax with key i the positive of query i; `symmetric` also averages the
 * keys-to-queries direction (as in CLIP).
 */
export function infoNceLoss(query: tf.Tensor2D, keys: tf.Tensor2D, temperature = 0.1, symmetric = false): tf.Scalar {
  if (!(temperature > 0)) throw new Error(`infoNceLoss: temperature must be > 0, got ${temperature}`);
  if (query.rank !== 2 || query.shape.join(',') !== keys.shape.join(',')) throw new Error(`infoNceLoss: query and keys must both be [B, D], got [${query.shape.join(',')}] and [${keys.shape.join(',')}]`);
  return tf.tidy(() => {
    const q = l2Normalize(query);
    const k = l2Normalize(keys);
    const logits = tf.div(tf.matMul(q, k, false, true), temperature) as tf.Tensor2D;
    const forward = inBatchSoftmaxLoss(logits);
    if (!symmetric) return forward;
    return tf.mul(tf.add(forward, inBatchSoftmaxLoss(logits.transpose() as tf.Tensor2D)), 0.5) as tf.Scalar;
  });
}

/** Rows scaled to unit L2 norm along the last axis (zero rows stay zero). */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12))) as T);
}

// ---------------------------------------------------------------- host-side helpers

/**
 * Validity mask [B, B] (row-major) for in-batch negatives: 0 where candidate j is a different row carrying the
 * same item as row i (an "accidental hit": the row's own positive would be pushed down as a negative), else 1.
 */
export function inBatchHitMask(itemIds: ArrayLike<number>): Float32Array {
  const B = itemIds.length;
  const out = new Float32Array(B * B).fill(1);
  // items repeat rarely, so group rows by item instead of comparing all B^2 pairs
  const rowsByItem = new Map<number, number[]>();
  for (let i = 0; i < B; i++) {
    const list = rowsByItem.get(itemIds[i]);
    if (list) list.push(i);
    else rowsByItem.set(itemIds[i], [i]);
  }
  for (const rows of rowsByItem.values()) {
    if (rows.length < 2) continue;
    for (const i of rows) for (const j of rows) if (i !== j) out[i * B + j] = 0;
  }
  return out;
}

/** Validity mask [B, N] (row-major) for shared sampled negatives: 0 where negative n is row b's positive item. */
export function sampledHitMask(positiveIds: ArrayLike<number>, negativeIds: ArrayLike<number>): Float32Array {
  const B = positiveIds.length;
  const N = negativeIds.length;
  const out = new Float32Array(B * N).fill(1);
  const colsByItem = new Map<number, number[]>();
  for (let n = 0; n < N; n++) {
    const list = colsByItem.get(negativeIds[n]);
    if (list) list.push(n);
    else colsByItem.set(negativeIds[n], [n]);
  }
  for (let b = 0; b < B; b++) {
    const cols = colsByItem.get(positiveIds[b]);
    if (cols) for (const n of cols) out[b * N + n] = 0;
  }
  return out;
}

/**
 * Log-Q correction terms (Yi et al., RecSys 2019; Bengio & Senecal, 2008): log(expected count) of each candidate
 * under the process that put it in the candidate list, `log(draws * q)`. Subtracting it from the candidate's logit
 * turns the softmax over a popularity-biased candidate set into an estimate of the full softmax.
 */
export function logQ(probabilities: ArrayLike<number>, draws = 1): Float32Array {
  const out = new Float32Array(probabilities.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(Math.max(draws * probabilities[i], 1e-30));
  return out;
}

/**
 * Listwise losses by name, used by match models' `listwiseLoss` option: 'softmax' ({@link softmaxListLoss})
 * and 'sigmoid' ({@link sigmoidListLoss}).
 */
export const listwiseLosses = new Registry<ListwiseLossFactory>('listwise loss');

function noParams(name: string, params: Record<string, number> | undefined): void {
  const keys = Object.keys(params ?? {});
  if (keys.length) throw new Error(`listwise loss '${name}': unknown parameter '${keys[0]}' (accepted: none)`);
}

listwiseLosses.register('softmax', (params) => {
  noParams('softmax', params);
  return softmaxListLoss;
});
listwiseLosses.register('sigmoid', (params) => {
  noParams('sigmoid', params);
  return sigmoidListLoss;
});
