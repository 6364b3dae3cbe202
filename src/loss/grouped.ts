/**
 * Pairwise and listwise ranking losses within request groups, for ranking models trained with
 * `compile({ loss: 'bpr' | 'listnet' | 'listmle' | 'approx_ndcg', groupColumn })`: the rows of one request (a user's
 * impression list, a query's candidates) compete with each other, and only score differences within a group count.
 *
 * A batch's rows are packed on the host into a list layout [G, M] (G groups, M = largest group, `valid` 0 for the
 * padding) by a constant 0/1 selection matrix, so the packing is a matMul whose gradient routes back to the rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softplus } from './softplus';
import { LossSpec } from './pointwise';

/** A batch's rows packed per group: row r of the batch sits at list slot `slotOf[r]` (g * M + position). */
export interface GroupLayout {
  groups: number;
  maxSize: number;
  /** [G*M, B] 0/1 selection, row-major. */
  select: Float32Array;
  /** [G*M] 1 for a real slot. */
  valid: Float32Array;
}

/**
 * Pack the rows of a batch by group id. Within a group, rows keep batch order, or are sorted by `sortBy`
 * (descending; ties keep batch order) when given (ListMLE needs the label order).
 */
export function groupLayout(groupIds: ArrayLike<number>, sortBy?: ArrayLike<number>): GroupLayout {
  const B = groupIds.length;
  const members = new Map<number, number[]>();
  for (let r = 0; r < B; r++) {
    const list = members.get(groupIds[r]);
    if (list) list.push(r);
    else members.set(groupIds[r], [r]);
  }
  const lists = [...members.values()];
  if (sortBy) for (const l of lists) l.sort((a, b) => sortBy[b] - sortBy[a] || a - b);
  const G = lists.length;
  const M = Math.max(...lists.map((l) => l.length));
  const select = new Float32Array(G * M * B);
  const valid = new Float32Array(G * M);
  lists.forEach((rows, g) =>
    rows.forEach((r, m) => {
      select[(g * M + m) * B + r] = 1;
      valid[g * M + m] = 1;
    }),
  );
  return { groups: G, maxSize: M, select, valid };
}

/** A group-wise loss on packed lists: scores, labels and valid, each [G, M]. */
export type GroupedLossFn = (scores: tf.Tensor2D, labels: tf.Tensor2D, valid: tf.Tensor2D) => tf.Scalar;

const MASKED = -1e9;

/** Pairwise terms [G, M, M]: d[g, i, j] = s_j - s_i, and 1 where both slots are real and y_i > y_j. */
function orderedPairs(scores: tf.Tensor2D, labels: tf.Tensor2D, valid: tf.Tensor2D): { diff: tf.Tensor3D; pairs: tf.Tensor3D } {
  const diff = tf.sub(scores.expandDims(1), scores.expandDims(2)) as tf.Tensor3D;
  const both = tf.mul(valid.expandDims(2), valid.expandDims(1));
  const better = tf.cast(tf.greater(labels.expandDims(2), labels.expandDims(1)), 'float32');
  return { diff, pairs: tf.mul(both, better) as tf.Tensor3D };
}

/** BPR within groups (Rendle et al., 2009): mean over pairs i, j of one group with y_i > y_j of softplus(s_j - s_i). */
export const groupBpr: GroupedLossFn = (scores, labels, valid) =>
  tf.tidy(() => {
    const { diff, pairs } = orderedPairs(scores, labels, valid);
    return tf.div(tf.sum(tf.mul(softplus(diff), pairs)), tf.maximum(tf.sum(pairs), 1)) as tf.Scalar;
  });

/** Log-softmax over the real slots of each list [G, M]. */
function logSoftmaxValid(scores: tf.Tensor2D, valid: tf.Tensor2D): tf.Tensor2D {
  return tf.logSoftmax(tf.add(tf.mul(scores, valid), tf.mul(tf.sub(1, valid), MASKED)) as tf.Tensor2D) as tf.Tensor2D;
}

/**
 * ListNet, top-one form (Cao et al., ICML 2007): cross-entropy between the label distribution y / Σy and
 * softmax(s) over each group's rows, each group weighted by its label mass Σy (as TF-Ranking's softmax loss does):
 *   Σ_g Σy_g · CE_g / Σ_g Σy_g = - Σ_g Σ_i y_i log softmax(s_g)_i / Σ_g Σy_g.
 * With clicks, a group with five positives holds five observations; a plain mean over groups would count it as
 * one and learn mostly from the single-click groups. Groups without a positive carry no signal (weight 0).
 */
export const listNet: GroupedLossFn = (scores, labels, valid) =>
  tf.tidy(() => {
    const y = tf.mul(labels, valid);
    return tf.div(tf.neg(tf.sum(tf.mul(y, logSoftmaxValid(scores, valid)))), tf.maximum(tf.sum(y), 1e-12)) as tf.Scalar;
  });

/**
 * ListMLE (Xia et al., ICML 2008): negative log-likelihood of the label order under the Plackett-Luce model,
 *   Σ_k [ log Σ_{j >= k} exp(s_j) - s_k ]   over each group's rows sorted by label (descending),
 * the lists packed in label order (groupLayout's `sortBy`). With ties (binary clicks) one order of the tied rows
 * stands for all of them: `fit` visits a group's rows in a fresh random order every epoch (groupBatches), so ties
 * fall in a different order each time, and the terms of the lowest tier (the last rows, all tied: their order is
 * pure noise) are dropped. For binary labels this is the likelihood that the positives, in a random order, come
 * first: Σ_{positives k} [ log Σ_{j not yet chosen} exp(s_j) - s_k ]. Averaged over the counted terms; groups whose
 * rows all share one label have none.
 */
export const listMle: GroupedLossFn = (scores, labels, valid) =>
  tf.tidy(() => {
    const M = scores.shape[1];
    // tail[k, j] = 1 for j >= k: the candidates still left when position k is chosen
    const tail = tf.tensor2d(Float32Array.from({ length: M * M }, (_, i) => (i % M >= Math.floor(i / M) ? 1 : 0)), [M, M]);
    const visible = tf.mul(tail.expandDims(0), valid.expandDims(1)); // [G, k, j]
    const logits = tf.add(tf.mul(scores.expandDims(1), visible), tf.mul(tf.sub(1, visible), MASKED));
    const lse = tf.logSumExp(logits, 2); // [G, M]
    // a term counts where the row's label is above the group's lowest (padding reads as +inf for the minimum)
    const lowest = tf.min(tf.add(labels, tf.mul(tf.sub(1, valid), -MASKED)), 1, true);
    const counted = tf.mul(tf.cast(tf.greater(labels, lowest), 'float32'), valid);
    return tf.div(tf.sum(tf.mul(tf.sub(lse, scores), counted)), tf.maximum(tf.sum(counted), 1)) as tf.Scalar;
  });

/** Default temperature of {@link approxNdcg}, measured on the grouped synthetic task (docs/models-ranking.md). */
export const APPROX_NDCG_TEMPERATURE = 5;

/**
 * ApproxNDCG (Qin et al., 2010; Bruch et al., 2019): NDCG with each rank replaced by a smooth one,
 *   π_i = 1 + Σ_{j ≠ i} sigmoid((s_j - s_i) / T),   NDCG_g ≈ Σ_i (2^{y_i} - 1) / log2(1 + π_i) / IDCG_g
 * (IDCG from the labels), and loss = Σ_g Σy_g (1 - NDCG_g) / Σ_g Σy_g: groups weighted by their label mass, as
 * ListNet's are. NDCG's normaliser makes a click worth 1 / IDCG, less the more clicks its group has; a plain mean
 * over groups (TF-Ranking's) lets the single, noisiest click of a one-click group outweigh each of five. Groups
 * without a positive label carry no signal (weight 0).
 *
 * The temperature sets how sharp the smooth ranks are against the score spread (which the score anchor bounds,
 * {@link withScoreAnchor}). With T = 1 the loss sharpened its ranks by spreading the scores (sd 2.1 after four epochs on
 * the grouped synthetic task) until most pairs saturated (|s_j - s_i| >> T, sigmoid' ~ 0): it learned only from near-ties, fit
 * the training clicks and trailed pointwise BCE by 0.03 NDCG@10. At T = 5 (score sd 0.85) the pairs stay in the
 * sigmoid's graded range and every pair of a group contributes; it matches BCE (docs/models-ranking.md).
 */
export function approxNdcg(temperature = APPROX_NDCG_TEMPERATURE): GroupedLossFn {
  if (!(temperature > 0)) throw new Error(`approx_ndcg: temperature must be > 0 (got ${temperature})`);
  return (scores, labels, valid) =>
    tf.tidy(() => {
      const M = scores.shape[1];
      const diff = tf.sub(scores.expandDims(1), scores.expandDims(2)); // [G, i, j] = s_j - s_i
      const others = tf.mul(valid.expandDims(1), tf.sub(1, tf.eye(M)).expandDims(0));
      const rank = tf.add(1, tf.sum(tf.mul(tf.sigmoid(tf.div(diff, temperature)), others), 2));
      const gain = tf.mul(tf.sub(tf.pow(2, labels), 1), valid);
      const dcg = tf.sum(tf.div(gain, tf.div(tf.log(tf.add(1, rank)), Math.LN2)), 1);
      const ideal = idealDcg(gain);
      const mass = tf.mul(tf.sum(tf.mul(labels, valid), 1), tf.cast(tf.greater(ideal, 0), 'float32'));
      return tf.div(tf.sum(tf.mul(tf.sub(1, tf.div(dcg, tf.maximum(ideal, 1e-12))), mass)), tf.maximum(tf.sum(mass), 1e-12)) as tf.Scalar;
    });
}

/** IDCG per group [G] from gains [G, M] (computed on the host: sorting is not differentiable and needs none). */
function idealDcg(gain: tf.Tensor): tf.Tensor1D {
  const [G, M] = gain.shape;
  const g = gain.dataSync();
  const out = new Float32Array(G);
  for (let r = 0; r < G; r++) {
    const sorted = Array.from(g.subarray(r * M, (r + 1) * M)).sort((a, b) => b - a);
    out[r] = sorted.reduce((s, v, k) => s + v / Math.log2(k + 2), 0);
  }
  return tf.tensor1d(out);
}

/**
 * Weight of the score anchor {@link withScoreAnchor} adds to every group-wise loss by name: small next to the
 * ranking terms (it costs 0.01 at a score spread of 1), measured on the grouped synthetic task (docs/models-ranking.md).
 */
export const SCORE_ANCHOR = 1e-2;

/**
 * A group-wise loss plus λ · mean of s² over the real rows. The losses above see only score differences within a
 * group, so two directions are left free. The level: its exact gradient is 0, and Adam, which divides each update
 * by the gradient's own running scale, turns the float rounding left in its place into steps of the full learning
 * rate (the bias and the first-order weights of features constant within a group, such as the user, drift).
 * The scale: ApproxNDCG's smooth ranks get sharper as scores grow, so it inflates them (test-score spread 7 after
 * one epoch on the grouped synthetic task) until the sigmoids saturate and the gradient vanishes. Predictions are
 * sigmoid(score) in float32: both drifts round them to exactly 0 or 1 (10% of them there) and make ties of the
 * ranking. The anchor gives both directions a real gradient towards 0 and leaves the order to the ranking loss.
 */
export function withScoreAnchor(fn: GroupedLossFn, weight = SCORE_ANCHOR): GroupedLossFn {
  if (!(weight >= 0)) throw new Error(`withScoreAnchor: weight must be >= 0 (got ${weight})`);
  return (scores, labels, valid) =>
    tf.tidy(() => {
      const meanSquare = tf.div(tf.sum(tf.mul(tf.square(scores), valid)), tf.maximum(tf.sum(valid), 1));
      return tf.add(fn(scores, labels, valid), tf.mul(weight, meanSquare)) as tf.Scalar;
    });
}

/** Apply a grouped loss to a batch's scores [B, 1] and labels [B, 1] given each row's group id. */
export function applyGroupedLoss(fn: GroupedLossFn, scores: tf.Tensor, labels: tf.Tensor, groupIds: ArrayLike<number>, sortByLabel: boolean): tf.Scalar {
  return tf.tidy(() => {
    const B = groupIds.length;
    const layout = groupLayout(groupIds, sortByLabel ? (labels.dataSync() as Float32Array) : undefined);
    const { groups: G, maxSize: M } = layout;
    const select = tf.tensor2d(layout.select, [G * M, B]);
    const pack = (t: tf.Tensor) => tf.matMul(select, t.reshape([B, 1])).reshape([G, M]) as tf.Tensor2D;
    return fn(pack(scores), pack(tf.cast(labels, 'float32')), tf.tensor2d(layout.valid, [G, M]));
  });
}

/** A ranking loss within request groups: the pointwise slot `fn` is unusable, `grouped` is called instead. */
export interface GroupedLossSpec extends LossSpec {
  grouped: GroupedLossFn;
  /** Pack lists in label order (ListMLE). */
  sortByLabel: boolean;
}

/** Names of the group-wise losses accepted by compile({ loss }). */
export const GROUPED_LOSSES = ['bpr', 'listnet', 'listmle', 'approx_ndcg'] as const;

/** Build a group-wise loss spec by name: every one takes { anchor } (the score anchor's weight), 'approx_ndcg' also { temperature }. */
export function createGroupedLoss(name: (typeof GROUPED_LOSSES)[number], params: Record<string, number> = {}): GroupedLossSpec {
  const allowed = name === 'approx_ndcg' ? ['temperature', 'anchor'] : ['anchor'];
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) throw new Error(`createLoss: unknown parameter '${k}' for loss '${name}'; accepted: ${allowed.join(', ') || '(none)'}`);
  }
  const ranking = name === 'bpr' ? groupBpr : name === 'listnet' ? listNet : name === 'listmle' ? listMle : approxNdcg(params.temperature ?? APPROX_NDCG_TEMPERATURE);
  const grouped = withScoreAnchor(ranking, params.anchor ?? SCORE_ANCHOR);
  const fn = () => {
    throw new Error(`loss '${name}' ranks rows within request groups: set compile({ groupColumn }) to the column of request ids`);
  };
  return { name, fn, output: 'logit', grouped, sortByLabel: name === 'listmle' };
}

/** Whether a loss spec is group-wise. */
export function isGroupedLoss(spec: LossSpec): spec is GroupedLossSpec {
  return typeof (spec as Partial<GroupedLossSpec>).grouped === 'function';
}
