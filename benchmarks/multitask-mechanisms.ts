/**
 * Does each multi-task model's mechanism show on the synthetic task built for it? Per seed (3 seeds):
 *  - funnel (syntheticFunnel): last-stage (click-and-conversion) test AUC, AITM vs Shared-Bottom;
 *  - multi-scenario (syntheticMultiScenario): mean per-scenario, per-task test AUC, HMoE / PEPNet / APG vs MMoE.
 * npx ts-node --transpile-only benchmarks/multitask-mechanisms.ts [--rows 10000] [--epochs 4] [--only funnel|scenario]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticFunnel } from '../src/data/synthetic/funnel';
import { syntheticMultiScenario } from '../src/data/synthetic/multi-scenario';
import { AITM, APG, HMoE, MMoE, PEPNet, SharedBottom } from '../src/models/multitask';
import { arg } from './lib/args';

async function main() {
  await initBackend({ log: false });
  const rows = Number(arg('rows', '10000'));
  const epochs = Number(arg('epochs', '4'));
  const only = arg('only', '');
  const fitScore = async (m: BaseModel, train: Record<string, unknown>, score: (m: BaseModel) => Promise<number>) => {
    await m.fit(train as never, { epochs, batchSize: 256, verbose: 0 });
    const s = await score(m);
    m.dispose();
    return s;
  };
  for (const seed of [1, 2, 3]) {
    if (only !== 'scenario') {
      const d = syntheticFunnel({ rows: rows * 3, seed, ctrBias: -1.5 });
      const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click', 'conversion'], seed, tower: { dims: [16] } };
      const y = d.test.conversion as Float32Array;
      const score = async (m: BaseModel) => auc(y, (await m.predictTargets(d.test)).conversion);
      const sb = await fitScore(new SharedBottom({ ...base, bottom: { dims: [64, 32] } }).compile({ lr: 3e-3 }), d.train, score);
      const aitm = await fitScore(new AITM({ ...base, encoder: { dims: [64, 32] } }).compile({ lr: 3e-3 }), d.train, score);
      console.log(`funnel seed ${seed}: last-stage AUC SharedBottom ${sb.toFixed(4)} AITM ${aitm.toFixed(4)} (diff ${(aitm - sb).toFixed(4)}; oracle ${auc(y, d.oracle.test.pctcvr).toFixed(4)})`);
    }
    if (only !== 'funnel') {
      const d = syntheticMultiScenario({ rows, seed });
      const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed, tower: { dims: [16] } };
      const score = async (m: BaseModel) => {
        const r = await m.evaluate(d.test);
        const keys = Object.keys(r).filter((k) => /^auc_.*_scenario\d+$/.test(k));
        return keys.reduce((a, k) => a + r[k], 0) / keys.length;
      };
      const compile = { lr: 3e-3, scenarioColumn: d.scenarioColumn };
      const mmoe = await fitScore(new MMoE({ ...base, numExperts: 4, expert: { dims: [32, 16] } }).compile(compile), d.train, score);
      const parts = [`MMoE ${mmoe.toFixed(4)}`];
      for (const [name, m] of [
        ['HMoE', new HMoE({ ...base, scenarioFeature: d.scenarioColumn, sharedExperts: 2, scenarioExperts: 1, expert: { dims: [32, 16] } })],
        ['PEPNet', new PEPNet({ ...base, domainFeatures: [d.scenarioColumn], personalizationFeatures: [d.scenarioColumn], tower: { dims: [32, 16] } })],
        ['APG', new APG({ ...base, conditionFeatures: [d.scenarioColumn], dims: [32, 16], rank: 16 })],
      ] as const) {
        const s = await fitScore(m.compile(compile), d.train, score);
        parts.push(`${name} ${s.toFixed(4)} (${s - mmoe >= 0 ? '+' : ''}${(s - mmoe).toFixed(4)})`);
      }
      console.log(`multi-scenario seed ${seed}: mean per-scenario AUC ${parts.join(', ')}`);
    }
  }
  await shutdownBackend();
}
main();
