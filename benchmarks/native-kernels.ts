/**
 * The optional native matMul kernels against the wasm kernels (issue #12), in one process: the engines take turns
 * one training step at a time (native, wasm, wasm, native, ...) on the same model and batches, so both see the
 * same machine load. Reports per model the median process-CPU ms per step of each engine (steadier than wall time on
 * a shared machine; both engines run on the main thread only), the median of per-pair ratios, the median wall ms,
 * and the matMul kernels' own CPU time and GFLOP/s inside the steps.
 *   DeepFM / DCNv2: 7 fields with ML-1M cardinalities x dim 16, MLP [256,128]+BN, batch 1024, Adam;
 *   SASRec / HSTU: dim 50, 2 blocks, 1 head, length 50, batch 128, 128 shared sampled negatives, Adam.
 *
 *   npx ts-node --transpile-only benchmarks/native-kernels.ts [--steps 20] [--only deepfm,dcnv2,sasrec,hstu]
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { profileMatMulKernels, setNativeKernelsEnabled, KernelTally } from '../src/basic/backend/native';
import { BaseModel } from '../src/basic/model/base-model';
import { Dataset } from '../src/basic/dataset/dataset';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DCNv2 } from '../src/models/ranking/dcnv2';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { arg } from './lib/args';

const ML1M_VOCABS = [6041, 3953, 3, 8, 22, 679, 19];
const ITEMS = 3706;
const POOL = 4;

type TrainStep = (data: Dataset, indices: Int32Array, compiled: unknown) => number;

/** A compiled model and a function running exactly one training step (what fit runs per batch) on batch i % POOL. */
function build(name: string, seed = 1): { step: (i: number) => void; dispose: () => void } {
  const rng = new Rng(seed);
  let model: BaseModel;
  let data: Record<string, unknown>;
  let batch: number;
  if (name === 'deepfm' || name === 'dcnv2') {
    batch = 1024;
    const features = ML1M_VOCABS.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
    const cols: Record<string, Int32Array | Float32Array> = {};
    for (const f of features) cols[f.name] = Int32Array.from({ length: batch * POOL }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
    cols.label = Float32Array.from({ length: batch * POOL }, () => (rng.next() < 0.3 ? 1 : 0));
    data = cols;
    const mlp = { dims: [256, 128], batchNorm: true };
    model = name === 'deepfm' ? new DeepFM({ sparseFeatures: features, mlp, seed }) : new DCNv2({ sparseFeatures: features, structure: 'parallel', cross: { numLayers: 3 }, mlp, seed });
  } else {
    batch = 128;
    const hist = new SequenceFeature({ name: 'hist', vocabSize: ITEMS + 1, embeddingDim: 50, maxLen: 50 });
    data = { hist: Array.from({ length: batch * POOL }, () => Int32Array.from({ length: 50 }, () => 1 + rng.int(ITEMS))) };
    const Model = name === 'sasrec' ? SASRec : HSTU;
    model = new Model({ sequenceFeatures: [hist], blocks: 2, heads: 1, dropout: 0.2, numNegatives: 128, seed });
  }
  model.compile({ optimizer: 'adam', lr: 1e-3 });
  const ds = model.bindData(data as never, true);
  const compiled = model.internals().compiled;
  const trainStep = (model as unknown as { trainStep?: TrainStep }).trainStep;
  if (typeof trainStep !== 'function') throw new Error('BaseModel has no trainStep(data, indices, compiled) any more: update build() in benchmarks/native-kernels.ts');
  const batches = Array.from({ length: POOL }, (_, k) => Int32Array.from({ length: batch }, (_, r) => k * batch + r));
  return { step: (i) => void trainStep.call(model, ds, batches[i % POOL], compiled), dispose: () => model.dispose() };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const steps = Number(arg('steps', '20'));
  const only = arg('only', 'deepfm,dcnv2,sasrec,hstu').split(',');
  const info = await initBackend({ backend: 'native', log: false });
  console.log(`engine: wasm (${info.threads} thread) vs wasm + native sgemm (${info.native}); ${steps} pairs per model, A B B A order`);
  console.log('| model | wasm CPU ms/step | native CPU ms/step | ratio native/wasm (median of pairs) | wall ms/step wasm -> native | matMul CPU ms/step wasm -> native | matMul GFLOP/s wasm -> native |');
  console.log('|---|---|---|---|---|---|---|');
  for (const name of only) {
    const bench = build(name);
    for (const on of [true, false, true, false]) {
      setNativeKernelsEnabled(on);
      bench.step(0); // warm-up: embedding rows, XNNPACK operators, tfjs kernels
    }
    const ms: Record<'native' | 'wasm', number[]> = { native: [], wasm: [] };
    const cpuMs: Record<'native' | 'wasm', number[]> = { native: [], wasm: [] };
    const zero = (): KernelTally => ({ calls: 0, flops: 0, ms: 0, cpuMs: 0 });
    const mm: Record<'native' | 'wasm', KernelTally> = { native: zero(), wasm: zero() };
    const ratios: number[] = [];
    for (let p = 0; p < steps; p++) {
      const order: Array<'native' | 'wasm'> = p % 2 === 0 ? ['native', 'wasm'] : ['wasm', 'native'];
      const pair: Record<string, number> = {};
      for (const engine of order) {
        setNativeKernelsEnabled(engine === 'native');
        profileMatMulKernels(true);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        bench.step(p);
        const dt = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const cpu = (c.user + c.system) / 1000;
        const prof = profileMatMulKernels(false)!;
        const slot = engine === 'native' ? prof.native : prof.fallback;
        mm[engine].calls += slot.calls;
        mm[engine].flops += slot.flops;
        mm[engine].ms += slot.ms;
        mm[engine].cpuMs += slot.cpuMs;
        ms[engine].push(dt);
        cpuMs[engine].push(cpu);
        pair[engine] = cpu;
      }
      ratios.push(pair.native / pair.wasm);
    }
    bench.dispose();
    const gf = (s: KernelTally) => (s.flops / s.cpuMs / 1e6).toFixed(0);
    console.log(
      `| ${name} | ${median(cpuMs.wasm).toFixed(1)} | ${median(cpuMs.native).toFixed(1)} | ${median(ratios).toFixed(2)} | ` +
        `${median(ms.wasm).toFixed(1)} -> ${median(ms.native).toFixed(1)} | ` +
        `${(mm.wasm.cpuMs / steps).toFixed(1)} -> ${(mm.native.cpuMs / steps).toFixed(1)} | ${gf(mm.wasm)} -> ${gf(mm.native)} |`,
    );
  }
  setNativeKernelsEnabled(true);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
