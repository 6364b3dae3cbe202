import { Rng } from '../../basic/random';
import { SequenceFeature, SparseFeature } from '../../basic/features';
import { auc } from '../../basic/metrics';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows } from './common';
import type { SyntheticSplit } from './ctr';

/** Options of {@link syntheticInterestSequence}. */
export interface SyntheticInterestSequenceOptions {
  /** Number of (user history, target item, label) rows. */
  rows: number;
  seed?: number;
  /** Number of item clusters (interests) (default 12). */
  numClusters?: number;
  /** Items per cluster; item ids are 1..numClusters*itemsPerCluster (default 8). */
  itemsPerCluster?: number;
  /** Declared maxLen of the history feature: the longest history (default 20). */
  maxLen?: number;
  /** Shortest history (default 60 % of maxLen, at least recentLen[1] + 1); a wide range dilutes mean pooling. */
  minLen?: number;
  /** Length range of the most recent interest segment (default [4, 7]). */
  recentLen?: [number, number];
  /** Length range of each older interest segment (default [3, 6]). */
  pastLen?: [number, number];
  /** Probability that a history item is drawn from a random cluster instead of the segment's (default 0.1). */
  noise?: number;
  /** Share of target items drawn from the current interest / from an older interest of the same user (default 0.4 / 0.35; the rest is random). */
  targetMix?: [number, number];
  /** Logit gap between a target matching the current interest and any other target (default 4.4). */
  strength?: number;
  /** Embedding width declared on the returned features (default 8). */
  embeddingDim?: number;
  /**
   * Standard deviation of the declared features' normal row initialiser (default 0.05). Larger than the library's
   * 0.01 because every model here must first learn which items belong together from the labels alone; at 0.01 all
   * of them sit on a long plateau first.
   */
  embeddingInitStd?: number;
  validFraction?: number;
  testFraction?: number;
}

/** A synthetic behaviour-sequence CTR task with drifting user interests. */
export interface SyntheticInterestSequence {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  /** `hist_item` (behaviour sequence) and `target_item`, sharing the table 'item'. */
  behaviorFeature: SequenceFeature;
  targetItemFeature: SparseFeature;
  /** Context features: `user_group`. */
  contextFeatures: SparseFeature[];
  sparseFeatures: SparseFeature[];
  sequenceFeatures: SequenceFeature[];
  /** Cluster of every item id (index = id; -1 for padding id 0). */
  itemCluster: Int32Array;
  oracle: { train: SyntheticSplit; valid: SyntheticSplit; test: SyntheticSplit };
}

function between(rng: Rng, [lo, hi]: [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/**
 * Each user's history is a chain of interest segments over item clusters; the interest drifts (each segment's
 * cluster is a near neighbour, on a ring, of the one before) and the last segment is the *current* interest.
 * The target item comes from the current cluster, from one of the user's older clusters (a hard negative that a
 * model ignoring order confuses with the current one) or from a random cluster, and
 *   logit = ±strength / 2 (target in the current cluster or not) + bias[user_group]
 * Only order separates current from past interests, though the current segment is a little longer on average,
 * so an order-blind model that weighs how much of the history relates to the target gets part of the way.
 */
export function syntheticInterestSequence(opts: SyntheticInterestSequenceOptions): SyntheticInterestSequence {
  const {
    rows,
    seed = 5,
    numClusters = 12,
    itemsPerCluster = 8,
    maxLen = 20,
    recentLen = [4, 7],
    pastLen = [3, 6],
    noise = 0.1,
    targetMix = [0.4, 0.35],
    strength = 4.4,
    embeddingDim = 8,
    embeddingInitStd = 0.05,
    validFraction = 0.1,
    testFraction = 0.2,
  } = opts;
  requireRows('syntheticInterestSequence', rows);
  if (!Number.isInteger(numClusters) || numClusters < 4) throw new Error(`syntheticInterestSequence: numClusters must be an integer >= 4 (got ${numClusters})`);
  if (!Number.isInteger(maxLen) || maxLen < recentLen[1] + 1) throw new Error(`syntheticInterestSequence: maxLen must exceed recentLen[1] (got ${maxLen})`);
  if (!(targetMix[0] >= 0 && targetMix[1] >= 0 && targetMix[0] + targetMix[1] <= 1)) throw new Error('syntheticInterestSequence: targetMix must be two non-negative shares summing to at most 1');
  const rng = new Rng(seed);
  const numItems = numClusters * itemsPerCluster;
  const itemCluster = new Int32Array(numItems + 1);
  itemCluster[0] = -1;
  for (let id = 1; id <= numItems; id++) itemCluster[id] = Math.floor((id - 1) / itemsPerCluster);
  const itemOf = (cluster: number) => 1 + cluster * itemsPerCluster + rng.int(itemsPerCluster);
  const groups = 8;
  const groupBias = Float32Array.from({ length: groups + 1 }, (_, g) => (g === 0 ? 0 : 0.3 * rng.normal()));

  const hist = new Int32Array(rows * maxLen);
  const target = new Int32Array(rows);
  const group = new Int32Array(rows);
  const probs = new Float32Array(rows);
  const labels = new Float32Array(rows);
  const minTotal = opts.minLen ?? Math.max(recentLen[1] + 1, Math.round(0.6 * maxLen));
  if (!Number.isInteger(minTotal) || minTotal < 1 || minTotal > maxLen) throw new Error(`syntheticInterestSequence: minLen must be an integer in [1, maxLen] (got ${opts.minLen})`);
  for (let r = 0; r < rows; r++) {
    const total = minTotal + rng.int(maxLen - minTotal + 1);
    // walk the interest backwards from the current cluster, so the most recent segment is generated first
    const current = rng.int(numClusters);
    const segments: Array<{ cluster: number; len: number }> = [{ cluster: current, len: Math.min(between(rng, recentLen), total) }];
    let filled = segments[0].len;
    let c = current;
    while (filled < total) {
      const step = 1 + rng.int(2);
      c = (c + (rng.next() < 0.5 ? step : numClusters - step)) % numClusters;
      const len = Math.min(between(rng, pastLen), total - filled);
      segments.push({ cluster: c, len });
      filled += len;
    }
    let pos = 0;
    const past: number[] = [];
    for (let s = segments.length - 1; s >= 0; s--) {
      const { cluster, len } = segments[s];
      if (s > 0 && cluster !== current) past.push(cluster);
      for (let j = 0; j < len; j++) hist[r * maxLen + pos++] = itemOf(rng.next() < noise ? rng.int(numClusters) : cluster);
    }
    const u = rng.next();
    let tc: number;
    if (u < targetMix[0]) tc = current;
    else if (u < targetMix[0] + targetMix[1] && past.length) tc = past[rng.int(past.length)];
    else tc = rng.int(numClusters);
    target[r] = itemOf(tc);
    group[r] = 1 + rng.int(groups);
    const z = (tc === current ? strength / 2 : -strength / 2) + groupBias[group[r]];
    probs[r] = sigmoid(z);
    labels[r] = rng.next() < probs[r] ? 1 : 0;
  }

  const initializer = { initializer: { type: 'normal' as const, std: embeddingInitStd } };
  const item = { vocabSize: numItems + 1, embeddingDim, embeddingName: 'item', ...initializer };
  const behaviorFeature = new SequenceFeature({ name: 'hist_item', ...item, maxLen, pooling: 'mean' });
  const targetItemFeature = new SparseFeature({ name: 'target_item', ...item });
  const userGroup = new SparseFeature({ name: 'user_group', vocabSize: groups + 1, embeddingDim, ...initializer });
  const split = ([lo, hi]: [number, number]): SyntheticSplit => {
    const data: ColumnarInput = {
      hist_item: hist.slice(lo * maxLen, hi * maxLen),
      target_item: target.slice(lo, hi),
      user_group: group.slice(lo, hi),
      label: labels.slice(lo, hi),
    };
    const oracle = probs.slice(lo, hi);
    return { data, oracle, oracleAuc: hi > lo ? auc(data.label as Float32Array, oracle) : NaN };
  };
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    behaviorFeature,
    targetItemFeature,
    contextFeatures: [userGroup],
    sparseFeatures: [targetItemFeature, userGroup],
    sequenceFeatures: [behaviorFeature],
    itemCluster,
    oracle: { train, valid, test },
  };
}
