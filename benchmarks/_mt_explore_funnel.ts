import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticFunnel, filterRows } from '../src/data/synthetic/funnel';
import { ESMM } from '../src/models/multitask/esmm';
import { DeepFM } from '../src/models/ranking/deepfm';
import { auc } from '../src/basic/metrics';

function mean(a: ArrayLike<number>) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s / a.length; }
function ece(pred: ArrayLike<number>, truth: ArrayLike<number>, bins = 10) {
  // ECE against oracle probabilities, binned by prediction
  const sp = new Float64Array(bins), st = new Float64Array(bins), n = new Float64Array(bins);
  for (let i = 0; i < pred.length; i++) { const b = Math.min(bins - 1, Math.floor(pred[i] * bins)); sp[b] += pred[i]; st[b] += truth[i]; n[b]++; }
  let e = 0; for (let b = 0; b < bins; b++) if (n[b]) e += Math.abs(sp[b] - st[b]) / pred.length; return e;
}
(async () => {
  await initBackend({ log: true });
  const rows = Number(process.argv[2] ?? 100000);
  const epochs = Number(process.argv[3] ?? 2);
  const d = syntheticFunnel({ rows, seed: 11, ...JSON.parse(process.env.GEN ?? '{}') });
  const LR = Number(process.env.LR ?? 2e-3);
  const tr = d.train;
  console.log('ctr', mean(tr.click as Float32Array), 'ctcvr', mean(tr.conversion as Float32Array), 'mean pcvr', mean(d.oracle.train.pcvr), 'clicked', (tr.click as Float32Array).reduce((a, b) => a + b, 0));
  const o = d.oracle.test;
  console.log('oracle pcvr auc vs potential', auc(o.potentialConversion, o.pcvr), 'oracle ctr auc', auc(d.test.click as Float32Array, o.pctr));
  let t0 = Date.now();
  const esmm = new ESMM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1 });
  esmm.compile({ lr: LR });
  const h = await esmm.fit(tr, { epochs, batchSize: 512, validData: d.valid, verbose: 2, earlyStopping: { monitor: 'val_auc_conversion', patience: 1 } });
  const pe = await esmm.predictTargets(d.test);
  console.log('ESMM time', (Date.now() - t0) / 1000, 'cvr auc(all)', auc(o.potentialConversion, pe.cvr), 'mean', mean(pe.cvr), 'oracle mean', mean(o.pcvr), 'ece', ece(pe.cvr, o.pcvr));
  console.log('pctr mean', mean(pe.ctr), 'oracle', mean(o.pctr), 'ece ctr', ece(pe.ctr, o.pctr), 'pctcvr mean', mean(pe.ctcvr), mean(o.pctcvr));
  console.log('ESMM ctr auc', auc(d.test.click as Float32Array, pe.ctr), 'ctcvr auc', auc(d.test.conversion as Float32Array, pe.ctcvr));
  t0 = Date.now();
  const clicked = filterRows(tr, tr.click as Float32Array);
  const cvrData = { ...clicked, label: clicked.conversion };
  const validClicked = filterRows(d.valid, d.valid.click as Float32Array);
  const dfm = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1, mlp: { dims: [128, 64] } });
  dfm.compile({ lr: LR });
  await dfm.fit(cvrData, { epochs: Number(process.argv[4] ?? 5), batchSize: 256, verbose: 2, earlyStopping: { patience: 1 }, validData: { ...validClicked, label: validClicked.conversion } });
  const pd = await dfm.predict(d.test);
  console.log('DeepFM time', (Date.now() - t0) / 1000, 'cvr auc(all)', auc(o.potentialConversion, pd), 'mean', mean(pd), 'ece', ece(pd, o.pcvr));
  console.log('numTensors', tf.memory().numTensors);
  await shutdownBackend();
})();
