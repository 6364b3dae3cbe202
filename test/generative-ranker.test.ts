import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { auc } from '../src/basic/metrics';
import { HSTURanker } from '../src/models/generative/hstu-ranker';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const ITEMS = 120;
const D = 16;

/**
 * Requests of users with a click propensity p (0.05..0.8): history items are clicked with probability p and a
 * click is liked half the time (action = 1 + click + 2 like). A candidate is clicked with probability p for ids
 * divisible by 3 and p / 3 otherwise; a click is liked with probability 0.7 for even ids and 0.1 for odd ones; a like
 * is shared with probability 0.6 by users older than 2 (a context feature) and 0.1 by the others. The tasks thus
 * need the history (p shows only in its actions), the candidate item and the context.
 */
function requests(n: number, seed: number) {
  const rng = new Rng(seed);
  const rows = { user_id: [] as number[], age: [] as number[], hist_items: [] as number[][], hist_actions: [] as number[][], ts: [] as number[][], candidates: [] as number[][], click: [] as number[][], like: [] as number[][], share: [] as number[][] };
  /** True probabilities per task, flattened over all candidates. */
  const oracle = { click: [] as number[], like: [] as number[], share: [] as number[] };
  for (let r = 0; r < n; r++) {
    const user = 1 + rng.int(200);
    const age = 1 + (user % 4);
    const p = 0.05 + 0.75 * rng.next();
    const h = Array.from({ length: 4 + rng.int(17) }, () => 1 + rng.int(ITEMS));
    rows.user_id.push(user);
    rows.age.push(age);
    rows.hist_items.push(h);
    rows.hist_actions.push(h.map(() => {
      const click = rng.next() < p ? 1 : 0;
      return 1 + click + 2 * (click && rng.next() < 0.5 ? 1 : 0);
    }));
    let t = 1.7e9;
    rows.ts.push(h.map(() => (t += Math.floor(Math.exp(10 * rng.next())))));
    const c = Array.from({ length: 3 + rng.int(10) }, () => 1 + rng.int(ITEMS));
    const click = c.map((id) => (rng.next() < (id % 3 === 0 ? p : p / 3) ? 1 : 0));
    const like = c.map((id, i) => (click[i] && rng.next() < (id % 2 === 0 ? 0.7 : 0.1) ? 1 : 0));
    const share = like.map((l) => (l && rng.next() < (age > 2 ? 0.6 : 0.1) ? 1 : 0));
    c.forEach((id) => {
      const q = id % 3 === 0 ? p : p / 3;
      oracle.click.push(q);
      oracle.like.push(q * (id % 2 === 0 ? 0.7 : 0.1));
      oracle.share.push(q * (id % 2 === 0 ? 0.7 : 0.1) * (age > 2 ? 0.6 : 0.1));
    });
    rows.candidates.push(c);
    rows.click.push(click);
    rows.like.push(like);
    rows.share.push(share);
  }
  return { rows, oracle };
}

function features(numHashes = 1) {
  const item = { vocabSize: numHashes > 1 ? 64 : ITEMS + 1, embeddingDim: D, embeddingName: 'item', numHashes };
  return {
    sparseFeatures: [new SparseFeature({ name: 'user_id', vocabSize: 201, embeddingDim: D }), new SparseFeature({ name: 'age', vocabSize: 5, embeddingDim: D })],
    sequenceFeatures: [
      new SequenceFeature({ name: 'hist_items', maxLen: 20, ...item }),
      new SequenceFeature({ name: 'hist_actions', vocabSize: 5, embeddingDim: D, maxLen: 20 }),
      new SequenceFeature({ name: 'candidates', maxLen: 12, ...item }),
    ],
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const targets = ['click', 'like', 'share'];
const train = requests(1500, 1).rows;
const { rows: test, oracle } = requests(300, 2);
let model: HSTURanker;

describe('HSTURanker', () => {
  beforeAll(async () => {
    // two hash functions into 64 rows each stand for a catalogue too large for one table
    model = new HSTURanker({ ...features(2), targets, seed: 4, blocks: 2, heads: 2, dropout: 0.1, head: { dims: [32] } });
    model.compile({ lr: 3e-3, metrics: ['auc'] });
    await model.fit(train, { epochs: 5, batchSize: 64, verbose: 0 });
  });
  afterAll(() => model.dispose());

  it('learns every action task from the context, the history and the candidate', async () => {
    const r = await model.evaluate(test);
    for (const t of targets) {
      const best = auc(Float32Array.from(test[t as 'click'].flat()), Float32Array.from(oracle[t as 'click']));
      console.log(`HSTURanker ${t}: test AUC ${r[`auc_${t}`].toFixed(3)} (oracle ${best.toFixed(3)})`);
      expect(r[`auc_${t}`]).toBeGreaterThan(0.9 * best);
    }
  });

  it("scores each candidate independently of the other candidates (to 1e-6), in one pass", async () => {
    const base = { user_id: [test.user_id[0]], age: [test.age[0]], hist_items: [test.hist_items[0]], hist_actions: [test.hist_actions[0]] };
    const rng = new Rng(3);
    const others = () => Array.from({ length: 7 }, () => 1 + rng.int(ITEMS));
    const a = await model.predictTargets({ ...base, candidates: [[17, ...others()]] });
    const b = await model.predictTargets({ ...base, candidates: [[17, ...others()]] });
    // fewer candidates, and the same request twice in one batch beside a different one
    const c = await model.predictTargets({ ...base, candidates: [[17, 3]] });
    const both = await model.predictTargets({
      user_id: [base.user_id[0], base.user_id[0]],
      age: [base.age[0], base.age[0]],
      hist_items: [base.hist_items[0], base.hist_items[0]],
      hist_actions: [base.hist_actions[0], base.hist_actions[0]],
      candidates: [[17, ...others()], [5, 17]],
    });
    for (const t of targets) {
      expect(Math.abs(a[t][0] - b[t][0])).toBeLessThan(1e-6);
      expect(Math.abs(a[t][0] - c[t][0])).toBeLessThan(1e-6);
      expect(Math.abs(a[t][0] - both[t][0])).toBeLessThan(1e-6);
      expect(Math.abs(a[t][0] - both[t][12 + 1])).toBeLessThan(1e-6);
    }
  });

  it('ignores history padding: a request scores the same alone or beside longer ones', async () => {
    const one = Object.fromEntries(Object.entries(test).map(([k, v]) => [k, v.slice(0, 1)]));
    const many = Object.fromEntries(Object.entries(test).map(([k, v]) => [k, v.slice(0, 40)]));
    const alone = await model.predictTargets(one);
    const batched = await model.predictTargets(many, { batchSize: 40 });
    for (const t of targets) expect(maxAbsDiff(alone[t], batched[t].subarray(0, 12))).toBeLessThan(1e-5);
  });

  it('save -> load gives identical scores', async () => {
    const store = new MemoryStore();
    await model.save(store);
    const again = await BaseModel.load<HSTURanker>(store);
    const p1 = await model.predictTargets(test);
    const p2 = await again.predictTargets(test);
    for (const t of targets) expect(Array.from(p2[t])).toEqual(Array.from(p1[t]));
    again.dispose();
  });

  it('keeps tf.memory().numTensors flat while training with timestamps', async () => {
    const m = new HSTURanker({ ...features(), targets, seed: 1, timestampColumn: 'ts', dropout: 0.1 });
    m.compile({ lr: 1e-3 });
    const counts: number[] = [];
    await m.fit(train, { epochs: 1, batchSize: 64, verbose: 0, maxSteps: 20, onStep: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const before = tf.memory().numTensors;
    await m.evaluate(test);
    await m.predictTargets(test);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('names misaligned inputs', async () => {
    const bad = { ...test, hist_actions: test.hist_actions.map((a, i) => (i === 3 ? a.slice(1) : a)) };
    await expect(model.evaluate(bad)).rejects.toThrow(/row 3: 'hist_actions' has \d+ actions \(ids >= 1\) but 'hist_items' has \d+ items/);
    const badLabels = { ...test, like: test.like.map((a, i) => (i === 5 ? [...a, 1] : a)) };
    await expect(model.evaluate(badLabels)).rejects.toThrow(/column 'like' row 5: has \d+ entries but 'candidates' has \d+/);
    const { click, ...noClick } = test;
    void click;
    await expect(model.evaluate(noClick)).rejects.toThrow(/missing label column 'click'/);
  });
});
