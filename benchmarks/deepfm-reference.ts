/**
 * DeepFM with the PyTorch reference settings (issue 13): 7 sparse fields x dim 16, MLP [256, 128] with batch norm,
 * no dropout, Adam lr 1e-3, batch 1024, 3 epochs, 3 seeds; test AUC and logloss of DeepFM, its deep-only ablation
 * and DCNv2 side by side, plus DeepFM under lazy embedding Adam (rows move only when present) for the diagnosis.
 *
 *   npx ts-node --transpile-only benchmarks/deepfm-reference.ts --data path/to/ml-1m            # MovieLens-1M CTR view
 *   npx ts-node --transpile-only benchmarks/deepfm-reference.ts --synthetic 150000             # ML-1M-shaped synthetic task
 * Options: --seeds 3  --epochs 3  --variants deepfm,deep-only,dcnv2,deepfm-lazy-1x,deepfm-lazy-5x
 *          --limit N (read N ratings)  --csv DIR (write the encoded splits for benchmarks/vs-pytorch/deepfm_torch.py)
 *          --out FILE (JSON of every run)  --epsilon E (Adam epsilon of every variant, e.g. 1e-7 for tfjs' old default)
 *
 * MovieLens-1M CTR view: label = rating >= 4; fields user_id, item_id, gender, age, occupation, zip and the first
 * listed genre; seeded 80/10/10 random split (seed 2024); vocabularies from the training part only.
 */
import { writeFileSync, mkdirSync } from 'fs';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import type { ColumnarInput } from '../src/basic/dataset/dataset';
import type { BaseModel } from '../src/basic/model/base-model';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DCNv2 } from '../src/models/ranking/dcnv2';
import { DataProcessor } from '../src/data/processor';
import { loadMovieLens1M, randomSplit } from '../src/data/loaders';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { SparseFeature } from '../src/basic/features';
import { arg } from './lib/args';

/** Vocabulary sizes (with padding) of the ML-1M CTR fields: users, movies, gender, age, occupation, zip, genre. */
const ML1M_VOCABS = [6041, 3707, 3, 8, 22, 3440, 19];
const FIELDS = ['user_id', 'item_id', 'gender', 'age', 'occupation', 'zip', 'genre'];

interface Splits {
  train: ColumnarInput;
  valid: ColumnarInput;
  test: ColumnarInput;
  sparseFeatures: SparseFeature[];
  description: string;
}

async function movieLens(dir: string, limit?: number): Promise<Splits> {
  const ds = await loadMovieLens1M(dir, { limit });
  const table = ds.ctr({ threshold: 4 });
  table.columns.genre = table.columns.genres.map((g) => String(g ?? '').split('|')[0]);
  const split = randomSplit(table, { seed: 2024, fractions: [0.8, 0.1, 0.1] });
  const processor = new DataProcessor({ sparse: FIELDS, labels: ['label'], embeddingDim: 16 });
  await processor.fit(split.train);
  const [train, valid, test] = [split.train, split.valid, split.test].map((t) => processor.transform(t));
  return { train, valid, test, sparseFeatures: processor.modelConfig().sparseFeatures, description: `MovieLens-1M CTR (rating >= 4) from ${dir}` };
}

function synthetic(rows: number): Splits {
  const d = syntheticCtr({ rows, seed: 7, vocabSizes: ML1M_VOCABS, denseCount: 0, embeddingDim: 16 });
  return { ...d, description: `synthetic CTR, ${rows} rows, ML-1M field sizes, oracle test AUC ${d.oracle.test.oracleAuc.toFixed(4)}` };
}

/** A model variant: how to build and compile it. */
interface Variant {
  build(s: Splits, seed: number): BaseModel;
  compile: Parameters<BaseModel['compile']>[0];
}

const MLP = { dims: [256, 128], batchNorm: true, dropout: 0 };
const BASE_COMPILE = { optimizer: 'adam', lr: 1e-3, metrics: ['auc', 'logloss'] };
const VARIANTS: Record<string, Variant> = {
  deepfm: { build: (s, seed) => new DeepFM({ sparseFeatures: s.sparseFeatures, mlp: MLP, seed }), compile: BASE_COMPILE },
  'deep-only': { build: (s, seed) => new DeepFM({ sparseFeatures: s.sparseFeatures, mlp: MLP, seed, fm: false, firstOrder: false }), compile: BASE_COMPILE },
  dcnv2: { build: (s, seed) => new DCNv2({ sparseFeatures: s.sparseFeatures, mlp: MLP, cross: { numLayers: 3 }, seed }), compile: BASE_COMPILE },
  'deepfm-lazy-1x': { build: (s, seed) => new DeepFM({ sparseFeatures: s.sparseFeatures, mlp: MLP, seed }), compile: { ...BASE_COMPILE, embeddingLr: 1e-3, optimizerParams: { lazy: 1 } } },
  'deepfm-lazy-5x': { build: (s, seed) => new DeepFM({ sparseFeatures: s.sparseFeatures, mlp: MLP, seed }), compile: { ...BASE_COMPILE, embeddingLr: 5e-3, optimizerParams: { lazy: 1 } } },
  'deep-only-lazy-5x': {
    build: (s, seed) => new DeepFM({ sparseFeatures: s.sparseFeatures, mlp: MLP, seed, fm: false, firstOrder: false }),
    compile: { ...BASE_COMPILE, embeddingLr: 5e-3, optimizerParams: { lazy: 1 } },
  },
};

function writeCsv(dir: string, s: Splits): void {
  mkdirSync(dir, { recursive: true });
  const names = s.sparseFeatures.map((f) => f.name);
  for (const [part, data] of [['train', s.train], ['valid', s.valid], ['test', s.test]] as const) {
    const cols = [...names.map((n) => data[n] as ArrayLike<number>), data.label as ArrayLike<number>];
    const lines = [[...names, 'label'].join(',')];
    for (let i = 0; i < cols[0].length; i++) lines.push(cols.map((c) => c[i]).join(','));
    writeFileSync(path.join(dir, `${part}.csv`), lines.join('\n') + '\n');
  }
  writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(s.sparseFeatures.map((f) => [f.name, f.vocabSize]))));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

async function main(): Promise<void> {
  const dataDir = arg('data', '');
  const seeds = Number(arg('seeds', '3'));
  const epochs = Number(arg('epochs', '3'));
  const limit = arg('limit', '') ? Number(arg('limit', '')) : undefined;
  const names = arg('variants', 'deepfm,deep-only,dcnv2').split(',');
  for (const n of names) if (!VARIANTS[n]) throw new Error(`--variants: unknown '${n}' (known: ${Object.keys(VARIANTS).join(', ')})`);
  const s = dataDir ? await movieLens(dataDir, limit) : synthetic(Number(arg('synthetic', '150000')));
  const epsilon = arg('epsilon', '');
  const csv = arg('csv', '');
  if (csv) writeCsv(csv, s);
  await initBackend({ log: false });
  console.log(`${s.description}; train ${(s.train.label as ArrayLike<number>).length} rows; ${epochs} epochs, batch 1024, seeds 1..${seeds}`);
  const runs: Array<{ variant: string; seed: number; auc: number; logloss: number; seconds: number }> = [];
  for (const name of names) {
    for (let seed = 1; seed <= seeds; seed++) {
      const v = VARIANTS[name];
      const m = v.build(s, seed);
      const compile = { ...v.compile };
      if (epsilon) compile.optimizerParams = { ...(compile.optimizerParams ?? {}), epsilon: Number(epsilon) };
      m.compile(compile);
      const t0 = Date.now();
      await m.fit(s.train, { epochs, batchSize: 1024, verbose: 0 });
      const r = await m.evaluate(s.test);
      const seconds = (Date.now() - t0) / 1000;
      runs.push({ variant: name, seed, auc: r.auc, logloss: r.logloss, seconds });
      console.log(`${name} seed ${seed}: test AUC ${r.auc.toFixed(4)} logloss ${r.logloss.toFixed(4)} (${seconds.toFixed(0)} s)`);
      m.dispose();
    }
  }
  console.log('\n| variant | test AUC (mean ± sd) | test logloss |\n|---|---|---|');
  for (const name of names) {
    const rs = runs.filter((r) => r.variant === name);
    const a = rs.map((r) => r.auc);
    const l = rs.map((r) => r.logloss);
    console.log(`| ${name} | ${mean(a).toFixed(4)} ± ${std(a).toFixed(4)} | ${mean(l).toFixed(4)} ± ${std(l).toFixed(4)} |`);
  }
  const out = arg('out', '');
  if (out) writeFileSync(out, JSON.stringify({ data: s.description, epochs, runs }, null, 1));
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
