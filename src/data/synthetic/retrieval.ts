import { Rng, sampleCategorical } from '../../basic/random';
import { SequenceFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';

/** Options of {@link syntheticRetrieval}. */
export interface SyntheticRetrievalOptions {
  /** Number of users (ids 1..numUsers; default 1000). */
  numUsers?: number;
  /** Number of items (ids 1..numItems; default 1000). */
  numItems?: number;
  /** Number of item clusters (interests; default 20). */
  numClusters?: number;
  /** Range of how many clusters each user mixes (default [1, 3]). */
  clustersPerUser?: [number, number];
  /** History length per user; also the declared maxLen of the history feature (default 20). */
  historyLen?: number;
  /** Training positives per user (default 10). */
  trainPerUser?: number;
  /** Held-out positives per user for evaluation (default 1). */
  testPerUser?: number;
  /** Share of interactions drawn uniformly from all items instead of the user's clusters (default 0.05). */
  noise?: number;
  /** Popularity skew inside a cluster, p(rank r) ~ 1 / r^zipf (default 0.8). */
  zipf?: number;
  /** Embedding width declared on the returned features (default 16). */
  embeddingDim?: number;
  seed?: number;
}

/** The true relevance behind a synthetic retrieval task. */
export interface RetrievalOracle {
  /** p(item | user) for every item id (index = id; 0 for padding), before excluding the user's history. */
  relevance(user: number): Float64Array;
  /**
   * Hit rate @k of ranking by true relevance on the test rows (items in the user's history excluded from the
   * ranking, ties split evenly): the ceiling a learned retriever can reach on the sampled test targets.
   */
  hitRateAt(k: number): number;
  /** Expected hit rate @k: the true probability mass of each user's top-k candidates, averaged over test rows. */
  expectedHitRateAt(k: number): number;
}

/** A synthetic candidate-retrieval task with users mixing several interest clusters. */
export interface SyntheticRetrieval {
  /** Rows of (user_id, hist, item_id, label = 1): one per training positive. `hist` is flat [rows x historyLen]. */
  train: ColumnarInput;
  /** Held-out positives, same columns; targets never appear in the user's history. */
  test: ColumnarInput;
  /** `user_id` and `hist` (history, sharing the 'item_id' table). */
  userFeatures: Array<SparseFeature | SequenceFeature>;
  /** `item_id`. */
  itemFeatures: SparseFeature[];
  sparseFeatures: SparseFeature[];
  sequenceFeatures: SequenceFeature[];
  /** Each user's history (index = user id; empty for 0). */
  histories: Int32Array[];
  /** Cluster of every item id (index = id; -1 for padding). */
  itemCluster: Int32Array;
  /** Mixture weights over clusters per user (index = user id), as [cluster, weight] pairs. */
  userInterests: Array<Array<[number, number]>>;
  oracle: RetrievalOracle;
}

/**
 * Users with several interests: items are split into clusters with Zipf popularity inside each; every user mixes
 * 1-3 clusters with random weights, plus a little uniform noise, so
 *   p(item | user) = (1 - noise) * sum_k w_uk * p(item | cluster k) + noise / numItems.
 * Histories, training positives and test positives are all drawn from p(. | user) (positives exclude history items),
 * which lets a multi-interest model (MIND) beat a single-vector one, and the oracle reports the best achievable
 * hit rate.
 */
export function syntheticRetrieval(opts: SyntheticRetrievalOptions = {}): SyntheticRetrieval {
  const {
    numUsers = 1000,
    numItems = 1000,
    numClusters = 20,
    clustersPerUser = [1, 3],
    historyLen = 20,
    trainPerUser = 10,
    testPerUser = 1,
    noise = 0.05,
    zipf = 0.8,
    embeddingDim = 16,
    seed = 11,
  } = opts;
  for (const [name, v, min] of [
    ['numUsers', numUsers, 1],
    ['numItems', numItems, 2],
    ['numClusters', numClusters, 1],
    ['historyLen', historyLen, 1],
    ['trainPerUser', trainPerUser, 1],
    ['testPerUser', testPerUser, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`syntheticRetrieval: ${name} must be an integer >= ${min} (got ${v})`);
  }
  if (numClusters > numItems) throw new Error('syntheticRetrieval: numClusters must not exceed numItems');
  if (historyLen + testPerUser >= numItems) throw new Error('syntheticRetrieval: historyLen + testPerUser must be below numItems');
  if (!(noise >= 0 && noise < 1)) throw new Error('syntheticRetrieval: noise must be in [0, 1)');
  const [cLo, cHi] = clustersPerUser;
  if (!(Number.isInteger(cLo) && Number.isInteger(cHi) && cLo >= 1 && cHi >= cLo && cHi <= numClusters)) throw new Error('syntheticRetrieval: clustersPerUser must be [lo, hi] with 1 <= lo <= hi <= numClusters');
  const rng = new Rng(seed);

  // items: shuffled ids dealt to clusters, popularity by position within the cluster
  const ids = Int32Array.from({ length: numItems }, (_, i) => i + 1);
  rng.shuffle(ids);
  const itemCluster = new Int32Array(numItems + 1).fill(-1);
  const members: number[][] = Array.from({ length: numClusters }, () => []);
  ids.forEach((id, i) => {
    itemCluster[id] = i % numClusters;
    members[i % numClusters].push(id);
  });
  const inCluster = new Float64Array(numItems + 1);
  for (const m of members) {
    let z = 0;
    m.forEach((_, r) => (z += 1 / Math.pow(r + 1, zipf)));
    m.forEach((id, r) => (inCluster[id] = 1 / Math.pow(r + 1, zipf) / z));
  }

  const userInterests: Array<Array<[number, number]>> = [[]];
  const relevanceCache = new Map<number, Float64Array>();
  for (let u = 1; u <= numUsers; u++) {
    const m = cLo + rng.int(cHi - cLo + 1);
    const picked = new Set<number>();
    while (picked.size < m) picked.add(rng.int(numClusters));
    const raw = [...picked].map((k) => [k, -Math.log(1 - rng.next()) + 0.2] as [number, number]);
    const z = raw.reduce((s, [, w]) => s + w, 0);
    userInterests.push(raw.map(([k, w]) => [k, w / z]));
  }
  const relevance = (u: number): Float64Array => {
    if (!(Number.isInteger(u) && u >= 1 && u <= numUsers)) throw new Error(`relevance: user must be in 1..${numUsers} (got ${u})`);
    let p = relevanceCache.get(u);
    if (p) return p;
    p = new Float64Array(numItems + 1);
    for (let i = 1; i <= numItems; i++) p[i] = noise / numItems;
    for (const [k, w] of userInterests[u]) for (const id of members[k]) p[id] += (1 - noise) * w * inCluster[id];
    if (relevanceCache.size < 4096) relevanceCache.set(u, p);
    return p;
  };
  const draw = (u: number, exclude: Set<number> | null): number => {
    const p = relevance(u);
    for (;;) {
      const id = sampleCategorical(rng, p);
      if (id > 0 && !(exclude && exclude.has(id))) return id;
    }
  };

  const histories: Int32Array[] = [new Int32Array(0)];
  const trainRows = numUsers * trainPerUser;
  const testRows = numUsers * testPerUser;
  const train = { user_id: new Int32Array(trainRows), hist: new Int32Array(trainRows * historyLen), item_id: new Int32Array(trainRows), label: new Float32Array(trainRows).fill(1) };
  const test = { user_id: new Int32Array(testRows), hist: new Int32Array(testRows * historyLen), item_id: new Int32Array(testRows), label: new Float32Array(testRows).fill(1) };
  for (let u = 1; u <= numUsers; u++) {
    const seen = new Set<number>();
    const h = new Int32Array(historyLen);
    for (let j = 0; j < historyLen; j++) {
      h[j] = draw(u, seen);
      seen.add(h[j]);
    }
    histories.push(h);
    for (let t = 0; t < trainPerUser; t++) {
      const r = (u - 1) * trainPerUser + t;
      train.user_id[r] = u;
      train.hist.set(h, r * historyLen);
      train.item_id[r] = draw(u, seen);
    }
    for (let t = 0; t < testPerUser; t++) {
      const r = (u - 1) * testPerUser + t;
      test.user_id[r] = u;
      test.hist.set(h, r * historyLen);
      test.item_id[r] = draw(u, seen);
    }
  }

  const userFeature = new SparseFeature({ name: 'user_id', vocabSize: numUsers + 1, embeddingDim });
  const itemFeature = new SparseFeature({ name: 'item_id', vocabSize: numItems + 1, embeddingDim });
  const histFeature = new SequenceFeature({ name: 'hist', vocabSize: numItems + 1, embeddingDim, embeddingName: 'item_id', maxLen: historyLen, pooling: 'mean' });

  /** Rank statistics of the target among candidates (all items but the history) by true relevance. */
  const rankOf = (u: number, target: number): { greater: number; equal: number } => {
    const p = relevance(u);
    const hist = new Set(histories[u]);
    let greater = 0;
    let equal = 0;
    for (let i = 1; i <= numItems; i++) {
      if (i === target || hist.has(i)) continue;
      if (p[i] > p[target]) greater++;
      else if (p[i] === p[target]) equal++;
    }
    return { greater, equal };
  };
  const oracle: RetrievalOracle = {
    relevance: (u) => relevance(u).slice(),
    hitRateAt(k) {
      let s = 0;
      for (let r = 0; r < testRows; r++) {
        const { greater, equal } = rankOf(test.user_id[r], test.item_id[r]);
        // ties broken uniformly at random: the target lands in the top k with this probability
        s += Math.min(1, Math.max(0, (k - greater) / (equal + 1)));
      }
      return s / testRows;
    },
    expectedHitRateAt(k) {
      let s = 0;
      for (let r = 0; r < testRows; r++) {
        const u = test.user_id[r];
        const p = relevance(u);
        const hist = new Set(histories[u]);
        const cand: number[] = [];
        let z = 0;
        for (let i = 1; i <= numItems; i++) {
          if (hist.has(i)) continue;
          cand.push(p[i]);
          z += p[i];
        }
        cand.sort((a, b) => b - a);
        let top = 0;
        for (let j = 0; j < Math.min(k, cand.length); j++) top += cand[j];
        s += top / z;
      }
      return s / testRows;
    },
  };

  return {
    train,
    test,
    userFeatures: [userFeature, histFeature],
    itemFeatures: [itemFeature],
    sparseFeatures: [userFeature, itemFeature],
    sequenceFeatures: [histFeature],
    histories,
    itemCluster,
    userInterests,
    oracle,
  };
}
