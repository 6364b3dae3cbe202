/**
 * Issue #13: AutoInt (or any ranking model) on the third-order cross task, one run per data seed, test AUC after
 * every epoch (to see when a run leaves the first-order plateau). Same protocol as the xDeepFM-vs-FM test in
 * test/ranking-zoo.test.ts: syntheticCross3 30k rows, data seed 10 + s with model seed s, batch 256.
 *
 *   npx ts-node --transpile-only benchmarks/autoint-cross3.ts [--model AutoInt] [--params '{"attention":{"heads":2,"headDim":16}}']
 *     [--seeds 1,2,3] [--epochs 8] [--lr 3e-3] [--embeddingLr 0.015]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticCross3 } from '../src/data/synthetic/cross3';
import { models } from '../src/basic/model/model-registry';
import '../src/models/ranking';
import { arg } from './lib/args';

async function main(): Promise<void> {
  await initBackend({ log: false });
  const model = arg('model', 'AutoInt');
  const params = JSON.parse(arg('params', '{}')) as Record<string, unknown>;
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const epochs = Number(arg('epochs', '8'));
  const lr = Number(arg('lr', '3e-3'));
  const embeddingLr = arg('embeddingLr', '') ? Number(arg('embeddingLr', '')) : undefined;
  const finals: string[] = [];
  for (const seed of seeds) {
    const task = syntheticCross3({ rows: 30_000, seed: 10 + seed });
    const m = new (models.resolve(model))({ sparseFeatures: task.sparseFeatures, seed, ...params });
    m.compile({ lr, ...(embeddingLr !== undefined ? { embeddingLr } : {}) });
    const curve: string[] = [];
    for (let e = 0; e < epochs; e++) {
      await m.fit(task.train, { epochs: 1, batchSize: 256, verbose: 0 });
      curve.push((await m.evaluate(task.test)).auc.toFixed(3));
    }
    m.dispose();
    finals.push(curve[curve.length - 1]);
    console.log(`data seed ${10 + seed}: test AUC by epoch ${curve.join(' ')} (oracle ${task.oracle.test.oracleAuc.toFixed(3)})`);
  }
  console.log(`${model} ${JSON.stringify(params)}: ${finals.join(' / ')}`);
  await shutdownBackend();
}

void main();
