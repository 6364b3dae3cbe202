/**
 * Training throughput at batch 1024 of the multi-task models (issues #5 and #14), with their default shapes, on the
 * DESIGN.md reference inputs (7 sparse fields with MovieLens-1M cardinalities, dim 16) and two binary targets
 * (click, conversion). DeepFM with one target and MLP [256, 128] + BN is printed first as the yardstick.
 * One process (the backend is process-global); wall and CPU time per step are both printed because the machines
 * are shared and noisy: compare rows of one run, not runs.
 *
 *   npx ts-node --transpile-only benchmarks/multitask-throughput.ts [--steps 20] [--threads 1] [--only SharedBottom,MMoE,...]
 *
 * A full run (no --only) also writes benchmarks/results/multitask-throughput.json.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { BaseModel } from '../src/basic/model/base-model';
import { ColumnarInput } from '../src/basic/dataset/dataset';
import { DeepFM } from '../src/models/ranking/deepfm';
import { AITM, APG, CrossStitch, ESMM, HMoE, MMoE, PEPNet, PLE, POSO, SharedBottom, SNRTrans } from '../src/models/multitask';
import { arg } from './lib/args';

const BATCH = 1024;
const VOCAB = [6041, 3953, 3, 8, 22, 679, 19];

function data(): { features: SparseFeature[]; data: ColumnarInput } {
  const rng = new Rng(1);
  const rows = BATCH * 16;
  const features = VOCAB.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
  const click = Float32Array.from({ length: rows }, () => (rng.next() < 0.3 ? 1 : 0));
  // conversions only after clicks, so the same columns also serve ESMM's click-and-conversion label
  const conversion = Float32Array.from(click, (c) => (c && rng.next() < 0.2 ? 1 : 0));
  const out: ColumnarInput = { label: click, click, conversion };
  for (const f of features) out[f.name] = Int32Array.from({ length: rows }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
  return { features, data: out };
}

const CASES: Array<{ name: string; build: (features: SparseFeature[]) => BaseModel }> = [
  { name: 'DeepFM (reference, 1 target)', build: (f) => new DeepFM({ sparseFeatures: f, mlp: { dims: [256, 128], batchNorm: true } }) },
  { name: 'SharedBottom', build: (f) => new SharedBottom({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'MMoE', build: (f) => new MMoE({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'PLE', build: (f) => new PLE({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'ESMM', build: (f) => new ESMM({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'POSO-MLP', build: (f) => new POSO({ sparseFeatures: f, targets: ['click', 'conversion'], personalizationFeatures: ['f2', 'f3'] }) },
  { name: 'POSO-MMoE', build: (f) => new POSO({ sparseFeatures: f, targets: ['click', 'conversion'], personalizationFeatures: ['f2', 'f3'], backbone: 'mmoe' }) },
  { name: 'CrossStitch', build: (f) => new CrossStitch({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'SNRTrans', build: (f) => new SNRTrans({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  { name: 'AITM', build: (f) => new AITM({ sparseFeatures: f, targets: ['click', 'conversion'] }) },
  // f2 (3 ids) stands in for the scenario id, f3 (8 ids) for a user group
  { name: 'HMoE', build: (f) => new HMoE({ sparseFeatures: f, targets: ['click', 'conversion'], scenarioFeature: 'f2' }) },
  { name: 'PEPNet', build: (f) => new PEPNet({ sparseFeatures: f, targets: ['click', 'conversion'], domainFeatures: ['f2'], personalizationFeatures: ['f3'] }) },
  { name: 'APG', build: (f) => new APG({ sparseFeatures: f, targets: ['click', 'conversion'], conditionFeatures: ['f2', 'f3'] }) },
];

async function main(): Promise<void> {
  const steps = Number(arg('steps', '20'));
  const threads = Number(arg('threads', '1'));
  const only = arg('only', '');
  const info = await initBackend({ threads, log: false });
  console.log(`backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}), batch ${BATCH}, ${steps} timed steps after 3 warm-up steps`);
  const { features, data: rows } = data();
  const table: string[][] = [['model', 'dense params', 'ms/step (wall)', 'ms/step (cpu)', 'samples/s']];
  for (const c of CASES.filter((k) => !only || only.split(',').some((o) => k.name.startsWith(o)))) {
    const model = c.build(features);
    model.compile({ lr: 1e-3 });
    await model.fit(rows, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: 3 });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.fit(rows, { epochs: 2, batchSize: BATCH, verbose: 0, maxSteps: steps, dropLast: true });
    const cpu = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / steps;
    table.push([c.name, model.parameterCount().dense.toLocaleString('en-US'), wall.toFixed(1), ((cpu.user + cpu.system) / 1000 / steps).toFixed(1), Math.round((BATCH / wall) * 1000).toLocaleString('en-US')]);
    model.dispose();
  }
  const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
  for (const r of table) console.log(r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  '));
  if (!only) {
    const out = path.join(__dirname, 'results', 'multitask-throughput.json');
    const rowsOut = table.slice(1).map(([model, params, wall, cpu, sps]) => ({ model, denseParams: Number(params.replace(/,/g, '')), msPerStepWall: Number(wall), msPerStepCpu: Number(cpu), samplesPerSecWall: Number(sps.replace(/,/g, '')) }));
    const meta = { backend: info.name, threads: info.threads, batch: BATCH, steps, cpus: os.cpus().length, loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))), date: new Date().toISOString() };
    await fs.writeFile(out, JSON.stringify({ ...meta, rows: rowsOut }, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  }
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
