/**
 * Exact top-K serving latency of a match model (issue #6): one user against a catalogue of 100k items with dim-64
 * vectors (YouTubeDNN, user tower MLP [64] over a 20-item history). Reports the one-off index build (item tower over
 * the catalogue, lazily initialised embedding rows) and the per-request latency (median and p90 over repeated
 * calls), for 1 user and for a batch of 256 users.
 *
 *   npx ts-node --transpile-only benchmarks/match-recommend.ts [--items 100000] [--dim 64] [--k 50] [--reps 30]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
import { arg } from './lib/args';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
  const numItems = Number(arg('items', '100000'));
  const dim = Number(arg('dim', '64'));
  const k = Number(arg('k', '50'));
  const reps = Number(arg('reps', '30'));
  const info = await initBackend({ log: false });
  const item = new SparseFeature({ name: 'item_id', vocabSize: numItems + 1, embeddingDim: dim });
  const hist = new SequenceFeature({ name: 'hist', vocabSize: numItems + 1, embeddingDim: dim, embeddingName: 'item_id', maxLen: 20 });
  const model = new YouTubeDNN({ userFeatures: [hist], itemFeatures: [item], mlp: { dims: [64] }, seed: 1 });
  const rng = new Rng(1);
  const histories = (n: number) => ({ hist: Array.from({ length: n }, () => Array.from({ length: 20 }, () => 1 + rng.int(numItems))) });
  let t0 = performance.now();
  await model.recommend(histories(1), k, { excludeSeen: true });
  const buildMs = performance.now() - t0;
  const one: number[] = [];
  for (let r = 0; r < reps; r++) {
    const users = histories(1);
    t0 = performance.now();
    await model.recommend(users, k, { excludeSeen: true });
    one.push(performance.now() - t0);
  }
  const batch: number[] = [];
  for (let r = 0; r < Math.max(3, Math.floor(reps / 6)); r++) {
    const users = histories(256);
    t0 = performance.now();
    await model.recommend(users, k, { excludeSeen: true });
    batch.push(performance.now() - t0);
  }
  console.log(`backend ${info.name}, ${numItems.toLocaleString('en-US')} items x dim ${dim}, top-${k} with excludeSeen`);
  console.log(`index build (first call): ${buildMs.toFixed(0)} ms`);
  console.log(`1 user:    median ${quantile(one, 0.5).toFixed(1)} ms, p90 ${quantile(one, 0.9).toFixed(1)} ms`);
  console.log(`256 users: median ${quantile(batch, 0.5).toFixed(0)} ms (${(quantile(batch, 0.5) / 256).toFixed(2)} ms per user)`);
  model.dispose();
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
