/**
 * Generative models (issue #7): train one next-item model variant on the synthetic Markov / topic process of
 * test/generative-accuracy.test.ts and print valid HR@10 / NDCG@10 per epoch and the test metrics beside the oracle
 * (and the time-blind oracle, which differs when the process has session breaks). The HSTU vs SASRec ablation table
 * in docs/models-generative.md was measured with it, one process per run.
 *
 *   npx ts-node --transpile-only benchmarks/next-item-variants.ts --model HSTU [--config '{"heads":2}']
 *     [--epochs 12] [--lr 3e-3] [--data '{"sessionBreak":0.3}']
 * With `"timestampColumn": "hist_time"` in --config (and `"targetTimeColumn": "target_time"`) HSTU trains and
 * evaluates with the generator's timestamps.
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticNextItem, SyntheticNextItemOptions } from '../src/data/synthetic/next-item';
import { HSTU, HSTUConfig } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { arg } from './lib/args';

function json<T>(name: string): T {
  const text = arg(name, '{}');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`--${name} must be a JSON object (got ${text}): ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const modelName = arg('model', 'HSTU');
  const Model = { HSTU, SASRec }[modelName];
  if (!Model) throw new Error(`--model must be HSTU or SASRec (got ${modelName})`);
  const config = json<Partial<HSTUConfig>>('config');
  const epochs = Number(arg('epochs', '12'));
  const lr = Number(arg('lr', '3e-3'));
  await initBackend({ log: false });
  const d = syntheticNextItem({ seed: 5, numUsers: 1000, numItems: 300, markovWeight: 0.8, embeddingDim: 32, ...json<SyntheticNextItemOptions>('data') });
  const m = new Model({ sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, temperature: 0.1, ...config });
  m.compile({ lr });
  const train: Record<string, unknown> = { hist: d.trainSequences.slice(1) };
  if (config.timestampColumn) train[config.timestampColumn] = d.trainTimestamps.slice(1);
  const t0 = Date.now();
  await m.fit(train as never, {
    epochs,
    batchSize: 128,
    verbose: 0,
    onEpochEnd: async (log) => {
      const v = await m.evaluate(d.valid);
      console.log(`epoch ${log.epoch}: loss ${log.loss.toFixed(4)} valid HR@10 ${v['hr@10'].toFixed(3)} NDCG@10 ${v['ndcg@10'].toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    },
  });
  const r = await m.evaluate(d.test);
  console.log(
    `${modelName} ${JSON.stringify(config)} lr ${lr}, ${epochs} epochs: test HR@10 ${r['hr@10'].toFixed(3)} NDCG@10 ${r['ndcg@10'].toFixed(3)} ` +
      `HR@50 ${r['hr@50'].toFixed(3)} MRR ${r.mrr.toFixed(3)}; oracle HR@10 ${d.oracle.hitRateAt(10).toFixed(3)}, time-blind ${d.oracle.hitRateAt(10, 'test', true).toFixed(3)}`,
  );
  m.dispose();
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
