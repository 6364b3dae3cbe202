import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import { sigmoid, requireRows, splitRows, ZipfSampler } from './common';

/** Options of {@link syntheticFunnel}. */
export interface SyntheticFunnelOptions {
  /** Number of impressions. */
  rows: number;
  seed?: number;
  /** Users (including padding id 0; default 3000). */
  users?: number;
  /** Items (including padding id 0; default 3000). */
  items?: number;
  /** Item categories (including padding id 0; default 30). */
  categories?: number;
  /** Correlation between an item's click and conversion appeal (default 0.9); negative = "click-bait" items convert worse. */
  itemCorrelation?: number;
  /** Correlation between the user-item affinities that drive clicks and those that drive conversions (default 0.95). */
  affinityCorrelation?: number;
  /** Correlation between a user's click propensity and conversion propensity (default 0.9). */
  userCorrelation?: number;
  /** Popularity skew of items (Zipf exponent, default 0.8; smaller = flatter, more items with few impressions). */
  itemZipf?: number;
  /** Intercept of the click logit (sets the click rate; default -3.5, about 6% clicks). */
  ctrBias?: number;
  /** Intercept of the conversion logit (sets the post-click conversion rate; default -1). */
  cvrBias?: number;
  /**
   * Weight of a non-linear dense response per stage (default 0: off, the classic funnel). Above 0, `denseCount`
   * extra dense columns x2.. are drawn and each stage's logit adds c / sqrt(M) sum_{m<M} r(<w_stage,m, x>) with
   * r(a) = 0.5 a + mean_k sin(alpha_k a + beta_k) (MMoE's synthetic response), so the stages need different
   * non-linear features of the same input.
   */
  denseScale?: number;
  /** Extra dense columns for the non-linear response (default 8; used when denseScale > 0). */
  denseCount?: number;
  /** Dense directions per stage (default 3; used when denseScale > 0). */
  denseDirections?: number;
  /** Correlation of the conversion stage's dense directions with the click stage's (default 0; used when denseScale > 0). */
  denseCorrelation?: number;
  /** Embedding width declared on the returned features (default 8). */
  embeddingDim?: number;
  /** Default 0.1. */
  validFraction?: number;
  /** Default 0.2. */
  testFraction?: number;
}

/** Ground truth of one funnel split, aligned with its rows. */
export interface FunnelOracle {
  /** p(click | impression). */
  pctr: Float32Array;
  /** p(conversion | click, impression), defined on every impression (the "entire space" CVR). */
  pcvr: Float32Array;
  /** p(click and conversion | impression) = pctr * pcvr. */
  pctcvr: Float32Array;
  /**
   * Whether the impression would have converted had it been clicked, drawn from pcvr for every row (equals the
   * conversion label on clicked rows). Lets pCVR be scored with AUC over all impressions.
   */
  potentialConversion: Float32Array;
}

/** An impression -> click -> conversion funnel with known probabilities. */
export interface SyntheticFunnel {
  /** Columns: the features, `click` and `conversion` (1 only when clicked and converted, i.e. the CTCVR label). */
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  oracle: { train: FunnelOracle; valid: FunnelOracle; test: FunnelOracle };
}

/**
 * Impressions of (user, item) pairs with a click and a conversion stage, the setting of ESMM:
 *   ctr logit = b_c + u_c[user] + i_c[item] + k_c[cat] + 2 <z_user, v_item> + <w_c, x> + hour effect
 *   cvr logit = b_v + u_v[user] + i_v[item] + k_v[cat] + 2 <z_user, A v_item> + <w_v, x>
 * with A = rho I + noise, and u_v, i_v drawn correlated with u_c, i_c: both stages read largely the same latent
 * user and item traits, so what clicks on all impressions teach about users and items also predicts conversion.
 * A click is drawn from pctr and the would-be conversion from pcvr on every row, independently given the features;
 * the conversion is observed only on clicked rows. Clicks are rare (~6% by default), so a CVR model trained on
 * clicked rows sees few rows, biased towards high-CTR users and items (which, with positive correlations, also
 * convert more); the entire-space pcvr is returned so that its estimates can be scored on every impression.
 */
export function syntheticFunnel(opts: SyntheticFunnelOptions): SyntheticFunnel {
  const {
    rows,
    seed = 11,
    users = 3000,
    items = 3000,
    categories = 30,
    itemCorrelation = 0.9,
    affinityCorrelation = 0.95,
    userCorrelation = 0.9,
    itemZipf = 0.8,
    ctrBias = -3.5,
    cvrBias = -1.0,
    embeddingDim = 8,
    validFraction = 0.1,
    testFraction = 0.2,
    denseScale = 0,
    denseCount = 8,
    denseDirections = 3,
    denseCorrelation = 0,
  } = opts;
  requireRows('syntheticFunnel', rows);
  if (!(denseScale >= 0)) throw new Error(`syntheticFunnel: denseScale must be >= 0 (got ${denseScale})`);
  if (!(denseCorrelation >= -1 && denseCorrelation <= 1)) throw new Error(`syntheticFunnel: denseCorrelation must be in [-1, 1] (got ${denseCorrelation})`);
  for (const [name, v] of [['denseCount', denseCount], ['denseDirections', denseDirections]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`syntheticFunnel: ${name} must be a positive integer (got ${v})`);
  }
  for (const [name, v] of [['itemCorrelation', itemCorrelation], ['affinityCorrelation', affinityCorrelation], ['userCorrelation', userCorrelation]] as const) {
    if (!(v >= -1 && v <= 1)) throw new Error(`syntheticFunnel: ${name} must be in [-1, 1] (got ${v})`);
  }
  const rng = new Rng(seed);
  const K = 4;
  const vec = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const zUser = vec(users * K, 0.8 / Math.sqrt(K));
  const vItem = vec(items * K, 0.8 / Math.sqrt(K));
  const mixed = (base: Float32Array, rho: number, scale: number) => Float32Array.from(base, (c) => rho * c + Math.sqrt(1 - rho * rho) * scale * rng.normal());
  // A = rho I + noise: the CVR affinity is a different but related function of the same latent vectors, so
  // embeddings learnt from clicks on all impressions carry much of what conversions need
  const A = Float32Array.from({ length: K * K }, (_, k) => (k % (K + 1) === 0 ? affinityCorrelation : 0) + Math.sqrt(1 - affinityCorrelation ** 2) * rng.normal() / Math.sqrt(K));
  const uC = vec(users, 0.5);
  const uV = mixed(uC, userCorrelation, 0.5);
  const iC = vec(items, 0.8);
  const iV = mixed(iC, itemCorrelation, 0.8);
  const kC = vec(categories, 0.4);
  const kV = vec(categories, 0.4);
  const itemCat = Int32Array.from({ length: items }, () => 1 + rng.int(categories - 1));
  const wC = [0.4, -0.3];
  const wV = [-0.2, 0.5];
  const userSampler = new ZipfSampler(users, 0.8);
  const itemSampler = new ZipfSampler(items, itemZipf);
  // drawn only when the dense response is on, so the classic funnel's random stream (and data) is unchanged
  const E = denseScale > 0 ? denseCount : 0;
  const dirScale = 1.5 / Math.sqrt(Math.max(E, 1));
  const wClick = Array.from({ length: E > 0 ? denseDirections : 0 }, () => vec(E, dirScale));
  const wConv = wClick.map((w) => mixed(w, denseCorrelation, dirScale));
  const alphas = [1, 1.7, 2.9];
  const betas = E > 0 ? alphas.map(() => rng.uniform(0, Math.PI)) : [];
  const response = (a: number) => 0.5 * a + alphas.reduce((sum, al, m) => sum + Math.sin(al * a + betas[m]), 0) / alphas.length;
  const extra = Array.from({ length: E }, () => new Float32Array(rows));
  const xe = new Float64Array(E);

  const col = {
    user_id: new Int32Array(rows),
    item_id: new Int32Array(rows),
    item_cat: new Int32Array(rows),
    hour: new Int32Array(rows),
    d0: new Float32Array(rows),
    d1: new Float32Array(rows),
    click: new Float32Array(rows),
    conversion: new Float32Array(rows),
  };
  const pctr = new Float32Array(rows);
  const pcvr = new Float32Array(rows);
  const potential = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const u = userSampler.sample(rng);
    const i = itemSampler.sample(rng);
    const c = itemCat[i];
    const hour = 1 + rng.int(24);
    const x0 = rng.normal();
    const x1 = rng.normal();
    let dotC = 0;
    let dotV = 0;
    for (let a = 0; a < K; a++) {
      dotC += zUser[u * K + a] * vItem[i * K + a];
      let av = 0;
      for (let b = 0; b < K; b++) av += A[a * K + b] * vItem[i * K + b];
      dotV += zUser[u * K + a] * av;
    }
    const hourEffect = 0.3 * Math.sin((2 * Math.PI * hour) / 24);
    let zc = ctrBias + uC[u] + iC[i] + kC[c] + 2 * dotC + wC[0] * x0 + wC[1] * x1 + hourEffect;
    let zv = cvrBias + uV[u] + iV[i] + kV[c] + 2 * dotV + wV[0] * x0 + wV[1] * x1;
    if (E > 0) {
      for (let e = 0; e < E; e++) extra[e][r] = xe[e] = rng.normal();
      const dirDot = (w: Float32Array) => w.reduce((a, v, e) => a + v * xe[e], 0);
      for (let m = 0; m < denseDirections; m++) {
        zc += (denseScale * response(dirDot(wClick[m]))) / Math.sqrt(denseDirections);
        zv += (denseScale * response(dirDot(wConv[m]))) / Math.sqrt(denseDirections);
      }
    }
    col.user_id[r] = u;
    col.item_id[r] = i;
    col.item_cat[r] = c;
    col.hour[r] = hour;
    col.d0[r] = x0;
    col.d1[r] = x1;
    pctr[r] = sigmoid(zc);
    pcvr[r] = sigmoid(zv);
    const clicked = rng.next() < pctr[r];
    // the potential outcome is drawn for every row and only revealed on clicks, so click and conversion are
    // independent given the features, as ESMM's factorisation pCTCVR = pCTR * pCVR assumes
    potential[r] = rng.next() < pcvr[r] ? 1 : 0;
    col.click[r] = clicked ? 1 : 0;
    col.conversion[r] = clicked ? potential[r] : 0;
  }

  const sparseFeatures = [
    new SparseFeature({ name: 'user_id', vocabSize: users, embeddingDim }),
    new SparseFeature({ name: 'item_id', vocabSize: items, embeddingDim }),
    new SparseFeature({ name: 'item_cat', vocabSize: categories, embeddingDim }),
    new SparseFeature({ name: 'hour', vocabSize: 25, embeddingDim }),
  ];
  const denseFeatures = [new DenseFeature({ name: 'd0' }), new DenseFeature({ name: 'd1' }), ...extra.map((_, e) => new DenseFeature({ name: `d${e + 2}` }))];
  extra.forEach((arr, e) => ((col as Record<string, Float32Array | Int32Array>)[`d${e + 2}`] = arr));
  const split = ([lo, hi]: [number, number]) => {
    const data: ColumnarInput = {};
    for (const [name, arr] of Object.entries(col)) data[name] = arr.slice(lo, hi);
    const oracle: FunnelOracle = {
      pctr: pctr.slice(lo, hi),
      pcvr: pcvr.slice(lo, hi),
      pctcvr: Float32Array.from(pctr.subarray(lo, hi), (p, k) => p * pcvr[lo + k]),
      potentialConversion: potential.slice(lo, hi),
    };
    return { data, oracle };
  };
  const { train, valid, test } = splitRows(rows, validFraction, testFraction, split);
  return {
    train: train.data,
    valid: valid.data,
    test: test.data,
    sparseFeatures,
    denseFeatures,
    oracle: { train: train.oracle, valid: valid.oracle, test: test.oracle },
  };
}

/** Keep only the rows of a columnar split where `mask` is true (e.g. clicked rows for a click-space CVR baseline). */
export function filterRows(data: ColumnarInput, mask: ArrayLike<number | boolean>): ColumnarInput {
  const keep: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) keep.push(i);
  const out: ColumnarInput = {};
  for (const [name, arr] of Object.entries(data)) {
    const src = arr as ArrayLike<number>;
    const Ctor = (arr as Float32Array).constructor as { new (n: number): Float32Array | Int32Array };
    const dst = ArrayBuffer.isView(arr) ? new Ctor(keep.length) : (new Array(keep.length) as unknown as Float32Array);
    keep.forEach((r, k) => (dst[k] = src[r]));
    out[name] = dst as unknown as ColumnarInput[string];
  }
  return out;
}
