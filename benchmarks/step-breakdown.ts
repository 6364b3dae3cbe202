/**
 * Where a training step's time goes (issue 12): kernel calls per step and time by category for DeepFM, DCNv2,
 * SASRec and HSTU at the shapes of benchmarks/vs-pytorch (one thread, the backend initBackend picks; set
 * NEXTREC_BACKEND to choose). Categories:
 *   matMul                 MatMul / BatchMatMul / _FusedMatMul (and any kernel named like *matmul*, *gemm*, *dense*)
 *   attention products    the convolution kernels attention runs its batched products through (layers/attention.ts)
 *   reductions            Sum, Mean, Max, Min, Prod, ArgMax, ArgMin, All, Any
 *   elementwise           unary / binary maps, activations, casts, comparisons, fills
 *   copies/layout         Identity, Transpose, SplitV, Concat, Slice, Reshape, Pad, Tile, Pack, Gather, ...
 *   other kernels         everything else (listed by name in the per-kernel table)
 *   host embedding work   EmbeddingCollection lookup / lookupIds / accumulateGradients / applyAccumulated (timed in JS)
 *   JS/engine overhead    step time minus kernel time minus host embedding work: tfjs engine and tape,
 *                         tensor creation and data copies into the backend, model code
 * Kernel times: every kernel registered for the backend is wrapped (for the measured steps only) so that each call
 * is timed and counted; a kernel that runs another one through the engine is charged only its self time. Kernels,
 * host embedding work and the whole step are timed in the same steps, so JS/engine overhead is what the step took
 * outside both. Custom ops (tf.customGrad) run their inner kernels through the engine: those count as kernels, and
 * the number of custom-op calls is read from one tf.profile'd step. A kernel that calls another backend function
 * directly (the wasm kernel fixes do) counts once.
 *
 *   npx ts-node --transpile-only benchmarks/step-breakdown.ts [--models deepfm,dcnv2,sasrec,hstu] [--lens 50]
 *     [--steps 8] [--warmup 3] [--clock cpu|wall] [--out benchmarks/results/step-breakdown.json] [--top 25]
 *     [--simd-matmul on|grad|ta|off] [--simd-adam on|off]
 * --clock cpu (default) times kernels, host work and steps with process CPU time (getrusage, ~1 us per read), which
 * a loaded machine distorts less than wall time (a kernel descheduled for 50 ms counts 50 ms of wall time).
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { setMatMulSimd, setMatMulSimdForward, setMatMulSimdTransposeB } from '../src/basic/backend/simd/matmul-simd';
import { setAdamSimd } from '../src/basic/backend/optimizer-kernels';
import { arg } from './lib/args';
import { CATEGORIES, Category, categoryOf } from './lib/kernel-categories';
import { BENCH_MODELS, BenchModel, buildBench } from './vs-pytorch/ts-models';

interface KernelRow {
  kernel: string;
  category: Category;
  callsPerStep: number;
  msPerStep: number;
}

interface Breakdown {
  case: string;
  shapes: string;
  backend: string;
  provider: string;
  /** Clock of the category times: process CPU time ('cpu', steadier on a shared machine) or 'wall'. */
  clock: 'cpu' | 'wall';
  /** Median wall time of an unprofiled step. */
  stepMs: number;
  /** Median process CPU time of an unprofiled step. */
  stepCpuMs: number;
  /** Calls of registered backend kernels per step. */
  kernelCallsPerStep: number;
  /** Engine calls per step that are not registered kernels: custom ops (tf.customGrad) wrapping inner kernels (from one tf.profile'd step). */
  customOpCallsPerStep: number;
  kernelMsPerStep: number;
  hostEmbeddingMs: number;
  jsOverheadMs: number;
  categories: Array<{ category: string; ms: number; calls: number; share: number }>;
  kernels: KernelRow[];
  numTensorsGrowthPerStep: number;
  loadAverage: number[];
}

/** The clock every part of the breakdown is measured with: process CPU time (default) or wall time, in ms. */
let clock: () => number = cpuNow;
function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Cost of one clock read, charged to every timed kernel call and subtracted again (calibrated at start). */
let clockCost = 0;
function calibrateClock(): void {
  // in the clock's own units: on a loaded machine a wall-clock calibration would count time spent descheduled
  const reads = 20000;
  for (let i = 0; i < 2000; i++) clock();
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = clock();
    for (let i = 0; i < reads; i++) clock();
    samples.push((clock() - t0) / reads);
  }
  clockCost = median(samples);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Time the host embedding methods of one EmbeddingCollection instance (wrapped in place; returns a reader). */
function timeHostEmbeddings(embeddings: unknown): { take(): number } {
  let ms = 0;
  const target = embeddings as Record<string, unknown>;
  for (const name of ['lookup', 'lookupIds', 'accumulateGradients', 'applyAccumulated']) {
    const fn = target[name];
    if (typeof fn !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const t0 = clock();
      try {
        return (fn as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        ms += clock() - t0;
      }
    };
  }
  return {
    take() {
      const v = ms;
      ms = 0;
      return v;
    },
  };
}

/**
 * Wrap every kernel registered for `backend` so that each call is timed (self time: time minus that of kernels it
 * runs through the engine), counted and charged to its name. Returns the undo.
 */
function timeKernels(backend: string, byKernel: Map<string, { calls: number; ms: number }>): () => void {
  const originals = tf.getKernelsForBackend(backend);
  const open: number[] = [];
  for (const k of originals) {
    const run = k.kernelFunc;
    const kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
      open.push(0);
      const t0 = clock();
      try {
        return run(args);
      } finally {
        const dt = Math.max(0, clock() - t0 - clockCost);
        const inner = open.pop()!;
        if (open.length) open[open.length - 1] += dt;
        const e = byKernel.get(k.kernelName) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += dt - inner;
        byKernel.set(k.kernelName, e);
      }
    }) as tf.KernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({ ...k, kernelFunc });
  }
  return () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  };
}

/** Engine calls of one step that are not registered kernels (custom ops wrapping inner kernels), from tf.profile. */
async function customOpCalls(step: () => void, backend: string): Promise<number> {
  const info = await tf.profile(step);
  return info.kernels.filter((k) => tf.getKernel(k.name, backend) === undefined).length;
}

async function breakdown(name: BenchModel, len: number | null, o: { steps: number; warmup: number; backend: string; provider: string }): Promise<Breakdown> {
  const bench = buildBench(name, len ?? 50, 1);
  const host = timeHostEmbeddings(bench.embeddings);
  let i = 0;
  for (let w = 0; w < o.warmup; w++) bench.step(i++);
  const customOps = await customOpCalls(() => void bench.step(i++), o.backend);
  host.take();
  const tensors0 = tf.memory().numTensors;
  const byKernel = new Map<string, { calls: number; ms: number }>();
  const walls: number[] = [];
  const cpus: number[] = [];
  const hosts: number[] = [];
  const kernelTimes: number[] = [];
  const jsTimes: number[] = [];
  const undo = timeKernels(o.backend, byKernel);
  try {
    for (let s = 0; s < o.steps; s++) {
      const before = [...byKernel.values()].reduce((acc, v) => ({ calls: acc.calls + v.calls, ms: acc.ms + v.ms }), { calls: 0, ms: 0 });
      const t0 = performance.now();
      const c0 = cpuNow();
      bench.step(i++);
      cpus.push(cpuNow() - c0);
      walls.push(performance.now() - t0);
      const after = [...byKernel.values()].reduce((acc, v) => ({ calls: acc.calls + v.calls, ms: acc.ms + v.ms }), { calls: 0, ms: 0 });
      const hostMs = host.take();
      hosts.push(hostMs);
      kernelTimes.push(after.ms - before.ms);
      // the step's own clock covers two reads per kernel call that belong to this measurement, not to the engine
      const stepMs = (clock === cpuNow ? cpus[s] : walls[s]) - 2 * clockCost * (after.calls - before.calls);
      jsTimes.push(Math.max(0, stepMs - (after.ms - before.ms) - hostMs));
    }
  } finally {
    undo();
  }
  const growth = (tf.memory().numTensors - tensors0) / o.steps;
  let calls = 0;
  for (const v of byKernel.values()) calls += v.calls;
  bench.model.dispose();
  const S = o.steps;
  const hostMs = median(hosts);
  const js = median(jsTimes);
  const kernels: KernelRow[] = [...byKernel.entries()]
    .map(([kernel, v]) => ({ kernel, category: categoryOf(kernel), callsPerStep: v.calls / S, msPerStep: Number((v.ms / S).toFixed(3)) }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  const cats = CATEGORIES.filter((c) => c !== 'custom-op wrappers').map((c) => {
    const rows = kernels.filter((k) => k.category === c);
    const ms = rows.reduce((s, k) => s + k.msPerStep, 0);
    return { category: c, ms, calls: rows.reduce((s, k) => s + k.callsPerStep, 0) };
  });
  const all = [...cats, { category: 'host embedding work', ms: hostMs, calls: 0 }, { category: 'JS/engine overhead', ms: js, calls: 0 }];
  const total = all.reduce((s, c) => s + c.ms, 0);
  const r2 = (x: number) => Number(x.toFixed(2));
  return {
    case: len === null ? name : `${name}-L${len}`,
    shapes: bench.shapes,
    backend: o.backend,
    provider: o.provider,
    clock: clock === cpuNow ? 'cpu' : 'wall',
    stepMs: r2(median(walls)),
    stepCpuMs: r2(median(cpus)),
    kernelCallsPerStep: calls / S,
    customOpCallsPerStep: customOps,
    kernelMsPerStep: r2(median(kernelTimes)),
    hostEmbeddingMs: r2(hostMs),
    jsOverheadMs: r2(js),
    categories: all.map((c) => ({ category: c.category, ms: r2(c.ms), calls: c.calls, share: r2((100 * c.ms) / Math.max(total, 1e-9)) })),
    kernels,
    numTensorsGrowthPerStep: growth,
    loadAverage: os.loadavg().map(r2),
  };
}

function markdown(results: Breakdown[], top: number): string {
  const out: string[] = [];
  const heads = [...CATEGORIES.filter((c) => c !== 'custom-op wrappers'), 'host embedding work', 'JS/engine overhead'];
  out.push(`| case | backend | step ms (wall) | step ms (CPU) | kernel calls/step (+ custom ops) | ${heads.join(' | ')} |`);
  out.push(`|---|---|---|---|---|${heads.map(() => '---').join('|')}|`);
  for (const r of results) {
    const cell = (h: string) => {
      const c = r.categories.find((x) => x.category === h)!;
      return `${c.ms.toFixed(1)} (${c.share.toFixed(0)}%${c.calls ? `, ${c.calls}` : ''})`;
    };
    out.push(`| ${r.case} | ${r.backend} | ${r.stepMs.toFixed(1)} | ${r.stepCpuMs.toFixed(1)} | ${r.kernelCallsPerStep}${r.customOpCallsPerStep ? ` (+${r.customOpCallsPerStep})` : ''} | ${heads.map(cell).join(' | ')} |`);
  }
  out.push('', `Cells: ms per step measured with the ${results[0]?.clock === 'wall' ? 'wall' : 'process CPU-time'} clock (share of the step, kernel calls per step).`);
  for (const r of results) {
    out.push('', `### ${r.case} (${r.shapes}; ${r.backend})`, '', '| kernel | category | calls/step | ms/step |', '|---|---|---|---|');
    for (const k of r.kernels.slice(0, top)) out.push(`| ${k.kernel} | ${k.category} | ${k.callsPerStep} | ${k.msPerStep.toFixed(2)} |`);
    if (r.kernels.length > top) out.push(`| (${r.kernels.length - top} more kernels) | | | |`);
  }
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const names = arg('models', BENCH_MODELS.join(',')).split(',') as BenchModel[];
  for (const n of names) if (!BENCH_MODELS.includes(n)) throw new Error(`--models: unknown model '${n}' (expected ${BENCH_MODELS.join(', ')})`);
  const lens = arg('lens', '50').split(',').map(Number);
  const steps = Number(arg('steps', '8'));
  const warmup = Number(arg('warmup', '3'));
  const top = Number(arg('top', '25'));
  const out = path.resolve(arg('out', path.join(__dirname, 'results', 'step-breakdown.json')));
  const clockName = arg('clock', 'cpu');
  if (clockName !== 'cpu' && clockName !== 'wall') throw new Error(`--clock must be cpu or wall (got '${clockName}')`);
  clock = clockName === 'cpu' ? cpuNow : () => performance.now();
  calibrateClock();
  const info = await initBackend({ threads: 1, log: true });
  // --simd-matmul off: matMuls on wasm take the (transpose +) XNNPACK route instead of the SIMD kernels; grad: only
  // the gradient products (A^T B, A B^T) as SIMD, the forward ones (A B + bias, relu) on XNNPACK; ta: only A^T B
  const simdMatMul = arg('simd-matmul', 'on');
  if (!['on', 'grad', 'ta', 'off'].includes(simdMatMul)) throw new Error(`--simd-matmul must be on, grad, ta or off (got '${simdMatMul}')`);
  setMatMulSimd(simdMatMul !== 'off');
  setMatMulSimdTransposeB(simdMatMul === 'on' || simdMatMul === 'grad');
  setMatMulSimdForward(simdMatMul === 'on');
  // --simd-adam off: the wasm Adam kernel runs its JavaScript loop instead of simd/adam.wat
  setAdamSimd(arg('simd-adam', 'on') !== 'off');
  console.error(`clock: ${clockName}, ${(clockCost * 1000).toFixed(2)} us per read (subtracted per timed kernel call)`);
  const results: Breakdown[] = [];
  for (const n of names) {
    for (const len of n === 'sasrec' || n === 'hstu' ? lens : [null]) {
      const seqSteps = len !== null && len >= 200 ? Math.max(2, Math.ceil(steps / 3)) : steps;
      const r = await breakdown(n, len, { steps: seqSteps, warmup: len !== null && len >= 200 ? Math.min(warmup, 2) : warmup, backend: info.name, provider: info.provider });
      results.push(r);
      console.error(
        `${r.case}: ${r.stepMs.toFixed(1)} ms/step (CPU ${r.stepCpuMs.toFixed(1)}), ${r.kernelCallsPerStep} kernel calls (+${r.customOpCallsPerStep} custom ops), kernels ${r.kernelMsPerStep.toFixed(1)} ms, host embeddings ${r.hostEmbeddingMs.toFixed(1)} ms, JS ${r.jsOverheadMs.toFixed(1)} ms` +
          (r.numTensorsGrowthPerStep ? ` (numTensors grew ${r.numTensorsGrowthPerStep} per step)` : ''),
      );
    }
  }
  const md = markdown(results, top);
  console.log(md);
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, backend: info, results }, null, 2) + '\n');
  await fs.writeFile(out.replace(/\.json$/, '') + '.md', md);
  console.error(`wrote ${path.relative(process.cwd(), out)} and the .md beside it`);
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
