/**
 * Peak resident memory while loading a saved model with one large embedding table, against the model's size on
 * disk. Saves once (`--dir`, reused when it already holds a model of the same size), then loads in a fresh
 * process so that the save's own memory does not count.
 *
 *   npx ts-node --transpile-only benchmarks/load-rss.ts [--rows 3000000] [--dim 16] [--dir /tmp/nextrec-load-rss]
 *
 * `--rows 12000000 --dim 16` is the issue-18 case: a 2.3 GB table file with Adam state (over Node's 2 GiB
 * single-read limit).
 */
import 'reflect-metadata';
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { SparseFeature } from '../src/basic/features';
import { arg } from './lib/args';

const MB = 1024 * 1024;

function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).size;
  }
  return total;
}

async function save(dir: string, rows: number, dim: number): Promise<void> {
  await initBackend({ log: false });
  const m = new DeepFM({ sparseFeatures: [new SparseFeature({ name: 'item', vocabSize: rows, embeddingDim: dim })], mlp: { dims: [8] }, seed: 1 });
  m.compile({ optimizer: 'adam' });
  const t = [...m.embeddings.tables.values()][0];
  for (let i = 0; i < t.data.length; i += 1024) t.data[i] = i % 7;
  t.initialized.fill(1);
  const started = Date.now();
  await m.save(dir);
  console.log(`saved ${rows.toLocaleString('en-US')} x ${dim} (Adam) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  m.dispose();
  await shutdownBackend();
}

async function load(dir: string): Promise<void> {
  await initBackend({ log: false });
  const before = process.memoryUsage().rss;
  const started = Date.now();
  const m = await DeepFM.load(dir);
  const seconds = (Date.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const disk = diskBytes(dir);
  console.log(
    `model on disk ${(disk / MB).toFixed(0)} MiB; RSS before load ${(before / MB).toFixed(0)} MiB, peak ${(peak / MB).toFixed(0)} MiB ` +
      `(${(peak / disk).toFixed(2)}x disk; load added ${((peak - before) / disk).toFixed(2)}x disk); loaded in ${seconds.toFixed(1)} s`,
  );
  m.dispose();
  await shutdownBackend();
}

async function main(): Promise<void> {
  if (process.argv.includes('--load-only')) return load(arg('dir', ''));
  const rows = Number(arg('rows', '3000000'));
  const dim = Number(arg('dim', '16'));
  const dir = arg('dir', '/tmp/nextrec-load-rss');
  const manifest = path.join(dir, 'manifest.json');
  const reuse = existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).tables?.[0]?.rows === rows;
  if (!reuse) await save(dir, rows, dim);
  execFileSync('npx', ['ts-node', '--transpile-only', __filename, '--load-only', '--dir', dir], { stdio: 'inherit' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
