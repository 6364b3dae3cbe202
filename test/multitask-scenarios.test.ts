import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { syntheticMultiScenario } from '../src/data/synthetic/multi-scenario';
import { MMoE } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const pick = (xs: ArrayLike<number>, rows: number[]) => Float32Array.from(rows, (i) => xs[i]);

describe('multi-scenario synthetic task', () => {
  const d = syntheticMultiScenario({ rows: 4000, seed: 3 });
  const scen = d.test.scenario as Int32Array;
  const rowsOf = (s: number) => Array.from({ length: scen.length }, (_, i) => i).filter((i) => scen[i] === s);

  test('scenario shares, determinism and an oracle that differs by scenario', () => {
    expect(d.numScenarios).toBe(3);
    const all = d.train.scenario as Int32Array;
    const share = (s: number) => all.filter((v) => v === s).length / all.length;
    expect(share(1)).toBeCloseTo(0.5, 1);
    expect(share(3)).toBeCloseTo(0.2, 1);
    expect(syntheticMultiScenario({ rows: 4000, seed: 3 }).oracle.test.click).toEqual(d.oracle.test.click);
    for (const s of [1, 2, 3]) expect(auc(pick(d.test.click as Float32Array, rowsOf(s)), pick(d.oracle.test.click, rowsOf(s)))).toBeGreaterThan(0.75);
    expect(() => syntheticMultiScenario({ rows: 100, scenarioShares: [1] })).toThrow('scenarioShares must hold at least two positive shares');
  });

  test('evaluate reports each metric per scenario with scenarioColumn', async () => {
    const model = new MMoE({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, numExperts: 2, expert: { dims: [8] }, tower: { dims: [4] } });
    model.compile({ lr: 3e-3, scenarioColumn: d.scenarioColumn });
    await model.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });
    const report = await model.evaluate(d.test);
    const p = await model.predictTargets(d.test);
    for (const s of [1, 2, 3]) {
      const rows = rowsOf(s);
      expect(report[`auc_like_scenario${s}`]).toBeCloseTo(auc(pick(d.test.like as Float32Array, rows), pick(p.like, rows)), 6);
      expect(report[`logloss_click_scenario${s}`]).toBeGreaterThan(0);
    }
    expect(report.auc_click).toBeCloseTo(auc(d.test.click as Float32Array, p.click), 6);
    model.compile({ scenarioColumn: 'domain' });
    await expect(model.evaluate(d.test)).rejects.toThrow("scenarioColumn 'domain' is not in the data");
    model.dispose();
  });
});
