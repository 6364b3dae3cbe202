/**
 * Issue #17 report: do the training controls pay off on the synthetic CTR task (200k rows, the leaderboard's
 * deepfm-ctr data)?
 *   A. DeepFM (MLP [256, 128]) with a constant rate vs linear warmup + cosine decay, same base rate (1e-3),
 *      same epochs (3), batch 1024, one run per seed; test AUC.
 *   B. Logistic regression (the registry's 'LR' model) trained with FTRL-Proximal vs Adam. Each optimizer's rate
 *      is picked on the validation split from a small grid; test AUC of the picked rate is reported.
 *
 *   npx ts-node --transpile-only benchmarks/training-controls.ts [--part A|B|AB] [--seeds 7,8,9] [--rows 200000] [--epochs 3]
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { BaseModel } from '../src/basic/model/base-model';
import { CompileOptions } from '../src/basic/model/types';
import { models } from '../src/basic/model/model-registry';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { DeepFM } from '../src/models/ranking/deepfm';
import '../src/models/ranking';
import { arg } from './lib/args';

const rows = Number(arg('rows', '200000'));
const epochs = Number(arg('epochs', '3'));
const seeds = arg('seeds', '7').split(',').map(Number);
const part = arg('part', 'AB');

async function trainOnce(make: () => BaseModel, compile: CompileOptions, d: ReturnType<typeof syntheticCtr>): Promise<{ valid: number; test: number; seconds: number }> {
  const m = make();
  m.compile({ metrics: ['auc'], ...compile });
  const t0 = Date.now();
  await m.fit(d.train, { epochs, batchSize: 1024, verbose: 0 });
  const seconds = (Date.now() - t0) / 1000;
  const valid = (await m.evaluate(d.valid)).auc;
  const test = (await m.evaluate(d.test)).auc;
  m.dispose();
  return { valid, test, seconds };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)} (n=${xs.length}: ${xs.map((x) => x.toFixed(4)).join(', ')})`;

async function main(): Promise<void> {
  await initBackend({ log: false });
  const out: Record<string, unknown> = { rows, epochs, seeds, batchSize: 1024, date: new Date().toISOString() };
  if (part.includes('A')) {
    // variants "constant:LR" or "cosine:PEAK" (5% linear warmup, cosine to 0 over the rest)
    const variants = arg('variants', 'constant:0.001,cosine:0.001,constant:0.003,cosine:0.003').split(',');
    const results: Record<string, number[]> = {};
    for (const seed of seeds) {
      const d = syntheticCtr({ rows, seed });
      const make = () => new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [256, 128], dropout: 0 }, seed });
      const steps = epochs * Math.ceil((d.train.label as ArrayLike<number>).length / 1024);
      for (const v of variants) {
        const [kind, rate] = v.split(':');
        const lr = Number(rate);
        const compile: CompileOptions = kind === 'cosine' ? { optimizer: 'adam', lr, schedule: { type: 'cosine', warmupSteps: Math.round(0.05 * steps) } } : { optimizer: 'adam', lr };
        const r = await trainOnce(make, compile, d);
        (results[v] ??= []).push(r.test);
        console.log(`A seed ${seed} (oracle ${d.oracle.test.oracleAuc.toFixed(4)}): ${v} test AUC ${r.test.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
      }
    }
    out.deepfm = results;
    for (const [v, xs] of Object.entries(results)) console.log(`A. DeepFM test AUC, ${v}: ${fmt(xs)}`);
  }
  if (part.includes('B')) {
    const lrModel = models.resolve('LR');
    const grids: Record<string, CompileOptions[]> = {
      adam: [1e-3, 3e-3, 1e-2].map((lr) => ({ optimizer: 'adam', lr })),
      ftrl: [0.5, 1, 2, 4, 8, 16].map((lr) => ({ optimizer: 'ftrl', lr, embeddingLr: lr })),
    };
    const picked: Record<string, number[]> = { adam: [], ftrl: [] };
    for (const seed of seeds) {
      const d = syntheticCtr({ rows, seed });
      const make = () => new lrModel({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, seed });
      for (const [name, grid] of Object.entries(grids)) {
        let best: { valid: number; test: number; lr: number } | null = null;
        for (const c of grid) {
          const r = await trainOnce(make, c, d);
          console.log(`B seed ${seed} ${lrModel.modelName} ${name} lr ${c.lr}: valid ${r.valid.toFixed(4)} test ${r.test.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
          if (!best || r.valid > best.valid) best = { ...r, lr: c.lr! };
        }
        picked[name].push(best!.test);
        console.log(`B seed ${seed} ${name}: picked lr ${best!.lr}, test AUC ${best!.test.toFixed(4)}`);
      }
    }
    out.lr = { model: lrModel.modelName, adam: picked.adam, ftrl: picked.ftrl, grids };
    console.log(`B. ${lrModel.modelName} test AUC, adam: ${fmt(picked.adam)}`);
    console.log(`B. ${lrModel.modelName} test AUC, ftrl: ${fmt(picked.ftrl)}`);
  }
  const file = path.join(__dirname, 'results', `training-controls-${part}-seeds-${seeds.join("_")}.json`);
  await fs.writeFile(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`written ${file}`);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
