/**
 * Approximate (HNSW, usearch) against exact top-K search over item vectors (issue #15), at 100k items x dim 64 by
 * default. One run builds the graph once (reporting the build time), then on the same `--queries` query vectors
 * measures the per-query latency of exact top-K (the ExactItemIndex that `recommend` uses: matMul + host heap) and
 * of the graph at each ef of `--sweep` (the built graph reloaded with that ef), with recall@K against exact.
 *
 * Vectors (`--vectors`): 'lowrank' (default) draws items and queries as W z + noise with a 16-dim latent z, the
 * low intrinsic dimension trained embeddings have; 'random' draws i.i.d. normal vectors, the structureless worst
 * case for graph search. Scores are inner products, as for dot-product match models.
 *
 *   npx ts-node --transpile-only benchmarks/ann-index.ts [--items 100000] [--dim 64] [--k 10] [--queries 300]
 *     [--vectors lowrank|random] [--connectivity 16] [--expansion-add 128] [--sweep 32,64,128,256] [--threads 1]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { Rng } from '../src/basic/random';
import { ExactItemIndex, ItemIndex } from '../src/models/match/item-index';
import { HnswItemIndex } from '../src/models/match/hnsw-index';
import { arg } from './lib/args';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function draw(rng: Rng, n: number, dim: number, kind: string, W: Float32Array, latent: number): Float32Array {
  const out = new Float32Array(n * dim);
  const z = new Float32Array(latent);
  for (let i = 0; i < n; i++) {
    if (kind === 'random') {
      for (let j = 0; j < dim; j++) out[i * dim + j] = rng.normal();
      continue;
    }
    for (let l = 0; l < latent; l++) z[l] = rng.normal();
    for (let j = 0; j < dim; j++) {
      let s = 0.1 * rng.normal();
      for (let l = 0; l < latent; l++) s += W[j * latent + l] * z[l];
      out[i * dim + j] = s;
    }
  }
  return out;
}

async function main(): Promise<void> {
  const numItems = Number(arg('items', '100000'));
  const dim = Number(arg('dim', '64'));
  const k = Number(arg('k', '10'));
  const numQueries = Number(arg('queries', '300'));
  const kind = arg('vectors', 'lowrank');
  if (kind !== 'lowrank' && kind !== 'random') throw new Error(`--vectors must be lowrank or random (got ${kind})`);
  const efs = arg('sweep', '32,64,128,256').split(',').map(Number);
  const params = { connectivity: Number(arg('connectivity', '16')), expansionAdd: Number(arg('expansion-add', '128')), buildThreads: Number(arg('threads', '1')) };
  const info = await initBackend({ log: false });
  const rng = new Rng(1);
  const latent = 16;
  const W = Float32Array.from({ length: dim * latent }, () => rng.normal() / Math.sqrt(latent));
  const items = { ids: Int32Array.from({ length: numItems }, (_, i) => i + 1), matrix: draw(rng, numItems, dim, kind, W, latent), dim };
  const queries = draw(rng, numQueries, dim, kind, W, latent);

  let t0 = performance.now();
  const exactIndex = new ExactItemIndex(items);
  const exactSetupMs = performance.now() - t0;
  t0 = performance.now();
  const graph = HnswItemIndex.build(items, params);
  const buildMs = performance.now() - t0;
  const bytes = graph.toBytes();
  graph.dispose();

  const none = [null];
  const searchEach = (index: ItemIndex) => {
    const ids: Int32Array[] = [];
    const ms: number[] = [];
    for (let r = -5; r < numQueries; r++) {
      const q = tf.tensor2d(queries.subarray(Math.max(r, 0) * dim, (Math.max(r, 0) + 1) * dim), [1, dim]);
      const start = performance.now();
      const got = index.search({ vectors: q, rows: 1, interests: 1, interestMask: null }, k, none, 1).ids[0];
      if (r >= 0) {
        ms.push(performance.now() - start);
        ids.push(got);
      }
      q.dispose();
    }
    return { ids, p50: quantile(ms, 0.5), p90: quantile(ms, 0.9), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
  };
  const exact = searchEach(exactIndex);
  exactIndex.dispose();
  const sweep = [];
  for (const ef of efs) {
    const index = HnswItemIndex.fromBytes(bytes, items.ids, dim, { ...graph.params, expansionSearch: ef });
    const got = searchEach(index);
    let hits = 0;
    for (let r = 0; r < numQueries; r++) {
      const truth = new Set(exact.ids[r]);
      for (const id of got.ids[r]) if (truth.has(id)) hits++;
    }
    sweep.push({ expansionSearch: ef, recallAtK: hits / (numQueries * k), p50Ms: got.p50, p90Ms: got.p90, meanMs: got.mean, speedupP50: exact.p50 / got.p50, speedupMean: exact.mean / got.mean });
    index.dispose();
  }
  const result = {
    backend: info.name,
    items: numItems,
    dim,
    k,
    vectors: kind,
    queries: numQueries,
    hnsw: graph.params,
    hnswBuildMs: Math.round(buildMs),
    exactSetupMs: Math.round(exactSetupMs),
    exactMs: { p50: exact.p50, p90: exact.p90, mean: exact.mean },
    hnswSweep: sweep,
  };
  console.log(JSON.stringify(result, null, 2));
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
