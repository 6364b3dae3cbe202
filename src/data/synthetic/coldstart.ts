import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';

/** How strongly a returning user's personal taste drives clicks, by activity level (heavier users are pickier). */
const TASTE_BY_ACTIVITY = [0, 0, 0.7, 1.5, 3];

/** Options of {@link syntheticColdStart}. */
export interface SyntheticColdStartOptions {
  rows: number;
  seed?: number;
  /** Share of impressions that come from new users (default 0.1). */
  newUserFraction?: number;
  /** How much more strongly new users react to general item / context appeal than returning users (default 2.5). */
  newUserGain?: number;
  /** Returning users (ids 1..returningUsers). */
  returningUsers?: number;
  /** Pool of new-user ids (each new user appears only a few times). */
  newUsers?: number;
  items?: number;
  categories?: number;
  /** Number of dense context features (standard normal). */
  denseCount?: number;
  /** Extra categorical context fields (10 ids each) with small effects shared by both groups (default 8). */
  contextFields?: number;
  /** Embedding width declared on the returned features. */
  embeddingDim?: number;
  validFraction?: number;
  testFraction?: number;
}

/** One split's ground truth. */
export interface ColdStartOracle {
  /** True click probability per row. */
  p: Float32Array;
  /** 1 for rows of new users (the cold-start slice), 0 otherwise. */
  isNew: Uint8Array;
}

/** A click task where new users behave differently from returning ones. */
export interface SyntheticColdStart {
  /** Columns: the features (among them the personalization features `is_new` and `activity`) and `click`. */
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  /** Names of the features that describe the user's group, for POSO's `personalizationFeatures`. */
  personalizationFeatures: string[];
  oracle: { train: ColdStartOracle; valid: ColdStartOracle; test: ColdStartOracle };
}

/**
 * Clicks of returning users and new users on items. Returning users (the majority) follow a personal model:
 *   logit = b + u[user] + i[item] + k[cat] + <z_user, v_item> + <w, x>
 * New users have almost no history (their ids come from a large pool), and respond to different signals:
 *   logit = b' + i'[item] + k'[cat] + <w', x>
 * with i', k', w' drawn anti-correlated with i, k, w (a new user likes broadly popular, "safe" content that
 * regulars find dull, and reacts to context the other way). The `is_new` (1 returning, 2 new) and `activity`
 * (1 new, 2..4 by how often a returning user shows up) features tell the groups apart; a network that averages
 * both groups fits the majority, which is what POSO's personalization gates counter.
 */
export function syntheticColdStart(opts: SyntheticColdStartOptions): SyntheticColdStart {
  const {
    rows,
    seed = 3,
    newUserFraction = 0.1,
    newUserGain = 2.5,
    returningUsers = 1500,
    newUsers = 20000,
    items = 800,
    categories = 24,
    denseCount = 4,
    contextFields = 8,
    embeddingDim = 8,
    validFraction = 0.1,
    testFraction = 0.3,
  } = opts;
  requireRows('syntheticColdStart', rows);
  if (!(newUserFraction > 0 && newUserFraction < 1)) throw new Error(`syntheticColdStart: newUserFraction must be in (0, 1) (got ${newUserFraction})`);
  const rng = new Rng(seed);
  const K = 4;
  const draw = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const userVocab = 1 + returningUsers + newUsers;
  const zUser = draw((returningUsers + 1) * K, 1 / Math.sqrt(K));
  const vItem = draw(items * K, 1 / Math.sqrt(K));
  const uBias = draw(returningUsers + 1, 0.4);
  const iBias = draw(items, 0.6);
  const kBias = draw(categories, 0.5);
  const w = draw(denseCount, 0.6);
  const itemCat = Int32Array.from({ length: items }, () => 1 + rng.int(categories - 1));
  const userSampler = new ZipfSampler(returningUsers + 1, 0.9);
  const itemSampler = new ZipfSampler(items, 1.0);
  // activity level of a returning user from its popularity rank: heavy users have small ids under the Zipf sampler
  const activityOf = (u: number) => (u <= returningUsers * 0.05 ? 4 : u <= returningUsers * 0.3 ? 3 : 2);

  const col = {
    user_id: new Int32Array(rows),
    item_id: new Int32Array(rows),
    item_cat: new Int32Array(rows),
    is_new: new Int32Array(rows),
    activity: new Int32Array(rows),
    click: new Float32Array(rows),
  };
  const dense = Array.from({ length: denseCount }, () => new Float32Array(rows));
  // many ordinary inputs around the group indicators, as in production models where they are easily swamped
  const context = Array.from({ length: contextFields }, () => new Int32Array(rows));
  const contextBias = Array.from({ length: contextFields }, () => draw(11, 0.2));
  const p = new Float32Array(rows);
  const isNew = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const fresh = rng.next() < newUserFraction;
    const i = itemSampler.sample(rng);
    const c = itemCat[i];
    let z: number;
    let lin = 0;
    for (let f = 0; f < contextFields; f++) {
      const id = 1 + rng.int(10);
      context[f][r] = id;
      lin += contextBias[f][id];
    }
    const xs: number[] = [];
    for (let d = 0; d < denseCount; d++) {
      const x = rng.normal();
      xs.push(x);
      dense[d][r] = x;
    }
    let appeal = iBias[i] + kBias[c] + lin;
    for (let d = 0; d < denseCount; d++) appeal += w[d] * xs[d];
    if (fresh) {
      const u = 1 + returningUsers + rng.int(newUsers);
      // without a personal taste to go by, new users follow general appeal, and much more strongly
      z = -1.0 + newUserGain * appeal;
      col.user_id[r] = u;
      col.is_new[r] = 2;
      col.activity[r] = 1;
      isNew[r] = 1;
    } else {
      const u = userSampler.sample(rng);
      let dot = 0;
      for (let k = 0; k < K; k++) dot += zUser[u * K + k] * vItem[i * K + k];
      const level = activityOf(u);
      z = -1.2 + uBias[u] + appeal + TASTE_BY_ACTIVITY[level] * dot;
      col.user_id[r] = u;
      col.is_new[r] = 1;
      col.activity[r] = level;
    }
    col.item_id[r] = i;
    col.item_cat[r] = c;
    p[r] = sigmoid(z);
    col.click[r] = rng.next() < p[r] ? 1 : 0;
  }

  const sparseFeatures = [
    new SparseFeature({ name: 'user_id', vocabSize: userVocab, embeddingDim }),
    new SparseFeature({ name: 'item_id', vocabSize: items, embeddingDim }),
    new SparseFeature({ name: 'item_cat', vocabSize: categories, embeddingDim }),
    new SparseFeature({ name: 'is_new', vocabSize: 3, embeddingDim }),
    new SparseFeature({ name: 'activity', vocabSize: 5, embeddingDim }),
  ];
  for (let f = 0; f < contextFields; f++) sparseFeatures.push(new SparseFeature({ name: `ctx${f}`, vocabSize: 11, embeddingDim }));
  const denseFeatures = Array.from({ length: denseCount }, (_, d) => new DenseFeature({ name: `x${d}` }));
  const split = ([lo, hi]: [number, number]) => {
    const data: ColumnarInput = {};
    for (const [name, arr] of Object.entries(col)) data[name] = arr.slice(lo, hi);
    denseFeatures.forEach((f, d) => (data[f.name] = dense[d].slice(lo, hi)));
    context.forEach((c, f) => (data[`ctx${f}`] = c.slice(lo, hi)));
    return { data, oracle: { p: p.slice(lo, hi), isNew: isNew.slice(lo, hi) } };
  };
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    sparseFeatures,
    denseFeatures,
    personalizationFeatures: ['is_new', 'activity'],
    oracle: { train: train.oracle, valid: valid.oracle, test: test.oracle },
  };
}
