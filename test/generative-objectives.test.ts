import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { SequenceFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { SASRec } from '../src/models/generative/sasrec';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';

// The SASRec paper's training (scoring 'dot', objective 'bce', one negative per position drawn outside the row's
// history) next to the default cosine sampled softmax.

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const paper = { scoring: 'dot', objective: 'bce', negativesPerPosition: 1, numNegatives: 0 } as const;

interface Internals {
  positionLoss(pos: tf.Tensor1D, neg: tf.Tensor2D): tf.Tensor1D;
  drawPositionNegatives(ids: Int32Array, L: number, B: number, rng: Rng): Int32Array;
}

describe('BCE objective and per-position negatives', () => {
  const hist = new SequenceFeature({ name: 'hist', vocabSize: 31, embeddingDim: 8, maxLen: 6 });

  it('BCE per position is softplus(-pos) + sum softplus(neg), with gradients matching finite differences', () => {
    const m = new SASRec({ sequenceFeatures: [hist], ...paper, negativesPerPosition: 2 }) as unknown as Internals;
    const pos = [1.5, -0.3, 40];
    const neg = [0.2, -2, 3, 1e-3, -1e4, 35];
    const f = (p: tf.Tensor, n: tf.Tensor) => tf.sum(m.positionLoss(p as tf.Tensor1D, n as tf.Tensor2D)) as tf.Scalar;
    const value = Array.from(tf.tidy(() => m.positionLoss(tf.tensor1d(pos), tf.tensor2d(neg, [3, 2]))).dataSync());
    const sp = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    pos.forEach((p, i) => expect(value[i]).toBeCloseTo(sp(-p) + sp(neg[2 * i]) + sp(neg[2 * i + 1]), 4));
    const [gp, gn] = tf.tidy(() => tf.grads(f)([tf.tensor1d(pos), tf.tensor2d(neg, [3, 2])])).map((g) => Array.from(g.dataSync()));
    const h = 1e-2;
    const total = (p: number[], n: number[]) => tf.tidy(() => f(tf.tensor1d(p), tf.tensor2d(n, [3, 2])).dataSync()[0]);
    pos.forEach((_, i) => {
      const up = pos.slice();
      const down = pos.slice();
      up[i] += h;
      down[i] -= h;
      expect(gp[i]).toBeCloseTo((total(up, neg) - total(down, neg)) / (2 * h), 2);
    });
    neg.forEach((_, i) => {
      const up = neg.slice();
      const down = neg.slice();
      up[i] += h;
      down[i] -= h;
      expect(gn[i]).toBeCloseTo((total(pos, up) - total(pos, down)) / (2 * h), 2);
    });
    (m as unknown as SASRec).dispose();
  });

  it('draws each position its own negatives outside the row history, none on padding', () => {
    const m = new SASRec({ sequenceFeatures: [hist], ...paper, negativesPerPosition: 3 });
    const rows = [
      [1, 2, 3, 4, 5, 6],
      [7, 8, 0, 0, 0, 0],
      [9, 10, 11, 0, 0, 0],
    ];
    const L = 6;
    const B = rows.length;
    const ids = new Int32Array(L * B);
    rows.forEach((r, b) => r.forEach((id, t) => (ids[t * B + b] = id)));
    const out = (m as unknown as Internals).drawPositionNegatives(ids, L, B, new Rng(4));
    expect(out.length).toBe((L - 1) * B * 3);
    const drawn = new Set<number>();
    for (let t = 0; t < L - 1; t++) {
      rows.forEach((r, b) => {
        const negs = Array.from(out.subarray((t * B + b) * 3, (t * B + b + 1) * 3));
        if (r[t + 1] === 0) expect(negs).toEqual([0, 0, 0]);
        else
          negs.forEach((id) => {
            expect(id).toBeGreaterThanOrEqual(1);
            expect(id).toBeLessThan(31);
            expect(r).not.toContain(id);
            drawn.add(id);
          });
      });
    }
    // uniform over the 30 items: 12 positions x 3 draws cover many distinct ones
    expect(drawn.size).toBeGreaterThan(12);
    m.dispose();
  });

  it('dot scoring: unnormalised vectors, recommend scores are their dot products, save/load round-trips, flat tensors', async () => {
    const rng = new Rng(5);
    const sequences = Array.from({ length: 64 }, () => Array.from({ length: 3 + rng.int(4) }, () => 1 + rng.int(30)));
    const evalData = { hist: sequences.map((s) => s.slice(0, -1)), target_item: sequences.map((s) => s[s.length - 1]) };
    const m = new SASRec({ sequenceFeatures: [hist], seed: 1, dropout: 0.2, ...paper });
    m.compile({ lr: 1e-2 });
    const counts: number[] = [];
    await m.fit({ hist: sequences }, { epochs: 4, batchSize: 16, verbose: 0, onStep: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const u = await m.userEmbeddings(evalData);
    const e = await m.itemEmbeddings();
    const norm = (v: Float32Array, r: number) => Math.hypot(...Array.from(v.subarray(r * 8, (r + 1) * 8)));
    expect(Math.abs(norm(u, 0) - 1)).toBeGreaterThan(1e-3);
    expect(Math.abs(norm(e, 0) - 1)).toBeGreaterThan(1e-3);
    const rec = await m.recommend(evalData, { k: 3 });
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 3; j++) {
        const item = rec.items[r * 3 + j];
        let s = 0;
        for (let d = 0; d < 8; d++) s += u[r * 8 + d] * e[(item - 1) * 8 + d];
        expect(rec.scores[r * 3 + j]).toBeCloseTo(s, 4);
      }
    }
    const store = new MemoryStore();
    await m.save(store);
    const again = (await BaseModel.load(store)) as SequentialRecommender;
    expect(again.scoring).toBe('dot');
    expect(again.objective).toBe('bce');
    expect(again.negativesPerPosition).toBe(1);
    expect(await again.evaluate(evalData)).toEqual(await m.evaluate(evalData));
    m.dispose();
    again.dispose();
  });

  it('rejects contradictory settings, naming the field', () => {
    expect(() => new SASRec({ sequenceFeatures: [hist], scoring: 'dot', temperature: 0.1 })).toThrow(/temperature applies to scoring 'cosine' only/);
    expect(() => new SASRec({ sequenceFeatures: [hist], scoring: 'euclid' as 'dot' })).toThrow(/scoring must be 'cosine' or 'dot'/);
    expect(() => new SASRec({ sequenceFeatures: [hist], objective: 'hinge' as 'bce' })).toThrow(/objective must be 'softmax' or 'bce'/);
    expect(() => new SASRec({ sequenceFeatures: [hist], negativesPerPosition: 1.5 })).toThrow(/negativesPerPosition must be a non-negative integer/);
    expect(() => new SASRec({ sequenceFeatures: [hist], numNegatives: 0 })).toThrow(/numNegatives \+ inBatchNegatives \+ negativesPerPosition must be at least 1/);
    expect(() => new SASRec({ sequenceFeatures: [hist], inBatchNegatives: 4, negativesPerPosition: 1 })).toThrow(/cannot be combined/);
  });
});

describe('the SASRec paper objective learns the synthetic next-item process', () => {
  it('reaches most of the oracle HR@10 and beats popularity by a margin', async () => {
    const d = syntheticNextItem({ seed: 5, numUsers: 1500, numItems: 200, markovWeight: 0.8, embeddingDim: 32 });
    const oracle = d.oracle.hitRateAt(10);
    // popularity over the training sequences: the baseline any next-item model must beat
    const counts = new Float64Array(d.historyFeature.vocabSize);
    for (const s of d.trainSequences) for (const id of s) counts[id]++;
    const top = Array.from(counts.keys()).slice(1).sort((a, b) => counts[b] - counts[a]).slice(0, 10);
    const targets = Array.from(d.test.target_item as ArrayLike<number>);
    const popularity = targets.filter((t) => top.includes(t)).length / targets.length;
    const m = new SASRec({ sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, ...paper });
    m.compile({ lr: 3e-3 });
    await m.fit({ hist: d.trainSequences.slice(1) }, { epochs: 10, batchSize: 128, verbose: 0 });
    const r = await m.evaluate(d.test);
    console.log(`SASRec (dot, BCE, 1 negative per position): HR@10 ${r['hr@10'].toFixed(3)}, oracle ${oracle.toFixed(3)}, popularity ${popularity.toFixed(3)}`);
    expect(r['hr@10']).toBeGreaterThanOrEqual(0.8 * oracle);
    expect(r['hr@10']).toBeGreaterThan(popularity + 0.2);
    m.dispose();
    // the authors' code: the 'reference' block layout with their optimizer (one learning rate, beta2 0.98)
    const ref = new SASRec({ sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, ...paper, layout: 'reference' });
    ref.compile({ lr: 3e-3, embeddingLr: 3e-3, optimizerParams: { beta2: 0.98, epsilon: 1e-8 } });
    await ref.fit({ hist: d.trainSequences.slice(1) }, { epochs: 10, batchSize: 128, verbose: 0 });
    const rr = await ref.evaluate(d.test);
    console.log(`SASRec (reference layout, dot, BCE): HR@10 ${rr['hr@10'].toFixed(3)}`);
    expect(rr['hr@10']).toBeGreaterThanOrEqual(0.8 * oracle);
    expect(rr['hr@10']).toBeGreaterThan(popularity + 0.2);
    const store = new MemoryStore();
    await ref.save(store);
    const again = (await BaseModel.load(store)) as SASRec;
    expect(await again.userEmbeddings(d.test)).toEqual(await ref.userEmbeddings(d.test));
    ref.dispose();
    again.dispose();
  });
});
