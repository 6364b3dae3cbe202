/**
 * Training throughput of the match models (issue #6): DSSM (in-batch softmax with log-Q), YouTubeDNN and MIND
 * (sampled softmax, 512 shared negatives per batch) on a synthetic multi-interest catalogue (20k items, history
 * length 30, dim 32, MLP [128, 64]; MIND with 4 interests and 3 routing iterations). Reports samples/s from wall
 * time and from the process's CPU time (the machines are shared: CPU time is the steadier number).
 *
 *   npx ts-node --transpile-only benchmarks/match-throughput.ts [--batch 1024,256] [--steps 30]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { DSSM } from '../src/models/match/dssm';
import { MIND } from '../src/models/match/mind';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
import { MatchModel } from '../src/models/match/match-model';
import { arg } from './lib/args';

async function main(): Promise<void> {
  const batches = arg('batch', '1024,256').split(',').map(Number);
  const steps = Number(arg('steps', '30'));
  const info = await initBackend({ log: false });
  const d = syntheticRetrieval({ numUsers: 10_000, numItems: 20_000, numClusters: 200, clustersPerUser: [2, 4], historyLen: 30, trainPerUser: 4, embeddingDim: 32, seed: 1 });
  const userFeatures = d.userFeatures;
  const makers: Array<[string, () => MatchModel]> = [
    ['DSSM', () => new DSSM({ userFeatures, itemFeatures: d.itemFeatures, userMlp: { dims: [128, 64] }, itemMlp: { dims: [128, 64] }, outputDim: 32, seed: 1 })],
    ['YouTubeDNN', () => new YouTubeDNN({ userFeatures, itemFeatures: d.itemFeatures, mlp: { dims: [128, 64] }, seed: 1 })],
    ['MIND', () => new MIND({ userFeatures, itemFeatures: d.itemFeatures, numInterests: 4, mlp: { dims: [128, 64] }, seed: 1 })],
  ];
  console.log(`backend ${info.name} (${info.threads} thread(s)); ${d.train.item_id.length} training rows`);
  for (const batchSize of batches) {
    for (const [name, make] of makers) {
      const m = make();
      m.compile({ lr: 1e-3 });
      await m.fit(d.train, { epochs: 1, batchSize, verbose: 0, maxSteps: 3 });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await m.fit(d.train, { epochs: 10, batchSize, verbose: 0, maxSteps: steps });
      const wall = (performance.now() - t0) / steps;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000 / steps;
      console.log(`${name.padEnd(10)} batch ${batchSize}: ${Math.round((batchSize * 1000) / wall).toLocaleString('en-US')} samples/s wall (${wall.toFixed(1)} ms/step), ${Math.round((batchSize * 1000) / cpu).toLocaleString('en-US')} samples/s per CPU-second (${cpu.toFixed(1)} CPU ms/step)`);
      m.dispose();
    }
  }
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
