import { initBackend } from '../src/basic/backend';
import { syntheticColdStart } from '../src/data/synthetic/coldstart';
import { SharedBottom } from '../src/models/multitask/shared-bottom';
import { MMoE } from '../src/models/multitask/mmoe';
import { POSO } from '../src/models/multitask/poso';
import { auc, logloss } from '../src/basic/metrics';
function slice(a: ArrayLike<number>, m: Uint8Array, v: number) { const o: number[] = []; for (let i = 0; i < a.length; i++) if (m[i] === v) o.push(a[i]); return Float32Array.from(o); }
(async () => {
  await initBackend({ log: false });
  const d = syntheticColdStart({ rows: Number(process.env.ROWS ?? 60000), ...JSON.parse(process.env.GEN ?? '{}') });
  const o = d.oracle.test;
  const y = d.test.click as Float32Array;
  console.log('oracle ll new', logloss(slice(y, o.isNew, 1), slice(o.p, o.isNew, 1)), 'oracle new', auc(slice(y, o.isNew, 1), slice(o.p, o.isNew, 1)), 'old', auc(slice(y, o.isNew, 0), slice(o.p, o.isNew, 0)), 'n new test', slice(y, o.isNew, 1).length);
  const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click'], seed: Number(process.env.SEED ?? 1) };
  const cfg = JSON.parse(process.env.CFG ?? '{}');
  const bottom = cfg.bottom ?? { dims: [128, 64] };
  const ms: Record<string, any> = {
    sb: new SharedBottom({ ...base, bottom, tower: { dims: [32] } }),
    posoMlp: new POSO({ ...base, personalizationFeatures: d.personalizationFeatures, mlp: bottom, tower: { dims: [32] } }),
    mmoe: new MMoE({ ...base, numExperts: 4, expert: { dims: [64, 32] }, tower: { dims: [32] } }),
    posoMmoe: new POSO({ ...base, backbone: 'mmoe', personalizationFeatures: d.personalizationFeatures, numExperts: 4, expert: { dims: [64, 32] }, tower: { dims: [32] } }),
  };
  for (const [name, m] of Object.entries(ms)) {
    if (process.env.ONLY && !process.env.ONLY.split(',').includes(name)) continue;
    m.compile({ lr: Number(process.env.LR ?? 1e-3) });
    const t0 = Date.now();
    const line: string[] = [];
    const h = await m.fit(d.train, { epochs: Number(process.env.EPOCHS ?? 6), batchSize: 512, verbose: 0, validData: d.valid, earlyStopping: { patience: 1 } });
    const p = await m.predict(d.test);
    line.push(`best ${h.best?.epoch} new ${auc(slice(y, o.isNew, 1), slice(p, o.isNew, 1)).toFixed(4)} old ${auc(slice(y, o.isNew, 0), slice(p, o.isNew, 0)).toFixed(4)} ll new ${logloss(slice(y, o.isNew, 1), slice(p, o.isNew, 1)).toFixed(4)} old ${logloss(slice(y, o.isNew, 0), slice(p, o.isNew, 0)).toFixed(4)}`);
    console.log(name.padEnd(8), line.join(' | '), ((Date.now() - t0) / 1000).toFixed(1) + 's');
  }
})();
