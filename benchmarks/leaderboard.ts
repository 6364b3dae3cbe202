/**
 * Regenerate the leaderboard: train and evaluate every config in benchmarks/configs on its built-in synthetic
 * task (each in a fresh child process), then write LEADERBOARD.md, leaderboard.json and leaderboard.svg.
 *
 *   npm run bench                     full run (committed results)
 *   npm run bench -- --quick          smoke run (small data, 1 epoch) -> benchmarks/results/quick-leaderboard.*
 *   npm run bench -- --only NAME      one row (prints it; does not rewrite the committed leaderboard)
 *   npm run bench -- --family ranking --threads 2
 *   npm run bench -- --data criteo:/data/criteo [--limit N]   the configs of benchmarks/configs/datasets that list
 *       the dataset, on a local copy of it, each through the dataset's task for its family
 *       -> benchmarks/results/leaderboard-criteo.* (never the committed files)
 *   npm run bench -- --family multitask --update   re-run some rows and merge them into the committed leaderboard
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { readConfigs, readConfig, selectConfigs } from './lib/config';
import { fileTask, parseDataArg } from './lib/file-tasks';
import type { BenchResult } from './lib/run-one';
import { provenance, writeOutputs } from './lib/report';

/** Rows read per file of a real dataset in --quick runs (unless --limit says otherwise). */
const QUICK_ROW_LIMIT = 20000;

/** The value after `--name`; an error when the flag is last or followed by another flag (a forgotten value). */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer (got '${text}')`);
  return n;
}

async function child(): Promise<void> {
  const { runOne } = await import('./lib/run-one');
  const config = await readConfig(process.env.BENCH_CONFIG!);
  const { BENCH_DATA, BENCH_LIMIT } = process.env;
  const data = BENCH_DATA ? { ...parseDataArg(BENCH_DATA), limit: BENCH_LIMIT ? Number(BENCH_LIMIT) : undefined } : undefined;
  const result = await runOne(config, process.env.BENCH_QUICK === '1', Number(process.env.BENCH_THREADS ?? 1), data);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = arg('only');
  const family = arg('family');
  const threads = arg('threads') ?? '1';
  const update = process.argv.includes('--update');
  const dataArg = arg('data');
  // checked here, before any child starts, so that a wrong name or path fails at once
  const data = dataArg ? parseDataArg(dataArg) : undefined;
  const limitArg = arg('limit');
  if (limitArg !== undefined && !data) throw new Error('--limit applies to --data runs only (synthetic sizes are in the configs)');
  if (data && update) throw new Error('--update merges rows into the committed synthetic leaderboard; --data runs write benchmarks/results/leaderboard-<dataset>.* instead (drop --update)');
  const limit = limitArg !== undefined ? positiveInt(limitArg, '--limit') : data && quick ? QUICK_ROW_LIMIT : undefined;
  const dir = data ? path.join(__dirname, 'configs', 'datasets') : path.join(__dirname, 'configs');
  const configs = selectConfigs(await readConfigs(dir), { only, family, dataset: data?.dataset });
  // a dataset feeds each family through its own task (e.g. MovieLens-1M: CTR for ranking, next-item for generative)
  if (data) {
    for (const { file, config } of configs) {
      try {
        fileTask(data.dataset, config.family);
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
      }
    }
  }
  const results: BenchResult[] = [];
  const started = Date.now();
  for (const [i, { file, config }] of configs.entries()) {
    process.stdout.write(`[${i + 1}/${configs.length}] ${config.name} (${config.model} on ${data ? `${data.dataset}, ${config.family} task` : config.data.synthetic}) ... `);
    const t0 = Date.now();
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child'], {
      env: {
        ...process.env,
        BENCH_CONFIG: file,
        BENCH_QUICK: quick ? '1' : '0',
        BENCH_THREADS: threads,
        ...(dataArg ? { BENCH_DATA: dataArg } : {}),
        ...(limit !== undefined ? { BENCH_LIMIT: String(limit) } : {}),
      },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`${config.name}: the run printed no result`);
    const r = JSON.parse(line.slice(7)) as BenchResult;
    results.push(r);
    const primary = r.metrics[r.primaryMetric]; // NaN (null in JSON) when undefined on the split, e.g. AUC of one class
    console.log(`${r.primaryMetric} ${typeof primary === 'number' ? primary.toFixed(4) : 'NaN'} | ${r.trainSamplesPerSec.toLocaleString('en-US')} train samples/s | ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const prov = provenance(quick, data && { dataset: data.dataset, limit });
  if (update && !quick) {
    // merge: rows measured now replace rows of the same name in the committed leaderboard
    const committed = JSON.parse(await fs.readFile(path.join(__dirname, 'LEADERBOARD.json'), 'utf8')) as { results: BenchResult[] };
    const fresh = new Set(results.map((r) => r.name));
    results.unshift(...committed.results.filter((r) => !fresh.has(r.name)));
  }
  const { outDir, stem } = outputLocation({ quick, partial: Boolean(only || family) && !update, dataset: data?.dataset });
  await fs.mkdir(outDir, { recursive: true });
  const files = await writeOutputs(results, prov, outDir, stem);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}

/**
 * Where a run writes: real-dataset runs always to their own files under results/ (the committed leaderboard and the
 * committed quick smoke results stay synthetic), quick and partial runs to results/, full runs to the committed files.
 */
function outputLocation(run: { quick: boolean; partial: boolean; dataset?: string }): { outDir: string; stem: string } {
  const results = path.join(__dirname, 'results');
  if (run.dataset) return { outDir: results, stem: `leaderboard-${run.dataset}${run.quick ? '-quick' : ''}` };
  if (run.quick) return { outDir: results, stem: 'quick-leaderboard' };
  if (run.partial) return { outDir: results, stem: 'partial-leaderboard' };
  return { outDir: __dirname, stem: 'LEADERBOARD' };
}

if (process.argv.includes('--child')) child().catch((e) => { console.error(e); process.exit(1); });
else main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
