/**
 * The lean wasm engine (issue #12) on and off in one process: DeepFM and DCNv2 training steps at the shapes of
 * benchmarks/vs-pytorch (7 fields with MovieLens-1M cardinalities, dim 16, MLP [256, 128] with batch norm, batch
 * 1024; DCNv2: 3 full-rank cross layers, parallel). Blocks of steps alternate A B B A between the two settings
 * (`setLeanEngine`), so machine load hits both alike; reports kernel calls per step (tf.profile) and the median
 * ms per step of each setting with its interquartile range.
 *
 *   npx ts-node --transpile-only benchmarks/lean-wasm.ts [--models deepfm,dcnv2] [--rounds 6] [--block 8]
 */
import * as tf from '@tensorflow/tfjs-core';
import { arg } from './lib/args';

async function main(): Promise<void> {
  const { initBackend, shutdownBackend, DeepFM, DCNv2, SparseFeature, Rng, setLeanEngine } = await import('../src');
  await initBackend({ threads: 1, log: false });
  const batchSize = 1024;
  const rounds = Number(arg('rounds', '6'));
  const block = Number(arg('block', '8'));
  const vocabSizes = [6041, 3953, 3, 8, 22, 679, 19];
  const rows = batchSize * 16;
  const rng = new Rng(1);
  const data: Record<string, Int32Array | Float32Array> = {};
  const features = vocabSizes.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
  features.forEach((f) => {
    data[f.name] = Int32Array.from({ length: rows }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
  });
  data.label = Float32Array.from({ length: rows }, () => (rng.next() < 0.3 ? 1 : 0));
  const mlp = { dims: [256, 128], batchNorm: true };
  const build = (name: string) =>
    name === 'deepfm'
      ? new DeepFM({ sparseFeatures: features, mlp, seed: 1 })
      : new DCNv2({ sparseFeatures: features, mlp, cross: { numLayers: 3 }, structure: 'parallel', seed: 1 });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const quartiles = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return [s[Math.floor(s.length / 4)], s[Math.floor((3 * s.length) / 4)]];
  };
  for (const name of arg('models', 'deepfm,dcnv2').split(',')) {
    const model = build(name);
    model.compile({ optimizer: 'adam', lr: 1e-3 });
    await model.fit(data, { epochs: 1, batchSize, verbose: 0 }); // rows initialised, memory paged in
    const kernels: Record<string, number> = {};
    for (const lean of [false, true]) {
      setLeanEngine(lean);
      const count = async (steps: number) => (await tf.profile(() => model.fit(data, { epochs: 1, batchSize, verbose: 0, maxSteps: steps }) as never)).kernels.length;
      kernels[lean ? 'on' : 'off'] = ((await count(3)) - (await count(1))) / 2;
    }
    const ms: Record<string, number[]> = { on: [], off: [] };
    const cpu: Record<string, number[]> = { on: [], off: [] };
    for (let r = 0; r < rounds; r++) {
      for (const lean of r % 2 === 0 ? [true, false, false, true] : [false, true, true, false]) {
        setLeanEngine(lean);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await model.fit(data, { epochs: 1, batchSize, verbose: 0, maxSteps: block });
        const c1 = process.cpuUsage(c0);
        ms[lean ? 'on' : 'off'].push((performance.now() - t0) / block);
        // CPU time of this (single-threaded) process: less sensitive to other jobs on a shared machine than wall time
        cpu[lean ? 'on' : 'off'].push((c1.user + c1.system) / 1000 / block);
      }
    }
    setLeanEngine(true);
    for (const k of ['off', 'on']) {
      const [q1, q3] = quartiles(ms[k]);
      const [c1, c3] = quartiles(cpu[k]);
      console.log(
        `${name} | lean ${k} | ${kernels[k]} kernel calls/step | wall ${median(ms[k]).toFixed(1)} ms/step (IQR ${q1.toFixed(1)}-${q3.toFixed(1)}) | ` +
          `CPU ${median(cpu[k]).toFixed(1)} ms/step (IQR ${c1.toFixed(1)}-${c3.toFixed(1)}) | ${ms[k].length} blocks of ${block}`,
      );
    }
    console.log(`${name} | speedup wall ${(median(ms.off) / median(ms.on)).toFixed(2)}x, CPU ${(median(cpu.off) / median(cpu.on)).toFixed(2)}x | live tensors ${tf.memory().numTensors}`);
  }
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
