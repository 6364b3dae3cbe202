import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { SequenceFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

type Cls = typeof HSTU | typeof SASRec;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each([HSTU, SASRec] as Cls[])('%p pipeline', (Model) => {
  const items = 60;
  const hist = new SequenceFeature({ name: 'hist', vocabSize: items + 1, embeddingDim: 16, maxLen: 12 });
  const rng = new Rng(11);
  const sequences = Array.from({ length: 96 }, () => Array.from({ length: 2 + rng.int(11) }, () => 1 + rng.int(items)));
  const times = sequences.map((s) => {
    let t = 1.7e9;
    return s.map(() => (t += Math.floor(Math.exp(12 * rng.next()))));
  });
  const evalData = { hist: sequences.map((s) => s.slice(0, -1)), target_item: sequences.map((s) => s[s.length - 1]) };
  const make = (extra: object = {}) => new Model({ sequenceFeatures: [hist], seed: 2, blocks: 2, heads: 2, dropout: 0.1, numNegatives: 16, ...extra }) as SequentialRecommender;

  it('pads without leaking: a history scores the same alone, beside longer rows, or zero-padded', async () => {
    const m = make();
    m.compile({ lr: 1e-2 });
    await m.fit({ hist: sequences }, { epochs: 2, batchSize: 32, verbose: 0 });
    const short = [5, 9, 2];
    const alone = await m.userEmbeddings({ hist: [short] });
    const beside = await m.userEmbeddings({ hist: [short, sequences.find((s) => s.length === 12)!] }, { batchSize: 2 });
    const flat = new Int32Array(12);
    flat.set(short);
    const padded = await m.userEmbeddings({ hist: flat });
    expect(maxAbsDiff(alone, beside.subarray(0, 16))).toBeLessThan(1e-5);
    expect(maxAbsDiff(alone, padded)).toBeLessThan(1e-5);
    m.dispose();
  });

  it('keeps tf.memory().numTensors flat while training (timestamps and in-batch negatives on)', async () => {
    const m = make({ timestampColumn: 'ts', inBatchNegatives: 8 });
    m.compile({ lr: 3e-3 });
    const counts: number[] = [];
    await m.fit({ hist: sequences, ts: times }, { epochs: 10, batchSize: 16, verbose: 0, maxSteps: 30, onStep: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(30);
    expect(new Set(counts.slice(1)).size).toBe(1);
    if (Model === HSTU) {
      // the time-gap bias starts at zero and must have been trained
      const time = m.namedParams().find(([n]) => n === 'encoder/layer0/rab/time')![1].variable;
      expect(Math.max(...Array.from(time.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    }
    const before = tf.memory().numTensors;
    await m.evaluate({ ...evalData, ts: times.map((t) => t.slice(0, -1)) });
    await m.recommend({ ...evalData, ts: times.map((t) => t.slice(0, -1)) }, { k: 5 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('save -> load gives identical scores, and resumed training replays the uninterrupted run', async () => {
    const m = make();
    m.compile({ lr: 3e-3 });
    await m.fit({ hist: sequences }, { epochs: 2, batchSize: 32, verbose: 0 });
    const store = new MemoryStore();
    await m.save(store);
    const again = (await BaseModel.load(store)) as SequentialRecommender;
    expect(again).toBeInstanceOf(Model);
    expect(Array.from(await again.userEmbeddings(evalData))).toEqual(Array.from(await m.userEmbeddings(evalData)));
    expect(await again.evaluate(evalData)).toEqual(await m.evaluate(evalData));
    // the training random stream is saved too: the same shuffles, dropout masks and sampled negatives follow, so
    // both continue identically (to float rounding: tfjs rebuilds Adam's beta powers as pow(beta, t) on load)
    const before = await again.userEmbeddings(evalData);
    const next = { epochs: 1, batchSize: 32, verbose: 0, maxSteps: 3 } as const;
    const h = await again.fit({ hist: sequences }, next);
    const h0 = await m.fit({ hist: sequences }, next);
    expect(h.epochs[0].loss).toBeCloseTo(h0.epochs[0].loss, 5);
    const resumed = await again.userEmbeddings(evalData);
    expect(maxAbsDiff(resumed, before)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(resumed, await m.userEmbeddings(evalData))).toBeLessThan(1e-4);
    m.dispose();
    again.dispose();
  });

  it('recommends the top-scored items, consistent with evaluate and predict', async () => {
    const m = make();
    m.compile({ lr: 1e-2 });
    await m.fit({ hist: sequences }, { epochs: 3, batchSize: 32, verbose: 0 });
    const k = items - 1;
    const rec = await m.recommend(evalData, { k: items });
    const report = await m.evaluate(evalData, { ks: [k] });
    let hits = 0;
    evalData.target_item.forEach((t, r) => {
      const rank = Array.from(rec.items.subarray(r * items, (r + 1) * items)).indexOf(t);
      if (rank < k) hits++;
    });
    expect(report[`hr@${k}`]).toBeCloseTo(hits / evalData.hist.length, 6);
    const excluded = await m.recommend(evalData, { k: 3, excludeHistory: true });
    excluded.items.forEach((id, i) => expect(evalData.hist[Math.floor(i / 3)]).not.toContain(id));
    const p = (await m.predictTargets(evalData)).next_item;
    expect(p.every((x) => x > 0 && x < 1)).toBe(true);
    // the full-softmax cross-entropy reported as loss is the mean -log p(target)
    expect(report.loss).toBeCloseTo(-Array.from(p).reduce((s, x) => s + Math.log(x), 0) / p.length, 3);
    m.dispose();
  });
});

describe('HSTU request time', () => {
  it('scores a history by the gap to the request time given in targetTimeColumn', async () => {
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 21, embeddingDim: 8, maxLen: 6 });
    const rng = new Rng(5);
    const sequences = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => 1 + rng.int(20)));
    const times = sequences.map((s) => s.map((_, i) => 1.7e9 + 60 * i + (i >= 3 ? 86_400 : 0)));
    const m = new HSTU({ sequenceFeatures: [hist], seed: 1, dropout: 0, numNegatives: 8, timestampColumn: 'ts', targetTimeColumn: 'request' });
    m.compile({ lr: 1e-2 });
    await m.fit({ hist: sequences, ts: times }, { epochs: 2, batchSize: 20, verbose: 0 });
    const rows = { hist: sequences.slice(0, 4), ts: times.slice(0, 4) };
    const soon = await m.userEmbeddings({ ...rows, request: times.slice(0, 4).map((t) => t[5] + 30) });
    const later = await m.userEmbeddings({ ...rows, request: times.slice(0, 4).map((t) => t[5] + 30 * 86_400) });
    const none = await m.userEmbeddings(rows);
    const same = await m.userEmbeddings({ ...rows, request: times.slice(0, 4).map((t) => t[5]) });
    expect(maxAbsDiff(soon, later)).toBeGreaterThan(1e-4);
    // without the column the request is taken to be the last event's time
    expect(maxAbsDiff(none, same)).toBe(0);
    await expect(m.userEmbeddings({ ...rows, request: [NaN, 1, 2, 3] })).rejects.toThrow(/column 'request' row 0: request time NaN is not a finite number/);
    expect(() => new HSTU({ sequenceFeatures: [hist], targetTimeColumn: 'request' })).toThrow(/targetTimeColumn needs timestampColumn/);
    m.dispose();
  });
});

describe('inference memory', () => {
  it('scores in chunks whose attention scores stay bounded at long declared histories, whatever the batchSize', async () => {
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 31, embeddingDim: 8, maxLen: 200 });
    const m = new HSTU({ sequenceFeatures: [hist], heads: 2 });
    m.compile();
    const rng = new Rng(2);
    const rows = { hist: Array.from({ length: 300 }, () => [1 + rng.int(30), 1 + rng.int(30)]), target_item: Array.from({ length: 300 }, () => 1 + rng.int(30)) };
    const sizes: number[] = [];
    // record the rows of every chunk the model scores
    const target = m as unknown as { userVectors: (ds: unknown, idx: Int32Array) => unknown };
    const original = target.userVectors.bind(m);
    target.userVectors = (ds, idx) => {
      sizes.push(idx.length);
      return original(ds, idx);
    };
    const report = await m.evaluate(rows, { batchSize: 4096 });
    await m.userEmbeddings(rows, { batchSize: 4096 });
    // 4,194,304 score entries / (200 x 200 positions x 2 heads) = 52 rows per chunk
    expect(Math.max(...sizes)).toBe(52);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(600);
    expect(Number.isFinite(report['hr@10'])).toBe(true);
    m.dispose();
  });
});

describe('next-item model errors', () => {
  const hist = new SequenceFeature({ name: 'hist', vocabSize: 11, embeddingDim: 8, maxLen: 5 });
  it('names the missing target column and bad configs', async () => {
    const m = new HSTU({ sequenceFeatures: [hist] });
    m.compile();
    await expect(m.evaluate({ hist: [[1, 2]] })).rejects.toThrow(/missing column 'target_item'/);
    await expect(m.evaluate({ hist: [[1, 2]], target_item: [11] })).rejects.toThrow(/next item 11 is not an id in 1..10/);
    expect(() => new SASRec({ sequenceFeatures: [hist], temperature: 0 })).toThrow(/temperature must be > 0/);
    expect(() => new HSTU({ sequenceFeatures: [hist], historyFeature: 'x' })).toThrow(/historyFeature 'x' is not among sequenceFeatures/);
    await expect(new HSTU({ sequenceFeatures: [hist], timestampColumn: 'ts' }).compile().fit({ hist: [[1, 2, 3]] }, { verbose: 0 })).rejects.toThrow(/missing column 'ts'/);
    m.dispose();
  });
});
