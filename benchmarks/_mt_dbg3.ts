import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/basic/backend';
import { syntheticColdStart } from '../src/data/synthetic/coldstart';
import { POSO } from '../src/models/multitask/poso';
(async () => {
  await initBackend({ log: false });
  const d = syntheticColdStart({ rows: 80000, newUserFraction: 0.06 });
  const m: any = new POSO({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click'], personalizationFeatures: d.personalizationFeatures, mlp: { dims: [128, 64] }, tower: { dims: [32] }, seed: 1 });
  m.compile({ lr: Number(process.env.LR ?? 1e-3) });
  await m.fit(d.train, { epochs: 3, batchSize: 512, verbose: 0 });
  // gate input for group (is_new=1, activity=2) vs (is_new=2, activity=1)
  const mk = (isNew: number, act: number) => { const v = new Float32Array(3 + 5); v[isNew] = 1; v[3 + act] = 1; return tf.tensor2d(v, [1, 8]); };
  const ctx = { training: false, rng: null, deferred: [] };
  for (const g of m.posoMlp.gates) {
    const a = g.apply(mk(1, 3), ctx).dataSync(), b = g.apply(mk(2, 1), ctx).dataSync();
    let s = 0, mx = 0; for (let i = 0; i < a.length; i++) { s += Math.abs(a[i] - b[i]); mx = Math.max(mx, Math.abs(a[i] - 1), Math.abs(b[i] - 1)); }
    console.log('layer gate mean |old-new|', s / a.length, 'max |g-1|', mx);
  }
})();
