/**
 * Regenerate the leaderboard: train and evaluate every config in benchmarks/configs on its built-in synthetic
 * task (each in a fresh child process), then write LEADERBOARD.md, leaderboard.json and leaderboard.svg.
 *
 *   npm run bench                     full run (committed results)
 *   npm run bench -- --quick          smoke run (small data, 1 epoch) -> benchmarks/results/quick-leaderboard.*
 *   npm run bench -- --only NAME      one row (prints it; does not rewrite the committed leaderboard)
 *   npm run bench -- --family ranking --threads 2
 *   npm run bench -- --family ranking --data movielens-1m:/data/ml-1m   ranking configs on a local copy of a real dataset
 *   npm run bench -- --family multitask --update   re-run some rows and merge them into the committed leaderboard
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { readConfigs, readConfig } from './lib/config';
import type { BenchResult } from './lib/run-one';
import { provenance, writeOutputs } from './lib/report';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function child(): Promise<void> {
  const { runOne } = await import('./lib/run-one');
  const config = await readConfig(process.env.BENCH_CONFIG!);
  const result = await runOne(config, process.env.BENCH_QUICK === '1', Number(process.env.BENCH_THREADS ?? 1));
  console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = arg('only');
  const family = arg('family');
  const threads = arg('threads') ?? '1';
  const data = arg('data');
  const dir = path.join(__dirname, 'configs');
  const configs = (await readConfigs(dir)).filter(({ config }) => (!only || config.name === only) && (!family || config.family === family));
  if (configs.length === 0) throw new Error(`no config matches${only ? ` --only ${only}` : ''}${family ? ` --family ${family}` : ''}`);
  const results: BenchResult[] = [];
  const started = Date.now();
  for (const [i, { file, config }] of configs.entries()) {
    process.stdout.write(`[${i + 1}/${configs.length}] ${config.name} (${config.model} on ${config.data.synthetic}) ... `);
    const t0 = Date.now();
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child'], {
      env: { ...process.env, BENCH_CONFIG: file, BENCH_QUICK: quick ? '1' : '0', BENCH_THREADS: threads, ...(data ? { BENCH_DATA: data } : {}) },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`${config.name}: the run printed no result`);
    const r = JSON.parse(line.slice(7)) as BenchResult;
    results.push(r);
    console.log(`${r.primaryMetric} ${r.metrics[r.primaryMetric]?.toFixed(4)} | ${r.trainSamplesPerSec.toLocaleString('en-US')} train samples/s | ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const prov = provenance(quick);
  if (process.argv.includes('--update') && !quick) {
    // merge: rows measured now replace rows of the same name in the committed leaderboard
    const committed = JSON.parse(await fs.readFile(path.join(__dirname, 'LEADERBOARD.json'), 'utf8')) as { results: BenchResult[] };
    const fresh = new Set(results.map((r) => r.name));
    results.unshift(...committed.results.filter((r) => !fresh.has(r.name)));
  }
  const partial = Boolean(only || family || data) && !process.argv.includes('--update');
  const outDir = quick || partial ? path.join(__dirname, 'results') : __dirname;
  await fs.mkdir(outDir, { recursive: true });
  const stem = quick ? 'quick-leaderboard' : partial ? 'partial-leaderboard' : 'LEADERBOARD';
  const files = await writeOutputs(results, prov, outDir, stem);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}

if (process.argv.includes('--child')) child().catch((e) => { console.error(e); process.exit(1); });
else main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
