import { initBackend } from '../src/basic/backend';
import { syntheticFunnel } from '../src/data/synthetic/funnel';
import { ESMM } from '../src/models/multitask/esmm';
(async () => {
  await initBackend({ log: true });
  const d = syntheticFunnel({ rows: 20000, seed: 11 });
  const esmm = new ESMM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1 });
  esmm.compile({ lr: 2e-3 });
  let t = Date.now();
  await esmm.fit(d.train, { epochs: 1, batchSize: 512, verbose: 0, onStep: (s) => { console.log('step', s.step, Date.now() - t, s.loss); t = Date.now(); } });
  console.log('done');
})();
