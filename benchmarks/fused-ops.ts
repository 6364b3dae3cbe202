/**
 * Fused ops (issue #12): HSTU and SASRec next-item training steps (dim 50, 2 blocks, 1 head, batch 128, 128 shared
 * sampled negatives, 3,706 items, full-length sequences) with the fused custom ops (attention core, layer norm,
 * sampled softmax; `setFusedOps('fused')`) and with the composed tfjs ops (`'composed'`, the step as it was), in
 * the same process: ms per step (wall and process CPU), kernel calls per step and the kernel-time breakdown of one
 * profiled step (kernels inside a custom op are counted too; "forward" is the custom op itself).
 *
 *   npx ts-node --transpile-only benchmarks/fused-ops.ts [--steps 6] [--lengths 50,200] [--modes composed,fused] [--models HSTU,SASRec] [--top 12]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { FusedOpsMode, setFusedOps } from '../src/basic/layers/fused-mode';
import { SequenceFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { arg } from './lib/args';

const ITEMS = 3706;
const DIM = 50;
const BATCH = 128;

interface Row {
  model: string;
  length: number;
  mode: string;
  msPerStep: number;
  cpuMsPerStep: number;
  kernelsPerStep: number;
  kernelMs: number;
  top: Array<[string, number, number]>;
}

async function measure(Model: typeof HSTU | typeof SASRec, L: number, steps: number, mode: FusedOpsMode, topN: number): Promise<Row> {
  setFusedOps(mode);
  const rng = new Rng(L);
  const hist = new SequenceFeature({ name: 'hist', vocabSize: ITEMS + 1, embeddingDim: DIM, maxLen: L });
  const rows = BATCH * (steps + 4);
  const data = { hist: Array.from({ length: rows }, () => Int32Array.from({ length: L }, () => 1 + rng.int(ITEMS))) };
  const m = new Model({ sequenceFeatures: [hist], blocks: 2, heads: 1, dropout: 0.2, numNegatives: 128, seed: 1 });
  m.compile({ lr: 1e-3 });
  const fit = (n: number) => m.fit(data, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: n }).then(() => undefined);
  await fit(2); // warm-up: embedding rows, XNNPACK operators, kernels
  const prof = await tf.profile(() => fit(1));
  const byKernel = new Map<string, [number, number]>();
  let kernelMs = 0;
  for (const k of prof.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? [0, 0];
    e[0]++;
    e[1] += ms;
    byKernel.set(k.name, e);
    kernelMs += ms;
  }
  const top = [...byKernel.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, topN).map(([n, [c, ms]]) => [n, c, ms] as [string, number, number]);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fit(steps);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  m.dispose();
  setFusedOps('fused');
  return { model: Model.modelName, length: L, mode, msPerStep: wallMs / steps, cpuMsPerStep: (c.user + c.system) / 1000 / steps, kernelsPerStep: prof.kernels.length, kernelMs, top };
}

async function main(): Promise<void> {
  const steps = Number(arg('steps', '6'));
  const lengths = arg('lengths', '50,200').split(',').map(Number);
  const modes = arg('modes', 'composed,fused').split(',') as FusedOpsMode[];
  const topN = Number(arg('top', '12'));
  const only = arg('models', 'HSTU,SASRec').split(',');
  const info = await initBackend({ threads: 1, log: false });
  console.log(`backend ${info.name} (1 thread), dim ${DIM}, 2 blocks, 1 head, batch ${BATCH}, ${ITEMS} items, 128 sampled negatives`);
  const rows: Row[] = [];
  for (const L of lengths) {
    for (const Model of [HSTU, SASRec].filter((M) => only.includes(M.modelName))) {
      // alternate the modes so that load drifts hit both alike
      for (const mode of modes) rows.push(await measure(Model, L, L >= 200 ? Math.max(2, Math.ceil(steps / 2)) : steps, mode, topN));
      for (const r of rows.slice(-modes.length)) {
        console.error(`\n${r.model} L=${r.length} ${r.mode}: ${r.kernelsPerStep} kernel calls, ${r.kernelMs.toFixed(0)} ms kernel time in the profiled step`);
        for (const [n, cnt, ms] of r.top) console.error(`  ${n.padEnd(22)} ${String(cnt).padStart(5)} calls ${ms.toFixed(1).padStart(8)} ms`);
      }
    }
  }
  console.log('\nmodel  | seq len | attention | ms/step (wall) | ms/step (cpu) | kernel calls/step | kernel ms (profiled step)');
  console.log('-------|---------|-----------|----------------|---------------|-------------------|--------------------------');
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(6)} | ${String(r.length).padStart(7)} | ${r.mode.padEnd(9)} | ${r.msPerStep.toFixed(0).padStart(14)} | ${r.cpuMsPerStep.toFixed(0).padStart(13)} | ${String(r.kernelsPerStep).padStart(17)} | ${r.kernelMs.toFixed(0).padStart(25)}`,
    );
  }
  console.log(`tf.memory().numTensors at exit: ${tf.memory().numTensors}`);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
