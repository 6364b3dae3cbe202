import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { filterRows, syntheticFunnel } from '../src/data/synthetic/funnel';
import { ESMM } from '../src/models/multitask';
import { DeepFM } from '../src/models/ranking/deepfm';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** Expected calibration error against the true probabilities: |sum(pred) - sum(truth)| per prediction bin, over n. */
function ece(pred: ArrayLike<number>, truth: ArrayLike<number>, bins = 10): number {
  const sp = new Float64Array(bins);
  const st = new Float64Array(bins);
  for (let i = 0; i < pred.length; i++) {
    const b = Math.min(bins - 1, Math.floor(pred[i] * bins));
    sp[b] += pred[i];
    st[b] += truth[i];
  }
  let e = 0;
  for (let b = 0; b < bins; b++) e += Math.abs(sp[b] - st[b]);
  return e / pred.length;
}

describe('ESMM on an impression -> click -> conversion funnel', () => {
  it('estimates pCVR over the entire impression space better than a CVR model trained on clicked rows', async () => {
    // 70k training impressions, ~6% clicked: the clicked-only model sees ~4k rows, a high-CTR slice of the space
    const d = syntheticFunnel({ rows: 100_000, seed: 11 });
    const truth = d.oracle.test;
    const features = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed: 1 };

    const esmm = new ESMM({ ...features, ctrTower: { dims: [128, 64] }, cvrTower: { dims: [128, 64] } });
    esmm.compile({ lr: 1e-3 });
    await esmm.fit(d.train, { epochs: 5, batchSize: 512, validData: d.valid, earlyStopping: { monitor: 'val_auc_cvr', patience: 1 }, verbose: 0 });
    const pEsmm = (await esmm.predictTargets(d.test)).cvr;

    // the usual baseline: a CVR model fitted on clicked impressions only (label = conversion), then served everywhere
    const clicked = (split: typeof d.train) => {
      const rows = filterRows(split, split.click as Float32Array);
      return { ...rows, label: rows.conversion };
    };
    const naive = new DeepFM({ ...features, mlp: { dims: [128, 64] } });
    naive.compile({ lr: 1e-3 });
    await naive.fit(clicked(d.train), { epochs: 10, batchSize: 256, validData: clicked(d.valid), earlyStopping: { patience: 1 }, verbose: 0 });
    const pNaive = await naive.predict(d.test);

    // scored on every test impression: AUC against the conversion each impression would have had if clicked
    const score = (p: Float32Array) => ({
      auc: auc(truth.potentialConversion, p),
      ece: ece(p, truth.pcvr),
      meanGap: Math.abs(mean(p) - mean(truth.pcvr)),
    });
    const s = { esmm: score(pEsmm), naive: score(pNaive), oracleAuc: auc(truth.potentialConversion, truth.pcvr), oracleMean: mean(truth.pcvr) };
    console.log('entire-space pCVR', JSON.stringify(s, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v)));
    expect(s.esmm.auc).toBeGreaterThan(s.naive.auc + 0.01);
    expect(s.esmm.ece).toBeLessThan(s.naive.ece - 0.03);
    expect(s.esmm.meanGap).toBeLessThan(s.naive.meanGap - 0.02);
    esmm.dispose();
    naive.dispose();
  });
});
