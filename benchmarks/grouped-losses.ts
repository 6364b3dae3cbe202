/**
 * Issue #13 report: pairwise / listwise losses within request groups against pointwise BCE on the grouped synthetic
 * task (`syntheticGroupedRanking`: an unobserved per-request offset is noise to a pointwise model and irrelevant to
 * the order within the request). DeepFM (MLP [32]), Adam lr 1e-2, batch 200 (whole requests), the same data seed
 * and model seed per run for every loss; NDCG@10 per test request (requests with a positive), mean and spread
 * (min..max, and the per-seed difference to BCE) over the seeds.
 *
 *   npx ts-node --transpile-only benchmarks/grouped-losses.ts [--seeds 1,2,3] [--groups 1500] [--epochs 4] [--losses bce,bpr,listnet,listmle,approx_ndcg]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { groupedMetricAt } from '../src/basic/grouped-metrics';
import { syntheticGroupedRanking } from '../src/data/synthetic/grouped';
import { DeepFM } from '../src/models/ranking/deepfm';
import { arg } from './lib/args';

const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const groups = Number(arg('groups', '1500'));
const epochs = Number(arg('epochs', '4'));
const losses = arg('losses', 'bce,bpr,listnet,listmle,approx_ndcg').split(',');

async function main(): Promise<void> {
  await initBackend({ log: false });
  const results: Record<string, number[]> = {};
  for (const seed of seeds) {
    const t = syntheticGroupedRanking({ groups, seed: 12 + seed });
    for (const loss of losses) {
      const m = new DeepFM({ sparseFeatures: t.sparseFeatures, mlp: { dims: [32] }, seed });
      m.compile({ loss, lr: 1e-2, groupColumn: t.groupColumn });
      await m.fit(t.train, { epochs, batchSize: 200, verbose: 0 });
      const ndcg = groupedMetricAt('ndcg', t.test.label as Float32Array, await m.predict(t.test), t.test.request as Int32Array, 10);
      m.dispose();
      (results[loss] ??= []).push(ndcg);
      console.log(`seed ${seed} ${loss}: NDCG@10 ${ndcg.toFixed(4)}`);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\n| loss | NDCG@10 mean | min .. max | vs bce per seed |\n| --- | ---: | ---: | --- |`);
  for (const loss of losses) {
    const xs = results[loss];
    const diffs = results.bce ? xs.map((x, i) => (x - results.bce[i] >= 0 ? '+' : '') + (x - results.bce[i]).toFixed(4)).join(' / ') : '';
    console.log(`| ${loss} | ${mean(xs).toFixed(4)} | ${Math.min(...xs).toFixed(4)} .. ${Math.max(...xs).toFixed(4)} | ${diffs} |`);
  }
  await shutdownBackend();
}

if (require.main === module) void main();
