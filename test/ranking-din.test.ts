import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { ForwardContext } from '../src/basic/layers/module';
import { TargetAttention } from '../src/basic/layers/target-attention';
import { SequencePooler, poolSequence } from '../src/basic/layers/sequence-pooling';
import { Rng } from '../src/basic/random';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { syntheticInterestSequence } from '../src/data/synthetic/interest-sequence';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DIN } from '../src/models/ranking/din';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const ctx = (): ForwardContext => ({ training: false, rng: new Rng(1), deferred: [] });

describe('TargetAttention (DIN local activation unit)', () => {
  const B = 3;
  const L = 4;
  const D = 5;
  const lengths = [4, 2, 0];

  function inputs(extraPad: number, garbage: boolean) {
    const rng = new Rng(3);
    const Lp = L + extraPad;
    const keys = new Float32Array(B * Lp * D);
    const mask = new Float32Array(B * Lp);
    for (let i = 0; i < B; i++) {
      for (let t = 0; t < Lp; t++) {
        const real = t < lengths[i];
        mask[i * Lp + t] = real ? 1 : 0;
        for (let d = 0; d < D; d++) keys[(i * Lp + t) * D + d] = real || garbage ? rng.normal() : 0;
      }
    }
    // real keys identical whatever the padding: regenerate them from a fixed stream per position
    const r2 = new Rng(9);
    for (let i = 0; i < B; i++) for (let t = 0; t < lengths[i]; t++) for (let d = 0; d < D; d++) keys[(i * Lp + t) * D + d] = r2.normal();
    return { keys: tf.tensor3d(keys, [B, Lp, D]), mask: tf.tensor2d(mask, [B, Lp]) };
  }

  it.each([false, true])('gives padding exactly zero weight (softmax %s) and ignores appended padding', (softmax) => {
    const att = new TargetAttention(D, { dims: [8, 4], softmax }, new Rng(1), 3);
    tf.tidy(() => {
      const q = tf.tensor2d(Float32Array.from({ length: B * 3 }, (_, i) => Math.sin(i)), [B, 3]);
      const a = inputs(0, false);
      const b = inputs(3, true);
      const wa = att.weights(q, a.keys, a.mask, ctx()).arraySync();
      const wb = att.weights(q, b.keys, b.mask, ctx()).arraySync();
      for (let i = 0; i < B; i++) {
        for (let t = lengths[i]; t < L + 3; t++) expect(Math.abs(wb[i][t])).toBe(0);
        for (let t = 0; t < lengths[i]; t++) expect(wb[i][t]).toBeCloseTo(wa[i][t], 6);
        if (softmax && lengths[i] > 0) expect(wa[i].reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      }
      const pa = att.apply(q, a.keys, a.mask, ctx()).arraySync();
      const pb = att.apply(q, b.keys, b.mask, ctx()).arraySync();
      for (let i = 0; i < B; i++) for (let d = 0; d < D; d++) expect(pb[i][d]).toBeCloseTo(pa[i][d], 6);
      // the empty row pools to zeros
      for (let d = 0; d < D; d++) expect(Math.abs(pa[2][d])).toBe(0);
    });
    att.disposeParams();
  });

  it('SequencePooler routes attention pooling through the unit and the rest through poolSequence', () => {
    const rng = new Rng(2);
    const att = new SequencePooler('attention', D, rng, { dims: [4] });
    const mean = new SequencePooler('mean', D, rng);
    tf.tidy(() => {
      const { keys, mask } = inputs(0, false);
      const q = tf.ones([B, D]) as tf.Tensor2D;
      expect(att.apply(keys, mask, ctx(), q).shape).toEqual([B, D]);
      expect(() => att.apply(keys, mask, ctx())).toThrow(/needs a query/);
      expect(mean.apply(keys, mask, ctx()).arraySync()).toEqual(poolSequence(keys, mask, 'mean').arraySync());
    });
    expect(() => new SequencePooler('none', D, rng)).toThrow(/none/);
    expect(att.namedParams().length).toBeGreaterThan(0);
    expect(mean.namedParams().length).toBe(0);
  });
});

describe('DIN', () => {
  const roles = { behaviorFeature: 'hist_item', targetItemFeature: 'target_item', contextFeatures: ['user_group'] };

  // measured (wasm, 1 thread, these seeds): DIN 0.741, mean-pooled DeepFM 0.678, oracle 0.909
  it('beats a mean-pooled DeepFM on the drifting-interest task', async () => {
    const t = syntheticInterestSequence({ rows: 12_000 });
    const base = { sparseFeatures: t.sparseFeatures, sequenceFeatures: t.sequenceFeatures, seed: 1, mlp: { dims: [64, 32] } };
    const run = async (m: DIN | DeepFM) => {
      m.compile({ lr: 3e-3 });
      await m.fit(t.train, { epochs: 5, batchSize: 256, verbose: 0 });
      const { auc } = await m.evaluate(t.test);
      m.dispose();
      return auc;
    };
    const din = await run(new DIN({ ...base, ...roles, attention: { dims: [32, 16] } }));
    const meanPooled = await run(new DeepFM(base));
    console.log(`interest task test AUC: DIN ${din.toFixed(4)}, DeepFM(mean) ${meanPooled.toFixed(4)}, oracle ${t.oracle.test.oracleAuc.toFixed(4)}`);
    expect(din - meanPooled).toBeGreaterThan(0.03);
  });

  it('takes explicit roles and names the offending feature', () => {
    const item = { vocabSize: 50, embeddingDim: 4, embeddingName: 'item' };
    const hist = new SequenceFeature({ name: 'hist', maxLen: 5, ...item });
    const target = new SparseFeature({ name: 'target', ...item });
    const other = new SparseFeature({ name: 'other_item', vocabSize: 50, embeddingDim: 4 });
    const user = new SparseFeature({ name: 'user', vocabSize: 10, embeddingDim: 3 });
    const cfg = { sparseFeatures: [target, user], sequenceFeatures: [hist] };
    expect(() => new DIN({ ...cfg, behaviorFeature: 'hist', targetItemFeature: 'target', contextFeatures: [] })).toThrow(/'user' have no role/);
    expect(() => new DIN({ ...cfg, behaviorFeature: 'target', targetItemFeature: 'target', contextFeatures: ['user'] })).toThrow(/behaviorFeature 'target' must be a SequenceFeature/);
    expect(() => new DIN({ ...cfg, behaviorFeature: 'hist', targetItemFeature: 'nope', contextFeatures: ['user'] })).toThrow(/targetItemFeature 'nope' is not a declared feature/);
    expect(() =>
      new DIN({ sparseFeatures: [other, user], sequenceFeatures: [hist], behaviorFeature: 'hist', targetItemFeature: 'other_item', contextFeatures: ['user'] }),
    ).toThrow(/same embeddingName/);
    expect(() => new DIN({ ...cfg, behaviorFeature: hist, targetItemFeature: target, contextFeatures: [user, 'user'] })).toThrow(/already has a role/);
    // feature objects work as references; context features may have their own widths
    const m = new DIN({ ...cfg, behaviorFeature: hist, targetItemFeature: target, contextFeatures: [user], mlp: { dims: [8] } });
    m.dispose();
  });
});
