import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc, logloss } from '../src/basic/metrics';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticColdStart } from '../src/data/synthetic/coldstart';
import { MMoE, POSO } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

function slice(a: ArrayLike<number>, mask: Uint8Array, keep: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (mask[i] === keep) out.push(a[i]);
  return Float32Array.from(out);
}

describe('POSO on a cold-start slice', () => {
  it('POSO-MMoE beats its MMoE backbone on new users and holds on returning users', async () => {
    // 10% of impressions come from new users, who follow general appeal 2.5x more strongly than returning users
    const d = syntheticColdStart({ rows: 100_000, testFraction: 0.4 });
    const shape = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click'], seed: 1, numExperts: 4, expert: { dims: [64, 32] }, tower: { dims: [32] } };
    const models: Record<string, BaseModel> = {
      mmoe: new MMoE(shape),
      poso: new POSO({ ...shape, backbone: 'mmoe', personalizationFeatures: d.personalizationFeatures }),
    };
    const y = d.test.click as Float32Array;
    const isNew = d.oracle.test.isNew;
    const s: Record<string, Record<string, number>> = {};
    for (const [name, m] of Object.entries(models)) {
      m.compile({ lr: 1e-3 });
      await m.fit(d.train, { epochs: 6, batchSize: 512, validData: d.valid, earlyStopping: { patience: 1 }, verbose: 0 });
      const p = await m.predict(d.test);
      s[name] = {
        newLogloss: logloss(slice(y, isNew, 1), slice(p, isNew, 1)),
        newAuc: auc(slice(y, isNew, 1), slice(p, isNew, 1)),
        oldLogloss: logloss(slice(y, isNew, 0), slice(p, isNew, 0)),
      };
      m.dispose();
    }
    s.oracle = { newLogloss: logloss(slice(y, isNew, 1), slice(d.oracle.test.p, isNew, 1)) };
    console.log('cold-start slice', JSON.stringify(s, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v)));
    // measured (wasm, 1 thread) on this seed: new-user logloss 0.2977 (MMoE) vs 0.2942 (POSO), AUC 0.9459 vs 0.9469;
    // over model seeds 1-3 POSO's logloss gain was +0.001..+0.009, so the asserted margin is small
    expect(s.poso.newLogloss).toBeLessThan(s.mmoe.newLogloss - 0.001);
    expect(s.poso.newAuc).toBeGreaterThan(s.mmoe.newAuc - 0.002);
    expect(s.poso.oldLogloss).toBeLessThan(s.mmoe.oldLogloss + 0.002);
  });
});
