/** Classification metrics at a decision threshold, the KS statistic, and regression metrics beyond mse/mae. */

function check(fn: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`${fn}: labels (${a.length}) and predictions (${b.length}) must have the same length`);
  if (a.length === 0) throw new Error(`${fn}: no rows`);
}

/** Confusion counts with "predicted positive" meaning score >= threshold and "positive" label >= 0.5. */
function confusion(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold: number): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] >= 0.5;
    const p = probs[i] >= threshold;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  return { tp, fp, fn };
}

/** tp / (tp + fp); 0 when nothing is predicted positive. */
export function precision(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold = 0.5): number {
  check('precision', labels, probs);
  const { tp, fp } = confusion(labels, probs, threshold);
  return tp + fp ? tp / (tp + fp) : 0;
}

/** tp / (tp + fn); 0 when there is no positive label. */
export function recall(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold = 0.5): number {
  check('recall', labels, probs);
  const { tp, fn } = confusion(labels, probs, threshold);
  return tp + fn ? tp / (tp + fn) : 0;
}

/** Harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn); 0 when both are 0. */
export function f1(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold = 0.5): number {
  check('f1', labels, probs);
  const { tp, fp, fn } = confusion(labels, probs, threshold);
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
}

/**
 * Kolmogorov-Smirnov statistic: the largest gap between the score distributions of positives and negatives,
 * max over thresholds t of |TPR(t) - FPR(t)| with "score >= t" predicted positive. Tied scores move together, so
 * ties cannot be split to inflate it. NaN when a class is absent.
 */
export function ks(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  check('ks', labels, scores);
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < labels.length; i++) P += labels[i] >= 0.5 ? 1 : 0;
  const N = labels.length - P;
  if (P === 0 || N === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]];
    while (i < order.length && scores[order[i]] === s) {
      if (labels[order[i]] >= 0.5) tp++;
      else fp++;
      i++;
    }
    best = Math.max(best, Math.abs(tp / P - fp / N));
  }
  return best;
}

/** Coefficient of determination 1 - SS_res / SS_tot; for constant targets 1 when predictions are exact, else 0. */
export function r2(targets: ArrayLike<number>, preds: ArrayLike<number>): number {
  check('r2', targets, preds);
  let mean = 0;
  for (let i = 0; i < targets.length; i++) mean += targets[i];
  mean /= targets.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < targets.length; i++) {
    res += (targets[i] - preds[i]) ** 2;
    tot += (targets[i] - mean) ** 2;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/** Mean absolute percentage error, mean |y - p| / |y| over rows with y != 0 (NaN when every target is 0). */
export function mape(targets: ArrayLike<number>, preds: ArrayLike<number>): number {
  check('mape', targets, preds);
  let s = 0;
  let n = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] === 0) continue;
    s += Math.abs(targets[i] - preds[i]) / Math.abs(targets[i]);
    n++;
  }
  return n ? s / n : NaN;
}
