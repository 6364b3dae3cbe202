import { initBackend } from '../src/basic/backend';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { SharedBottom } from '../src/models/multitask/shared-bottom';
import { MMoE } from '../src/models/multitask/mmoe';
import { PLE } from '../src/models/multitask/ple';
import { auc } from '../src/basic/metrics';
(async () => {
  await initBackend({ log: false });
  const d = syntheticTwoTasks({ rows: Number(process.env.ROWS ?? 60000), ...JSON.parse(process.env.GEN ?? '{}') });
  const [t1, t2] = d.taskNames;
  const oa = [auc(d.test[t1] as Float32Array, d.oracle.test[t1]), auc(d.test[t2] as Float32Array, d.oracle.test[t2])];
  let corr = 0; { const a = d.oracle.train[t1], b = d.oracle.train[t2]; let ma = 0, mb = 0; for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; } ma /= a.length; mb /= a.length; let sab = 0, saa = 0, sbb = 0; for (let i = 0; i < a.length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; } corr = sab / Math.sqrt(saa * sbb); }
  console.log('oracle auc', oa, 'mean oracle', (oa[0] + oa[1]) / 2, 'prob corr', corr, 'rates', (d.train[t1] as Float32Array).reduce((a, b) => a + b) / d.train[t1].length, (d.train[t2] as Float32Array).reduce((a, b) => a + b) / d.train[t2].length);
  const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed: Number(process.env.SEED ?? 1) };
  const cfg = JSON.parse(process.env.CFG ?? '{}');
  const ms: Record<string, any> = {
    sb: new SharedBottom({ ...base, bottom: { dims: [128, 64] }, tower: { dims: [32] }, ...cfg.sb }),
    mmoe: new MMoE({ ...base, numExperts: 4, expert: { dims: [64, 32] }, tower: { dims: [32] }, ...cfg.mmoe }),
    ple: new PLE({ ...base, numLevels: 2, taskExperts: 1, sharedExperts: 2, expert: { dims: [32] }, tower: { dims: [32] }, ...cfg.ple }),
  };
  const EP = Number(process.env.EPOCHS ?? 4);
  for (const [name, m] of Object.entries(ms)) {
    m.compile({ lr: Number(process.env.LR ?? 1e-3) });
    const t0 = Date.now();
    const line: string[] = [];
    for (let e = 1; e <= EP; e++) {
      await m.fit(d.train, { epochs: 1, batchSize: Number(process.env.BS ?? 512), verbose: 0 });
      const p = await m.predictTargets(d.test);
      const a1 = auc(d.test[t1] as Float32Array, p[t1]), a2 = auc(d.test[t2] as Float32Array, p[t2]);
      line.push(`${a1.toFixed(4)}/${a2.toFixed(4)}=${((a1 + a2) / 2).toFixed(4)}`);
    }
    console.log(name.padEnd(5), 'params', m.parameterCount().dense, line.join(' '), ((Date.now() - t0) / 1000).toFixed(1) + 's');
  }
})();
