/**
 * Evaluation metrics computed on host arrays.
 *
 * Kept free of tfjs on purpose: evaluation runs on data already downloaded
 * from the device, and doing it in plain JS with Float64 accumulators avoids
 * the float32 precision loss that summing a million terms on-device suffers.
 */

/** Labels as they typically come out of a dataset or a `dataSync()` call. */
export type LabelArray = Float32Array | Int32Array | Uint8Array | number[];

/**
 * Labels are binarised at 0.5 so that float labels (0/1 stored as float32)
 * and soft labels behave predictably in the binary metrics.
 */
const LABEL_THRESHOLD = 0.5;

function checkPair(fn: string, aName: string, a: ArrayLike<number>, bName: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new Error(`${fn}: length mismatch (${aName}: ${a.length}, ${bName}: ${b.length})`);
  }
  if (a.length === 0) {
    throw new Error(`${fn}: empty input (${aName}: ${a.length}, ${bName}: ${b.length})`);
  }
}

/**
 * Mann-Whitney U statistic normalised to [0, 1], given the scores of the
 * positive and negative samples. Both arrays are sorted in place.
 *
 * Sorting the two classes separately lets us use the native numeric sort of
 * typed arrays (no comparator callback), which is several times faster than
 * sorting an index array by score; a single two-pointer sweep then counts,
 * for every positive, the negatives strictly below it plus half of those tied
 * with it - exactly the average-rank treatment of ties.
 */
function aucFromClasses(pos: Float64Array, neg: Float64Array): number {
  const nPos = pos.length;
  const nNeg = neg.length;
  if (nPos === 0 || nNeg === 0) return NaN;
  pos.sort();
  neg.sort();
  // Counts are integers or halves below 2^53, so a double holds them exactly.
  let wins = 0;
  let below = 0; // negatives with score < current positive
  let belowOrEqual = 0; // negatives with score <= current positive
  for (let i = 0; i < nPos; i++) {
    const s = pos[i];
    while (below < nNeg && neg[below] < s) below++;
    if (belowOrEqual < below) belowOrEqual = below;
    while (belowOrEqual < nNeg && neg[belowOrEqual] <= s) belowOrEqual++;
    wins += below + 0.5 * (belowOrEqual - below);
  }
  return wins / (nPos * nNeg);
}

function assertNoNaN(fn: string, scores: ArrayLike<number>): void {
  for (let i = 0; i < scores.length; i++) {
    // NaN breaks the total order the sweep relies on and would yield a silently wrong AUC.
    if (Number.isNaN(scores[i])) throw new Error(`${fn}: scores contain NaN (first at index ${i})`);
  }
}

/**
 * Area under the ROC curve, computed in O(n log n).
 *
 * Ties in `scores` are credited 1/2 per positive-negative pair (equivalent to
 * average ranks in the Mann-Whitney formulation), so constant scores give 0.5.
 * A label counts as positive when it is >= 0.5.
 *
 * @param labels - binary ground-truth labels (0/1)
 * @param scores - predicted scores or probabilities; only their order matters
 * @returns the AUC in [0, 1], or NaN when only one class is present
 * @throws Error when lengths differ, inputs are empty, or scores contain NaN
 */
export function auc(labels: LabelArray, scores: ArrayLike<number>): number {
  checkPair('auc', 'labels', labels, 'scores', scores);
  assertNoNaN('auc', scores);
  const n = labels.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] >= LABEL_THRESHOLD) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(n - nPos);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] >= LABEL_THRESHOLD) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  return aucFromClasses(pos, neg);
}

/**
 * Group AUC: the AUC computed separately within each group (typically a user
 * id) and averaged with weights equal to the group's number of impressions.
 *
 * Groups containing a single class are skipped, since their AUC is undefined,
 * and do not contribute to the weight total either.
 *
 * @param labels - binary ground-truth labels (0/1)
 * @param scores - predicted scores
 * @param groups - group id per sample (compared by numeric value)
 * @returns the weighted mean AUC, or NaN when no group has both classes
 * @throws Error when lengths differ, inputs are empty, or scores contain NaN
 */
export function gauc(labels: LabelArray, scores: ArrayLike<number>, groups: ArrayLike<number>): number {
  checkPair('gauc', 'labels', labels, 'scores', scores);
  checkPair('gauc', 'labels', labels, 'groups', groups);
  assertNoNaN('gauc', scores);
  const n = labels.length;

  // Two passes with dense group slots keep allocation linear instead of
  // growing one JS array per group.
  const slotOf = new Map<number, number>();
  const slot = new Int32Array(n);
  const posCount: number[] = [];
  const negCount: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = slotOf.get(groups[i]);
    if (s === undefined) {
      s = posCount.length;
      slotOf.set(groups[i], s);
      posCount.push(0);
      negCount.push(0);
    }
    slot[i] = s;
    if (labels[i] >= LABEL_THRESHOLD) posCount[s]++;
    else negCount[s]++;
  }

  const nGroups = posCount.length;
  const posScores: (Float64Array | null)[] = new Array(nGroups);
  const negScores: (Float64Array | null)[] = new Array(nGroups);
  for (let g = 0; g < nGroups; g++) {
    const valid = posCount[g] > 0 && negCount[g] > 0;
    posScores[g] = valid ? new Float64Array(posCount[g]) : null;
    negScores[g] = valid ? new Float64Array(negCount[g]) : null;
  }
  const posFill = new Int32Array(nGroups);
  const negFill = new Int32Array(nGroups);
  for (let i = 0; i < n; i++) {
    const g = slot[i];
    const ps = posScores[g];
    if (ps === null) continue;
    if (labels[i] >= LABEL_THRESHOLD) ps[posFill[g]++] = scores[i];
    else (negScores[g] as Float64Array)[negFill[g]++] = scores[i];
  }

  let weighted = 0;
  let totalWeight = 0;
  for (let g = 0; g < nGroups; g++) {
    const ps = posScores[g];
    const ns = negScores[g];
    if (ps === null || ns === null) continue;
    const w = ps.length + ns.length;
    weighted += w * aucFromClasses(ps, ns);
    totalWeight += w;
  }
  return totalWeight > 0 ? weighted / totalWeight : NaN;
}

/**
 * Mean binary cross-entropy of predicted probabilities.
 *
 * Probabilities are clipped to [eps, 1 - eps] so that a confident wrong
 * prediction yields a large but finite loss instead of Infinity.
 *
 * @param labels - targets in [0, 1] (soft labels are allowed)
 * @param probs - predicted probabilities
 * @param eps - clipping margin, default 1e-7
 * @returns the mean log loss
 * @throws Error when lengths differ or inputs are empty
 */
export function logloss(labels: LabelArray, probs: ArrayLike<number>, eps = 1e-7): number {
  checkPair('logloss', 'labels', labels, 'probs', probs);
  const n = labels.length;
  const lo = eps;
  const hi = 1 - eps;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let p = probs[i];
    if (p < lo) p = lo;
    else if (p > hi) p = hi;
    const y = labels[i];
    sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return sum / n;
}

/**
 * Fraction of samples whose thresholded prediction matches the label.
 *
 * A prediction counts as positive when `prob >= threshold`; a label counts as
 * positive when it is >= 0.5.
 *
 * @param labels - binary ground-truth labels
 * @param probs - predicted probabilities
 * @param threshold - decision threshold, default 0.5
 * @returns accuracy in [0, 1]
 * @throws Error when lengths differ or inputs are empty
 */
export function accuracy(labels: LabelArray, probs: ArrayLike<number>, threshold = 0.5): number {
  checkPair('accuracy', 'labels', labels, 'probs', probs);
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if ((probs[i] >= threshold) === (labels[i] >= LABEL_THRESHOLD)) correct++;
  }
  return correct / n;
}

/**
 * Mean squared error.
 *
 * @param targets - ground-truth values
 * @param preds - predictions
 * @returns mean of (pred - target)^2
 * @throws Error when lengths differ or inputs are empty
 */
export function mse(targets: ArrayLike<number>, preds: ArrayLike<number>): number {
  checkPair('mse', 'targets', targets, 'preds', preds);
  const n = targets.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = preds[i] - targets[i];
    sum += d * d;
  }
  return sum / n;
}

/**
 * Root mean squared error.
 *
 * @param targets - ground-truth values
 * @param preds - predictions
 * @returns sqrt of the mean squared error
 * @throws Error when lengths differ or inputs are empty
 */
export function rmse(targets: ArrayLike<number>, preds: ArrayLike<number>): number {
  checkPair('rmse', 'targets', targets, 'preds', preds);
  return Math.sqrt(mse(targets, preds));
}

/**
 * Mean absolute error.
 *
 * @param targets - ground-truth values
 * @param preds - predictions
 * @returns mean of |pred - target|
 * @throws Error when lengths differ or inputs are empty
 */
export function mae(targets: ArrayLike<number>, preds: ArrayLike<number>): number {
  checkPair('mae', 'targets', targets, 'preds', preds);
  const n = targets.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(preds[i] - targets[i]);
  return sum / n;
}
