import { Rng } from '../../basic/random';
import { SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows } from './common';

/** Options of {@link syntheticGroupedRanking}. */
export interface SyntheticGroupedRankingOptions {
  /** Number of requests (groups); each has `listSize` candidate rows. */
  groups: number;
  listSize?: number;
  seed?: number;
  numUsers?: number;
  numItems?: number;
  /** Width of the planted user / item vectors (default 4). */
  latentDim?: number;
  /** Standard deviation of the unobserved per-request logit offset (default 1.5). */
  requestNoise?: number;
  /** Embedding width declared on the returned features (default 8). */
  embeddingDim?: number;
  validFraction?: number;
  testFraction?: number;
}

/** A grouped ranking task: rows of one request share `request`. */
export interface SyntheticGroupedRanking {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  /** Name of the group column ('request'). */
  groupColumn: string;
}

/**
 * Requests of `listSize` candidates each: a user sees items, and
 *   logit = <u_user, v_item> + bias_item + o_request,   label ~ Bernoulli(sigmoid(logit))
 * where o_request is an unobserved offset shared by the whole list (a session's mood, a page position): it moves
 * every candidate of the request together, so it is noise to a pointwise model but irrelevant to the order within
 * the request, which is what NDCG per request measures. Splits are by request.
 */
export function syntheticGroupedRanking(opts: SyntheticGroupedRankingOptions): SyntheticGroupedRanking {
  const { groups, listSize = 20, seed = 13, numUsers = 200, numItems = 300, latentDim = 4, requestNoise = 1.5, embeddingDim = 8, validFraction = 0.1, testFraction = 0.2 } = opts;
  requireRows('syntheticGroupedRanking', groups);
  if (!Number.isInteger(listSize) || listSize < 2) throw new Error(`syntheticGroupedRanking: listSize must be an integer >= 2 (got ${listSize})`);
  const rng = new Rng(seed);
  const user = Float32Array.from({ length: (numUsers + 1) * latentDim }, () => rng.normal() / Math.sqrt(latentDim) * 1.5);
  const item = Float32Array.from({ length: (numItems + 1) * latentDim }, () => rng.normal() / Math.sqrt(latentDim) * 1.5);
  const itemBias = Float32Array.from({ length: numItems + 1 }, () => 0.5 * rng.normal());
  const rows = groups * listSize;
  const request = new Int32Array(rows);
  const users = new Int32Array(rows);
  const items = new Int32Array(rows);
  const labels = new Float32Array(rows);
  for (let g = 0; g < groups; g++) {
    const u = 1 + rng.int(numUsers);
    const offset = requestNoise * rng.normal() - 1;
    for (let k = 0; k < listSize; k++) {
      const r = g * listSize + k;
      const i = 1 + rng.int(numItems);
      let z = itemBias[i] + offset;
      for (let d = 0; d < latentDim; d++) z += user[u * latentDim + d] * item[i * latentDim + d];
      request[r] = g + 1;
      users[r] = u;
      items[r] = i;
      labels[r] = rng.next() < sigmoid(z) ? 1 : 0;
    }
  }
  const sparseFeatures = [
    new SparseFeature({ name: 'user', vocabSize: numUsers + 1, embeddingDim }),
    new SparseFeature({ name: 'item', vocabSize: numItems + 1, embeddingDim }),
  ];
  const split = ([lo, hi]: [number, number]): ColumnarInput => {
    const [a, b] = [lo * listSize, hi * listSize];
    return { request: request.slice(a, b), user: users.slice(a, b), item: items.slice(a, b), label: labels.slice(a, b) };
  };
  const { train, valid, test } = splitRows(groups, validFraction, testFraction, split);
  return { train, valid, test, sparseFeatures, groupColumn: 'request' };
}
