import { initBackend } from '../src/basic/backend';
import { syntheticFunnel, filterRows } from '../src/data/synthetic/funnel';
import { ESMM } from '../src/models/multitask/esmm';
import { SharedBottom } from '../src/models/multitask/shared-bottom';
import { DeepFM } from '../src/models/ranking/deepfm';
import { auc } from '../src/basic/metrics';
function mean(a: ArrayLike<number>) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s / a.length; }
(async () => {
  await initBackend({ log: false });
  const d = syntheticFunnel({ rows: Number(process.env.ROWS ?? 100000), seed: 11, ...JSON.parse(process.env.GEN ?? '{}') });
  const o = d.oracle.test;
  const cl = (x: any) => { const c = filterRows(x, x.click); return { ...c, label: c.conversion }; };
  const testClicked = filterRows({ ...d.test, pot: o.potentialConversion, pcvr: o.pcvr }, d.test.click as Float32Array);
  console.log('oracle cvr auc on clicked', auc(testClicked.conversion as Float32Array, testClicked.pcvr as Float32Array), 'all', auc(o.potentialConversion, o.pcvr));
  const cfg = JSON.parse(process.env.CFG ?? '{}');
  const LR = Number(process.env.LR ?? 1e-3);
  const models: Record<string, any> = {
    esmm: new ESMM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1, ...cfg }),
    mlp: new SharedBottom({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1, targets: ['label'], bottom: { dims: [128] }, tower: { dims: [64] } }),
    dfm: new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1, mlp: { dims: [128, 64] } }),
  };
  for (const m of Object.values(models)) m.compile({ lr: LR, embeddingLr: process.env.ELR ? Number(process.env.ELR) : undefined, embeddingL2: Number(process.env.EL2 ?? 0) });
  for (let e = 1; e <= Number(process.env.EPOCHS ?? 5); e++) {
    const line: string[] = [`epoch ${e}`];
    for (const [name, m] of Object.entries(models)) {
      const t0 = Date.now();
      if (name === 'esmm') await m.fit(d.train, { epochs: 1, batchSize: Number(process.env.BS ?? 512), verbose: 0 });
      else await m.fit(cl(d.train), { epochs: name === 'esmm' ? 1 : Number(process.env.CE ?? 1), batchSize: 256, verbose: 0 });
      const p = name === 'esmm' ? (await m.predictTargets(d.test)).cvr : await m.predict(d.test);
      const pc = name === 'esmm' ? (await m.predictTargets(testClicked)).cvr : await m.predict(testClicked);
      line.push(`${name}: all ${auc(o.potentialConversion, p).toFixed(4)} clicked ${auc(testClicked.conversion as Float32Array, pc).toFixed(4)} mean ${mean(p).toFixed(3)}/${mean(o.pcvr).toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    }
    console.log(line.join(' | '));
  }
})();
