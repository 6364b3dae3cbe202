import { Rng, sampleCategorical } from '../../basic/random';
import { SequenceFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';

/** Options of {@link syntheticNextItem}. */
export interface SyntheticNextItemOptions {
  /** Number of users, one sequence each (ids 1..numUsers; default 1000). */
  numUsers?: number;
  /** Number of items (ids 1..numItems; default 500). */
  numItems?: number;
  /** Number of topics items belong to (default 10). */
  numTopics?: number;
  /** Range of topics each user mixes (default [1, 3]). */
  topicsPerUser?: [number, number];
  /** Range of sequence lengths (default [20, 50]). */
  seqLen?: [number, number];
  /** Successors per item in the transition graph (default 3). */
  branching?: number;
  /** Weight of the Markov transition against the user's topic preference (default 0.6). */
  markovWeight?: number;
  /**
   * Probability that an event after the first starts a new session (default 0). Events within a session are
   * 10 s to 10 min apart and follow the transition graph; a new session starts 1 h to 3 days later and its first
   * item comes from the user's topic preference alone, so only a model that sees the time gap can tell which
   * rule produced the next item.
   */
  sessionBreak?: number;
  /**
   * Within a session, the weight of the session's own topic in the preference part (default 0). Every session draws
   * one topic from the user's mixture when it opens; with focus f the preference part of the next-item distribution
   * is f * p(item | session topic) + (1 - f) * p(item | user's mixture). A new session's first item follows the
   * user's whole mixture (its topic is not known yet), so the time since the previous event decides which
   * preference applies: recent items (in time, not in position) tell the current interest.
   */
  sessionFocus?: number;
  /** Declared maxLen of the history feature (default 50). */
  maxLen?: number;
  /** Embedding width declared on the returned features (default 16). */
  embeddingDim?: number;
  seed?: number;
}

/** The true next-item process behind a synthetic sequence task. */
export interface NextItemOracle {
  /**
   * p(next item | user, previous item, session) for every item id (index = id; 0 for padding). `newSession`: the
   * next item opens a new session (no transition weight); `sessionTopic`: the topic of the session the next item
   * belongs to (-1, the default, averages over the user's mixture, as for an item that opens a session).
   */
  distribution(user: number, prevItem: number, session?: { newSession?: boolean; sessionTopic?: number }): Float64Array;
  /**
   * Hit rate @k of ranking all items by the true next-item distribution on the test (or valid) rows, ties split
   * evenly: the ceiling for HR@k of a sequence model on this data. With `timeBlind`, the ranking uses the
   * distribution averaged over whether a session break precedes the target (the ceiling of a model that ignores
   * timestamps); without session breaks both are the same.
   */
  hitRateAt(k: number, split?: 'valid' | 'test', timeBlind?: boolean): number;
  /** NDCG @k of the same ranking. */
  ndcgAt(k: number, split?: 'valid' | 'test', timeBlind?: boolean): number;
  /** Expected hit rate @k: the true probability mass of the top k items, averaged over the rows of a split. */
  expectedHitRateAt(k: number, split?: 'valid' | 'test', timeBlind?: boolean): number;
}

/** A synthetic next-item task: sequences from a known Markov / topic-mixture process, leave-one-out splits. */
export interface SyntheticNextItem {
  /** Every user's full sequence, oldest first (index = user id; empty for 0). */
  sequences: Int32Array[];
  /** Training part of each sequence (all but the last two items), for models trained on whole sequences. */
  trainSequences: Int32Array[];
  /** Timestamp in seconds of every event of `sequences` (index = user id). */
  timestamps: Float64Array[];
  /** Timestamps of `trainSequences`. */
  trainTimestamps: Float64Array[];
  /**
   * Rows (user_id, hist, hist_time, target_item, target_time, label = 1) for every position of the training part:
   * `hist` is the prefix before the target (most recent maxLen items, flat [rows x maxLen], zero-padded),
   * `hist_time` its timestamps (float64: float32 would round epoch seconds to minutes) and `target_time` the
   * target event's time, i.e. the request time.
   */
  train: ColumnarInput;
  /** Per user: history = sequence without its last two items, target = second-to-last item. */
  valid: ColumnarInput;
  /** Per user: history = sequence without its last item, target = last item. */
  test: ColumnarInput;
  /** `hist` (sharing the table 'item' with `target_item`). */
  historyFeature: SequenceFeature;
  targetFeature: SparseFeature;
  userFeature: SparseFeature;
  sparseFeatures: SparseFeature[];
  sequenceFeatures: SequenceFeature[];
  /** Topic of every item id (index = id; -1 for padding). */
  itemTopic: Int32Array;
  oracle: NextItemOracle;
}

/**
 * Sequences from a known generative process, so that HR@k has a ceiling to compare with:
 *   p(x_t | x_{t-1}, user) = a * T[x_{t-1}, x_t] + (1 - a) * sum_k w_uk * p(x_t | topic k)
 * T is a sparse transition graph (each item has `branching` successors, mostly in its own topic) and each user mixes
 * a few topics with Zipf popularity inside a topic. The first item is drawn from the user's topic mixture, and so
 * is the first item of every later session (a = 0 after a session break, see `sessionBreak`).
 * A model must learn the transitions (order), infer the user's topics from the history and, with session breaks,
 * read the time since the previous event.
 */
export function syntheticNextItem(opts: SyntheticNextItemOptions = {}): SyntheticNextItem {
  const {
    numUsers = 1000,
    numItems = 500,
    numTopics = 10,
    topicsPerUser = [1, 3],
    seqLen = [20, 50],
    branching = 3,
    markovWeight = 0.6,
    sessionBreak = 0,
    sessionFocus = 0,
    maxLen = 50,
    embeddingDim = 16,
    seed = 13,
  } = opts;
  for (const [name, v, min] of [
    ['numUsers', numUsers, 1],
    ['numItems', numItems, 2],
    ['numTopics', numTopics, 1],
    ['branching', branching, 1],
    ['maxLen', maxLen, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`syntheticNextItem: ${name} must be an integer >= ${min} (got ${v})`);
  }
  if (numTopics > numItems || branching > numItems) throw new Error('syntheticNextItem: numTopics and branching must not exceed numItems');
  if (!(markovWeight >= 0 && markovWeight <= 1)) throw new Error('syntheticNextItem: markovWeight must be in [0, 1]');
  if (!(sessionBreak >= 0 && sessionBreak <= 1)) throw new Error('syntheticNextItem: sessionBreak must be in [0, 1]');
  if (!(sessionFocus >= 0 && sessionFocus <= 1)) throw new Error('syntheticNextItem: sessionFocus must be in [0, 1]');
  const [lLo, lHi] = seqLen;
  if (!(Number.isInteger(lLo) && Number.isInteger(lHi) && lLo >= 3 && lHi >= lLo)) throw new Error('syntheticNextItem: seqLen must be [lo, hi] with 3 <= lo <= hi');
  const [tLo, tHi] = topicsPerUser;
  if (!(Number.isInteger(tLo) && Number.isInteger(tHi) && tLo >= 1 && tHi >= tLo && tHi <= numTopics)) throw new Error('syntheticNextItem: topicsPerUser must be [lo, hi] with 1 <= lo <= hi <= numTopics');
  const rng = new Rng(seed);
  const V = numItems + 1;

  const ids = Int32Array.from({ length: numItems }, (_, i) => i + 1);
  rng.shuffle(ids);
  const itemTopic = new Int32Array(V).fill(-1);
  const members: number[][] = Array.from({ length: numTopics }, () => []);
  ids.forEach((id, i) => {
    itemTopic[id] = i % numTopics;
    members[i % numTopics].push(id);
  });
  const inTopic = new Float64Array(V);
  for (const m of members) {
    let z = 0;
    m.forEach((_, r) => (z += 1 / (r + 1)));
    m.forEach((id, r) => (inTopic[id] = 1 / (r + 1) / z));
  }

  // sparse transitions: successors mostly from the item's own topic, random weights
  const succ: Array<Array<[number, number]>> = [[]];
  for (let i = 1; i <= numItems; i++) {
    const chosen = new Map<number, number>();
    while (chosen.size < branching) {
      const own = members[itemTopic[i]];
      const j = rng.next() < 0.7 && own.length > 1 ? own[rng.int(own.length)] : 1 + rng.int(numItems);
      if (j === i || chosen.has(j)) continue;
      chosen.set(j, -Math.log(1 - rng.next()) + 0.1);
    }
    const z = [...chosen.values()].reduce((s, w) => s + w, 0);
    succ.push([...chosen].map(([j, w]) => [j, w / z]));
  }

  const userTopics: Array<Array<[number, number]>> = [[]];
  const pref: Float64Array[] = [new Float64Array(V)];
  for (let u = 1; u <= numUsers; u++) {
    const m = tLo + rng.int(tHi - tLo + 1);
    const picked = new Set<number>();
    while (picked.size < m) picked.add(rng.int(numTopics));
    const raw = [...picked].map((k) => [k, -Math.log(1 - rng.next()) + 0.2] as [number, number]);
    const z = raw.reduce((s, [, w]) => s + w, 0);
    const mix = raw.map(([k, w]) => [k, w / z] as [number, number]);
    userTopics.push(mix);
    const p = new Float64Array(V);
    for (const [k, w] of mix) for (const id of members[k]) p[id] += w * inTopic[id];
    pref.push(p);
  }
  const distribution = (u: number, prev: number, session: { newSession?: boolean; sessionTopic?: number } = {}): Float64Array => {
    if (!(Number.isInteger(u) && u >= 1 && u <= numUsers)) throw new Error(`distribution: user must be in 1..${numUsers} (got ${u})`);
    const { newSession = false, sessionTopic = -1 } = session;
    if (!(Number.isInteger(sessionTopic) && sessionTopic >= -1 && sessionTopic < numTopics)) throw new Error(`distribution: sessionTopic must be -1 or a topic in 0..${numTopics - 1} (got ${sessionTopic})`);
    const out = new Float64Array(V);
    const a = prev > 0 && !newSession ? markovWeight : 0;
    const focus = sessionTopic >= 0 ? sessionFocus : 0;
    for (let i = 1; i < V; i++) out[i] = (1 - a) * (1 - focus) * pref[u][i];
    if (focus > 0) for (const id of members[sessionTopic]) out[id] += (1 - a) * focus * inTopic[id];
    if (prev > 0) for (const [j, w] of succ[prev]) out[j] += a * w;
    return out;
  };

  // the mixture weights sum to 1 by construction
  const pickTopic = (u: number): number => userTopics[u][sampleCategorical(topicDraws, userTopics[u].map(([, w]) => w), 1)][0];

  // times come from their own stream, so that the item sequences of a seed do not depend on sessionBreak = 0 or not
  const clock = new Rng(seed ^ 0x7e57);
  const logUniform = (lo: number, hi: number) => Math.round(lo * Math.exp(clock.next() * Math.log(hi / lo)));
  const sequences: Int32Array[] = [new Int32Array(0)];
  const timestamps: Float64Array[] = [new Float64Array(0)];
  const opensSession: Uint8Array[] = [new Uint8Array(0)];
  /** Topic of the session each event belongs to. */
  const sessionTopics: Int32Array[] = [new Int32Array(0)];
  // session topics from a third stream, for the same reason
  const topicDraws = new Rng(seed ^ 0x5e55);
  for (let u = 1; u <= numUsers; u++) {
    const n = lLo + rng.int(lHi - lLo + 1);
    const s = new Int32Array(n);
    const time = new Float64Array(n);
    const opens = new Uint8Array(n);
    time[0] = 1_700_000_000 + clock.int(30 * 86_400);
    for (let t = 1; t < n; t++) {
      opens[t] = clock.next() < sessionBreak ? 1 : 0;
      time[t] = time[t - 1] + (opens[t] ? logUniform(3_600, 3 * 86_400) : logUniform(10, 600));
    }
    const topics = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      topics[t] = t === 0 || opens[t] ? pickTopic(u) : topics[t - 1];
      s[t] = sampleCategorical(rng, distribution(u, t > 0 ? s[t - 1] : 0, { newSession: opens[t] === 1, sessionTopic: sessionFocus > 0 ? topics[t] : -1 }));
    }
    sessionTopics.push(topics);
    sequences.push(s);
    timestamps.push(time);
    opensSession.push(opens);
  }
  const trainSequences = sequences.map((s, u) => (u === 0 ? s : s.slice(0, s.length - 2)));
  const trainTimestamps = timestamps.map((s, u) => (u === 0 ? s : s.slice(0, s.length - 2)));

  const rows = (count: number) => ({
    user_id: new Int32Array(count),
    hist: new Int32Array(count * maxLen),
    hist_time: new Float64Array(count * maxLen),
    target_item: new Int32Array(count),
    target_time: new Float64Array(count),
    label: new Float32Array(count).fill(1),
  });
  const fill = (t: ReturnType<typeof rows>, r: number, u: number, s: Int32Array, j: number) => {
    t.user_id[r] = u;
    const start = Math.max(0, j - maxLen);
    t.hist.set(s.subarray(start, j), r * maxLen);
    t.hist_time.set(timestamps[u].subarray(start, j), r * maxLen);
    t.target_item[r] = s[j];
    t.target_time[r] = timestamps[u][j];
  };
  let nTrain = 0;
  for (let u = 1; u <= numUsers; u++) nTrain += trainSequences[u].length - 1;
  const train = rows(nTrain);
  const valid = rows(numUsers);
  const test = rows(numUsers);
  let r = 0;
  for (let u = 1; u <= numUsers; u++) {
    const s = sequences[u];
    for (let j = 1; j < s.length - 2; j++) fill(train, r++, u, s, j);
    fill(valid, u - 1, u, s, s.length - 2);
    fill(test, u - 1, u, s, s.length - 1);
  }

  const split = (name: 'valid' | 'test' = 'test') => (name === 'valid' ? valid : test);
  /** Position of a valid / test row's target in its user's sequence. */
  const targetPos = (t: ReturnType<typeof rows>, i: number): number => sequences[t.user_id[i]].length - (t === valid ? 2 : 1);
  const prevOf = (t: ReturnType<typeof rows>, i: number): number => {
    const j = targetPos(t, i);
    return j > 0 ? sequences[t.user_id[i]][j - 1] : 0;
  };
  /** The true next-item distribution of a valid / test row, or its average over session break / none. */
  const rowDistribution = (t: ReturnType<typeof rows>, i: number, timeBlind: boolean): Float64Array => {
    const u = t.user_id[i];
    const prev = prevOf(t, i);
    const j = targetPos(t, i);
    // the topic of the session the history ends in, which the target continues unless it opens a new one (known to
    // the oracle; a model infers it from the history)
    const current = { newSession: false, sessionTopic: sessionFocus > 0 && j > 0 ? sessionTopics[u][j - 1] : -1 };
    if (!timeBlind) return opensSession[u][j] ? distribution(u, prev, { newSession: true }) : distribution(u, prev, current);
    const within = distribution(u, prev, current);
    const opened = distribution(u, prev, { newSession: true });
    return within.map((p, x) => (1 - sessionBreak) * p + sessionBreak * opened[x]);
  };
  const rankStats = (t: ReturnType<typeof rows>, i: number, timeBlind = false) => {
    const p = rowDistribution(t, i, timeBlind);
    const target = t.target_item[i];
    let greater = 0;
    let equal = 0;
    for (let x = 1; x < V; x++) {
      if (x === target) continue;
      if (p[x] > p[target]) greater++;
      else if (p[x] === p[target]) equal++;
    }
    return { greater, equal, p };
  };
  const oracle: NextItemOracle = {
    distribution,
    hitRateAt(k, name, timeBlind = false) {
      const t = split(name);
      let s = 0;
      for (let i = 0; i < t.user_id.length; i++) {
        const { greater, equal } = rankStats(t, i, timeBlind);
        s += Math.min(1, Math.max(0, (k - greater) / (equal + 1)));
      }
      return s / t.user_id.length;
    },
    ndcgAt(k, name, timeBlind = false) {
      const t = split(name);
      let s = 0;
      for (let i = 0; i < t.user_id.length; i++) {
        const { greater, equal } = rankStats(t, i, timeBlind);
        // average the gain over the tied positions the target may take
        let g = 0;
        for (let pos = greater; pos <= greater + equal; pos++) if (pos < k) g += 1 / Math.log2(pos + 2);
        s += g / (equal + 1);
      }
      return s / t.user_id.length;
    },
    expectedHitRateAt(k, name, timeBlind = false) {
      const t = split(name);
      let s = 0;
      for (let i = 0; i < t.user_id.length; i++) {
        const truth = rowDistribution(t, i, false);
        const ranking = timeBlind ? rowDistribution(t, i, true) : truth;
        // the true mass of the k items ranked highest (ids 1..V-1)
        const order = Array.from({ length: V - 1 }, (_, x) => x + 1).sort((a, b) => ranking[b] - ranking[a]);
        for (let j = 0; j < Math.min(k, order.length); j++) s += truth[order[j]];
      }
      return s / t.user_id.length;
    },
  };

  const historyFeature = new SequenceFeature({ name: 'hist', vocabSize: V, embeddingDim, embeddingName: 'item', maxLen, pooling: 'mean' });
  const targetFeature = new SparseFeature({ name: 'target_item', vocabSize: V, embeddingDim, embeddingName: 'item' });
  const userFeature = new SparseFeature({ name: 'user_id', vocabSize: numUsers + 1, embeddingDim });
  return {
    sequences,
    trainSequences,
    timestamps,
    trainTimestamps,
    train,
    valid,
    test,
    historyFeature,
    targetFeature,
    userFeature,
    sparseFeatures: [userFeature, targetFeature],
    sequenceFeatures: [historyFeature],
    itemTopic,
    oracle,
  };
}
