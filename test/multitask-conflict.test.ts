import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { MMoE, PLE, SharedBottom } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('two partly conflicting tasks', () => {
  it('MMoE and PLE beat Shared-Bottom on mean task AUC (experts the size of the shared bottom)', async () => {
    const d = syntheticTwoTasks({ rows: 45_000, seed: 5 });
    const [t1, t2] = d.taskNames;
    const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed: 1, tower: { dims: [16] } };
    // the papers' setting: every expert has the shape of the Shared-Bottom network, so the gated models are larger
    const block = { dims: [64, 16] };
    const models: Record<string, BaseModel> = {
      sharedBottom: new SharedBottom({ ...base, bottom: block }),
      mmoe: new MMoE({ ...base, numExperts: 4, expert: block }),
      ple: new PLE({ ...base, numLevels: 2, taskExperts: 1, sharedExperts: 2, expert: block }),
    };
    const meanAuc: Record<string, number> = {};
    for (const [name, m] of Object.entries(models)) {
      m.compile({ lr: 3e-3 });
      await m.fit(d.train, { epochs: 6, batchSize: 512, verbose: 0 });
      const p = await m.predictTargets(d.test);
      meanAuc[name] = (auc(d.test[t1] as Float32Array, p[t1]) + auc(d.test[t2] as Float32Array, p[t2])) / 2;
      m.dispose();
    }
    const oracle = (auc(d.test[t1] as Float32Array, d.oracle.test[t1]) + auc(d.test[t2] as Float32Array, d.oracle.test[t2])) / 2;
    console.log('mean task AUC', JSON.stringify({ ...meanAuc, oracle }, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v)));
    // measured (wasm, 1 thread): Shared-Bottom 0.8761, MMoE 0.8790, PLE 0.8807 on this seed; over model seeds 1-3 the
    // gains were +0.002..+0.007 (MMoE) and +0.005..+0.007 (PLE), so only a clear ordering is asserted
    expect(meanAuc.mmoe).toBeGreaterThan(meanAuc.sharedBottom + 0.001);
    expect(meanAuc.ple).toBeGreaterThan(meanAuc.sharedBottom + 0.002);
  });
});
