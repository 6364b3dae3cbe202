/**
 * Generative models (issue #7): training throughput of HSTU and SASRec next-item models (dim 50, 2 blocks, 1 head,
 * batch 128, 128 sampled negatives, ML-1M-sized catalogue of 3,706 items, every sequence of full length) at
 * sequence lengths 50 and 200, and HSTURanker latency for 1 user x 1,000 candidates in one forward pass.
 * Reports wall-clock and process CPU time: the machines are shared, and CPU time is the steadier of the two.
 *
 *   npx ts-node --transpile-only benchmarks/generative-throughput.ts [--steps 8] [--lengths 50,200] [--threads 1]
 *     [--compare-matmul]   also time the L=50 runs with plain tf.matMul attention (the slow wasm path)
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { setBatchedMatMulMode } from '../src/basic/layers/attention';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { HSTURanker } from '../src/models/generative/hstu-ranker';
import { arg } from './lib/args';

const ITEMS = 3706;
const DIM = 50;
const BATCH = 128;

interface Row {
  model: string;
  length: number;
  attention: string;
  msPerStep: number;
  cpuMsPerStep: number;
  sequencesPerSec: number;
  tokensPerSec: number;
}

function timed(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return fn().then(() => {
    const c = process.cpuUsage(c0);
    return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  });
}

async function trainThroughput(Model: typeof HSTU | typeof SASRec, L: number, steps: number, attention: 'auto' | 'matmul'): Promise<Row> {
  setBatchedMatMulMode(attention);
  const rng = new Rng(L);
  const hist = new SequenceFeature({ name: 'hist', vocabSize: ITEMS + 1, embeddingDim: DIM, maxLen: L });
  const rows = BATCH * (steps + 2);
  const data = { hist: Array.from({ length: rows }, () => Int32Array.from({ length: L }, () => 1 + rng.int(ITEMS))) };
  const m = new Model({ sequenceFeatures: [hist], blocks: 2, heads: 1, dropout: 0.2, numNegatives: 128, seed: 1 });
  m.compile({ lr: 1e-3 });
  // warm-up: creates the embedding rows, XNNPACK operators and tfjs kernels
  await m.fit(data, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: 2 });
  const t = await timed(() => m.fit(data, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: steps }).then(() => undefined));
  m.dispose();
  setBatchedMatMulMode('auto');
  const s = t.wallMs / steps / 1000;
  return { model: Model.modelName, length: L, attention: attention === 'auto' ? 'key-major' : 'tf.matMul', msPerStep: t.wallMs / steps, cpuMsPerStep: t.cpuMs / steps, sequencesPerSec: BATCH / s, tokensPerSec: (BATCH * L) / s };
}

async function rankingLatency(candidates: number, historyLen: number, runs: number): Promise<{ medianMs: number; cpuMs: number; minMs: number }> {
  const rng = new Rng(3);
  const item = { vocabSize: ITEMS + 1, embeddingDim: DIM, embeddingName: 'item' };
  const m = new HSTURanker({
    sparseFeatures: [new SparseFeature({ name: 'user_id', vocabSize: 6041, embeddingDim: DIM }), new SparseFeature({ name: 'age', vocabSize: 8, embeddingDim: DIM })],
    sequenceFeatures: [
      new SequenceFeature({ name: 'hist_items', maxLen: historyLen, ...item }),
      new SequenceFeature({ name: 'hist_actions', vocabSize: 8, embeddingDim: DIM, maxLen: historyLen }),
      new SequenceFeature({ name: 'candidates', maxLen: candidates, ...item }),
    ],
    targets: ['click', 'like', 'share'],
    blocks: 2,
    seed: 1,
  });
  const request = {
    user_id: [17],
    age: [3],
    hist_items: [Array.from({ length: historyLen }, () => 1 + rng.int(ITEMS))],
    hist_actions: [Array.from({ length: historyLen }, () => 1 + rng.int(7))],
    candidates: [Array.from({ length: candidates }, () => 1 + rng.int(ITEMS))],
  };
  await m.predictTargets(request);
  const times: number[] = [];
  let cpu = 0;
  for (let i = 0; i < runs; i++) {
    const t = await timed(() => m.predictTargets(request).then(() => undefined));
    times.push(t.wallMs);
    cpu += t.cpuMs;
  }
  m.dispose();
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], cpuMs: cpu / runs };
}

async function main(): Promise<void> {
  const steps = Number(arg('steps', '8'));
  const lengths = arg('lengths', '50,200').split(',').map(Number);
  const threads = Number(arg('threads', '1'));
  const info = await initBackend({ threads, log: false });
  console.log(`backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}), dim ${DIM}, 2 blocks, 1 head, batch ${BATCH}, ${ITEMS} items, 128 sampled negatives`);
  const rows: Row[] = [];
  for (const L of lengths) {
    for (const Model of [HSTU, SASRec]) {
      rows.push(await trainThroughput(Model, L, L >= 200 ? Math.max(2, Math.ceil(steps / 2)) : steps, 'auto'));
      if (process.argv.includes('--compare-matmul') && L <= 50) rows.push(await trainThroughput(Model, L, Math.max(2, Math.ceil(steps / 4)), 'matmul'));
      console.error(`  done ${rows[rows.length - 1].model} L=${L}`);
    }
  }
  console.log('\nTraining (next-item, sampled softmax)');
  console.log('model   | seq len | attention | ms/step (wall) | ms/step (cpu) | sequences/s | tokens/s');
  console.log('--------|---------|-----------|----------------|---------------|-------------|---------');
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(7)} | ${String(r.length).padStart(7)} | ${r.attention.padEnd(9)} | ${r.msPerStep.toFixed(0).padStart(14)} | ${r.cpuMsPerStep.toFixed(0).padStart(13)} | ${r.sequencesPerSec.toFixed(0).padStart(11)} | ${r.tokensPerSec.toFixed(0).padStart(8)}`,
    );
  }
  const lat = await rankingLatency(1000, 100, 10);
  console.log('\nRanking (HSTURanker, 2 context tokens + 100 history items as 200 item/action tokens, 3 tasks)');
  console.log('candidates | median ms (wall) | min ms | cpu ms');
  console.log(`${String(1000).padStart(10)} | ${lat.medianMs.toFixed(1).padStart(16)} | ${lat.minMs.toFixed(1).padStart(6)} | ${lat.cpuMs.toFixed(1).padStart(6)}`);
  console.log(`tf.memory().numTensors at exit: ${tf.memory().numTensors}`);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
