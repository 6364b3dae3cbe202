/**
 * DeepFM training throughput at batch 1024 (issue #2):
 *   (a) 7 fields with MovieLens-1M cardinalities, dim 16, MLP [256, 128] with batch norm;
 *   (b) 26 fields with vocabulary 1e6 each, dim 16, MLP [400, 400, 400].
 * Each configuration runs in a fresh child process (the tfjs backend is process-global) for 1 and 2 wasm
 * threads; reports samples/s, ms/step and the child's peak RSS. Ratios within one run are what to compare:
 * the machines are shared and noisy.
 *
 *   npx ts-node --transpile-only benchmarks/throughput.ts [--steps 60] [--threads 1,2] [--only a|b] [--fixes on,off]
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { arg } from './lib/args';

interface Scenario {
  id: 'a' | 'b';
  title: string;
  vocabSizes: number[];
  mlp: { dims: number[]; batchNorm: boolean };
}

const SCENARIOS: Scenario[] = [
  { id: 'a', title: 'MovieLens-1M cardinalities, 7 fields, MLP [256,128]+BN', vocabSizes: [6041, 3953, 3, 8, 22, 679, 19], mlp: { dims: [256, 128], batchNorm: true } },
  { id: 'b', title: '26 fields x vocab 1e6, MLP [400,400,400]', vocabSizes: Array(26).fill(1_000_000), mlp: { dims: [400, 400, 400], batchNorm: false } },
];

interface Result {
  scenario: string;
  kernelFixes: boolean;
  threads: number;
  backend: string;
  samplesPerSec: number;
  msPerStep: number;
  /** ms per step during the first pass, while embedding rows are still being created. */
  firstEpochMsPerStep: number;
  peakRssMB: number;
  steps: number;
  batchSize: number;
}

/** Child: train one scenario and print a JSON result line. */
async function child(): Promise<void> {
  const { initBackend, shutdownBackend, DeepFM, SparseFeature, Rng } = await import('../src');
  const scenario = SCENARIOS.find((s) => s.id === process.env.BENCH_SCENARIO)!;
  const threads = Number(process.env.BENCH_THREADS);
  const steps = Number(process.env.BENCH_STEPS);
  const batchSize = 1024;
  const info = await initBackend({ threads, log: false, kernelFixes: process.env.BENCH_FIXES !== 'off' });
  const rows = batchSize * 32;
  const rng = new Rng(1);
  const data: Record<string, Int32Array | Float32Array> = {};
  const features = scenario.vocabSizes.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
  features.forEach((f) => {
    // skewed ids, as in real logs: most traffic on a small head of the vocabulary
    data[f.name] = Int32Array.from({ length: rows }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
  });
  data.label = Float32Array.from({ length: rows }, () => (rng.next() < 0.3 ? 1 : 0));
  const model = new DeepFM({ sparseFeatures: features, mlp: scenario.mlp, seed: 1 });
  model.compile({ optimizer: 'adam', lr: 1e-3 });
  // warm up over the whole generated set once: rows are initialised (and their memory pages faulted in) on first
  // touch, so the timed steps measure steady-state training rather than table growth
  const t1 = performance.now();
  await model.fit(data, { epochs: 1, batchSize, verbose: 0 });
  const firstEpochMs = (performance.now() - t1) / (rows / batchSize);
  const t0 = performance.now();
  await model.fit(data, { epochs: 100, batchSize, verbose: 0, maxSteps: steps });
  const ms = (performance.now() - t0) / steps;
  const result: Result = {
    scenario: scenario.id,
    kernelFixes: info.matMulFix,
    threads: info.threads,
    backend: info.name,
    samplesPerSec: Math.round((batchSize * 1000) / ms),
    msPerStep: Number(ms.toFixed(2)),
    firstEpochMsPerStep: Number(firstEpochMs.toFixed(2)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    steps,
    batchSize,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
  await shutdownBackend();
}

async function main(): Promise<void> {
  const steps = arg('steps', '60');
  const threads = arg('threads', '1,2').split(',').map(Number);
  const only = arg('only', '');
  const fixes = arg('fixes', 'on').split(',');
  const results: Result[] = [];
  for (const s of SCENARIOS.filter((x) => !only || x.id === only)) {
    for (const [t, fix] of threads.flatMap((t) => fixes.map((f) => [t, f] as const))) {
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child'], {
        env: { ...process.env, BENCH_SCENARIO: s.id, BENCH_THREADS: String(t), BENCH_STEPS: steps, BENCH_FIXES: fix },
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`benchmark child printed no result:\n${out}`);
      const r = JSON.parse(line.slice(7)) as Result;
      results.push(r);
      console.log(`(${s.id}) ${s.title} | threads ${r.threads} | kernel fixes ${r.kernelFixes ? 'on' : 'off'} | ${r.samplesPerSec.toLocaleString('en-US')} samples/s | ${r.msPerStep} ms/step (first pass ${r.firstEpochMsPerStep}) | peak RSS ${r.peakRssMB} MB`);
    }
  }
  const file = path.join(__dirname, 'results', 'throughput.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

if (process.argv.includes('--child')) child().catch((e) => { console.error(e); process.exit(1); });
else main().catch((e) => { console.error(e); process.exit(1); });
