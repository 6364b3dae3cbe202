/**
 * Command line: `nextrec-ts train --config run.yaml`, `evaluate --run DIR --data FILE`,
 * `predict --run DIR --data FILE [--out FILE]`, `bench [leaderboard options]` (from a repository checkout).
 * A run directory holds the model, its DataProcessor (processor.json), metrics.json, history.json and the config.
 * Long steps (reading and encoding files, scoring rows, fit's epochs) show progress bars on stderr when it is a
 * terminal; `--quiet` turns them off.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { initBackend, shutdownBackend } from './basic/backend';
import { BaseModel } from './basic/model/base-model';
import { models } from './basic/model/model-registry';
import { withTaskProgress } from './basic/progress';
import type { ColumnarInput } from './basic/dataset/dataset';
import { DataProcessor, DataProcessorConfig, StreamOptions } from './data/processor';
import { FileStore } from './data/file-store';
import { readAll } from './data/raw';
import { suggestionText } from './basic/options-schema';
import { renderRunReport } from './run-report';
import './models/ranking';
import './models/multitask';
import './models/match';
import './models/generative';
import './basic/onnx';

/** A `train` run file. */
export interface RunConfig {
  data: { train: string; valid?: string; test?: string };
  processor: DataProcessorConfig;
  model: { name: string; params?: Record<string, unknown> };
  compile?: Record<string, unknown>;
  fit?: Record<string, unknown>;
  /** Run directory (default runs/<model name>). */
  output?: string;
  /** wasm threads (default 1). */
  threads?: number;
}

/** Options of the commands when called from code. */
export interface CommandOptions {
  /**
   * Progress bars on stderr while files are read and encoded and rows are scored, and fit's own progress
   * (default true: drawn only when stderr is a terminal). false is the command line's `--quiet`: no bars, and fit
   * runs with verbose 0. A run file's `fit.verbose: 0` also turns the bars of `train` off.
   */
  progress?: boolean;
  /** `train` only: run-file overrides, each `key.path=value` (the command line's repeatable `--set`). */
  set?: string[];
}

/** Raised for bad command lines and run files; the message names the option or field. */
export class CliError extends Error {}

function mapping(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CliError(`${field} must be a mapping`);
  return value as Record<string, unknown>;
}

/** Parse and check a run file; every error names the field. */
export function parseRunConfig(text: string, file: string, overrides: string[] = []): RunConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new CliError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  for (const o of overrides) raw = applyOverride(raw, o);
  const top = mapping(raw, `${file}: the top level`);
  const allowed = ['data', 'processor', 'model', 'compile', 'fit', 'output', 'threads'];
  for (const k of Object.keys(top)) if (!allowed.includes(k)) throw new CliError(`${file}: unknown field '${k}'; ${suggestionText(k, allowed)}`);
  const data = mapping(top.data, `${file}: data`);
  if (typeof data.train !== 'string') throw new CliError(`${file}: data.train must be a file path`);
  for (const k of ['valid', 'test'] as const) if (data[k] !== undefined && typeof data[k] !== 'string') throw new CliError(`${file}: data.${k} must be a file path`);
  const model = mapping(top.model, `${file}: model`);
  if (typeof model.name !== 'string') throw new CliError(`${file}: model.name is required (one of ${models.list().join(', ')})`);
  if (!models.has(model.name)) throw new CliError(`${file}: model.name '${model.name}' is unknown (known: ${models.list().join(', ')})`);
  mapping(model.params, `${file}: model.params`);
  mapping(top.processor, `${file}: processor`);
  mapping(top.compile, `${file}: compile`);
  mapping(top.fit, `${file}: fit`);
  if (top.output !== undefined && typeof top.output !== 'string') throw new CliError(`${file}: output must be a directory path`);
  if (top.threads !== undefined && !(Number.isInteger(top.threads) && (top.threads as number) >= 1)) throw new CliError(`${file}: threads must be a positive integer`);
  return top as unknown as RunConfig;
}

/** Apply one `--set a.b.c=value` (value read as YAML: numbers, booleans, lists) to a parsed run file. */
export function applyOverride(raw: unknown, assignment: string): unknown {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new CliError(`--set expects key.path=value (got '${assignment}')`);
  const keys = assignment.slice(0, eq).split('.');
  if (keys.some((k) => !k)) throw new CliError(`--set: '${assignment.slice(0, eq)}' is not a dotted key path`);
  let value: unknown;
  try {
    value = YAML.parse(assignment.slice(eq + 1));
  } catch {
    value = assignment.slice(eq + 1);
  }
  const root = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  let node = root;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === undefined || next === null) node[k] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new CliError(`--set ${assignment}: '${k}' is not a mapping in the run file`);
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  return root;
}

function resolveFrom(base: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(base, p);
}

/** Learn the processor's vocabularies and statistics from a file, counting the rows read. */
async function fitProcessor(processor: DataProcessor, file: string, progress: boolean): Promise<void> {
  await withTaskProgress(`reading ${path.basename(file)}`, { enabled: progress }, (bar) => processor.fit(file, { onProgress: (rows) => bar.update(rows) }));
}

/** Encode a whole file, counting the rows encoded. */
function encodeFile(processor: DataProcessor, file: string, progress: boolean, opts: StreamOptions = {}): Promise<ColumnarInput> {
  return withTaskProgress(`encoding ${path.basename(file)}`, { enabled: progress }, (bar) => processor.transformAll(file, { ...opts, onProgress: (rows) => bar.update(rows) }));
}

/** Metrics of a model on encoded rows, with a bar over the rows scored (for models that report them). */
function evaluateRows(model: BaseModel, data: ColumnarInput, progress: boolean): Promise<Record<string, number>> {
  return withTaskProgress('evaluating', { enabled: progress }, (bar) => model.evaluate(data, { onProgress: (done, total) => bar.update(done, total) }));
}

/** Fit the processor, train, evaluate and save everything to the run directory. Returns the directory. */
export async function trainFromConfig(configFile: string, outOverride?: string, opts: CommandOptions = {}): Promise<string> {
  const cfg = parseRunConfig(await fs.readFile(configFile, 'utf8'), configFile, opts.set ?? []);
  const base = path.dirname(path.resolve(configFile));
  // --quiet silences fit as well; a run file asking fit for silence (verbose: 0) gets no bars either
  const fitOptions: Record<string, unknown> = { ...(cfg.fit ?? {}), ...(opts.progress === false ? { verbose: 0 } : {}) };
  const progress = fitOptions.verbose !== 0;
  await initBackend({ threads: cfg.threads ?? 1, log: opts.progress !== false });
  const processor = new DataProcessor(cfg.processor);
  const trainFile = resolveFrom(base, cfg.data.train);
  await fitProcessor(processor, trainFile, progress);
  const train = await encodeFile(processor, trainFile, progress);
  const valid = cfg.data.valid ? await encodeFile(processor, resolveFrom(base, cfg.data.valid), progress) : undefined;
  const Cls = models.resolve(cfg.model.name);
  const model = new Cls({ ...processor.modelConfig(), ...(cfg.model.params ?? {}) });
  model.compile(cfg.compile ?? {});
  const out = resolveFrom(process.cwd(), outOverride ?? cfg.output ?? path.join('runs', cfg.model.name));
  await fs.mkdir(out, { recursive: true });
  // every run keeps a run log in its folder (for `nextrec-ts report`); a run file may name another path
  if (fitOptions.runLog !== undefined && typeof fitOptions.runLog !== 'string') throw new CliError(`${configFile}: fit.runLog must be a file path`);
  const runLog = fitOptions.runLog ? resolveFrom(base, fitOptions.runLog as string) : path.join(out, 'log.jsonl');
  await fs.rm(runLog, { force: true });
  if (valid && fitOptions.validationSplit !== undefined) throw new CliError(`${configFile}: give either data.valid or fit.validationSplit, not both`);
  const history = await model.fit(train, { validData: valid, ...fitOptions, runLog });
  const metrics = cfg.data.test ? await evaluateRows(model, await encodeFile(processor, resolveFrom(base, cfg.data.test), progress), progress) : null;
  // one transaction for the whole run folder: a crash leaves the previous run or this one, never a mix
  await new FileStore(out).atomically(async (store) => {
    await model.save(store);
    await processor.save(store);
    await store.writeJson('history.json', history);
    await store.writeBytes('run.yaml', new TextEncoder().encode(YAML.stringify(cfg)));
    if (metrics) await store.writeJson('metrics.json', metrics);
  });
  if (metrics) console.log(`test metrics: ${JSON.stringify(metrics)}`);
  console.log(`run saved to ${out}`);
  return out;
}

async function loadRun(dir: string): Promise<{ model: BaseModel; processor: DataProcessor }> {
  await initBackend({ log: false });
  return { model: await BaseModel.load(dir), processor: await DataProcessor.load(dir) };
}

/** Metrics of a saved run on a labelled file. */
export async function evaluateRun(dir: string, dataFile: string, opts: CommandOptions = {}): Promise<Record<string, number>> {
  const progress = opts.progress !== false;
  const { model, processor } = await loadRun(dir);
  return evaluateRows(model, await encodeFile(processor, dataFile, progress, { labels: 'require' }), progress);
}

/** Scores of a saved run on a file (labels not needed); writes a CSV with one column per target when `out` is set. */
export async function predictRun(dir: string, dataFile: string, out?: string, opts: CommandOptions & { ids?: string[] } = {}): Promise<Record<string, Float32Array>> {
  const progress = opts.progress !== false;
  const ids = opts.ids ?? [];
  const { model, processor } = await loadRun(dir);
  const data = await encodeFile(processor, dataFile, progress, { labels: 'skip' });
  const preds = await withTaskProgress('predicting', { enabled: progress }, (bar) => model.predictTargets(data, { onProgress: (done, total) => bar.update(done, total) }));
  if (out) {
    const names = Object.keys(preds);
    const n = preds[names[0]].length;
    // raw values as in the file (a feature column's encoded ids would mean nothing to the reader)
    const raw = ids.length ? (await readAll(dataFile, ids)).columns : {};
    const idColumns = ids.map((c) => raw[c]);
    const lines = [[...ids, ...names].map(csvCell).join(',')];
    for (let i = 0; i < n; i++) lines.push([...idColumns.map((col) => csvCell(col[i])), ...names.map((k) => String(preds[k][i]))].join(','));
    await fs.writeFile(out, lines.join('\n') + '\n');
  }
  return preds;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What `predict` prints without --out: row count and, per target, the spread of the scores and the first rows. */
export function predictionSummary(preds: Record<string, Float32Array>): string {
  const names = Object.keys(preds);
  const n = names.length ? preds[names[0]].length : 0;
  const lines = [`${n.toLocaleString('en-US')} rows scored (write them with --out FILE.csv)`];
  for (const k of names) {
    const v = preds[k];
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      min = Math.min(min, v[i]);
      max = Math.max(max, v[i]);
      sum += v[i];
    }
    const head = Array.from(v.slice(0, 5)).map((x) => x.toFixed(4)).join(' ');
    lines.push(`${k}: mean ${(sum / Math.max(v.length, 1)).toFixed(4)} min ${min.toFixed(4)} max ${max.toFixed(4)}; first rows ${head}${v.length > 5 ? ' ...' : ''}`);
  }
  return lines.join('\n');
}

/** Flags each command accepts: true takes a value, false is a switch. */
const FLAGS: Record<string, Record<string, boolean>> = {
  train: { config: true, out: true, set: true, quiet: false },
  evaluate: { run: true, data: true, quiet: false },
  predict: { run: true, data: true, out: true, ids: true, quiet: false },
  export: { run: true, format: true, out: true, float16: false, quiet: false },
  report: { out: true, quiet: false },
};

/** Commands that also take plain arguments (run folders). */
const POSITIONAL = new Set(['report']);

/** Reject flags a command does not know (naming the nearest one) and values missing after a flag. */
function checkFlags(command: string, args: string[]): void {
  const known = FLAGS[command];
  if (!known) return;
  const names = Object.keys(known);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') && POSITIONAL.has(command)) continue;
    if (!a.startsWith('--')) throw new CliError(`unexpected argument '${a}' (flags are --name value)`);
    const name = a.slice(2);
    if (!(name in known)) throw new CliError(`unknown flag --${name} for ${command}; ${suggestionText(name, names).replace(/'([^']+)'/g, "'--$1'")}`);
    if (known[name]) {
      if (i + 1 >= args.length || args[i + 1].startsWith('--')) throw new CliError(`--${name} needs a value`);
      i++;
    }
  }
}

/** Every value given to a repeatable flag. */
function options(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === `--${name}` && i + 1 < args.length) out.push(args[i + 1]);
  });
  return out;
}

/**
 * Export a saved run for serving. 'onnx': `model.onnx` (+ `model.onnx.json`, the input signature) whose inputs are
 * the run's *encoded* columns (ids from the run's DataProcessor, scaled dense values). Returns the file written.
 */
export async function exportRun(dir: string, format: string, out?: string, opts: { float16Tables?: boolean } = {}): Promise<string> {
  if (format !== 'onnx') throw new CliError(`--format must be 'onnx' (got '${format}')`);
  await initBackend({ log: false });
  const model = await BaseModel.load(dir);
  const file = out ?? path.join(dir, 'model.onnx');
  const { signature } = await model.exportOnnx(file, opts);
  console.log(`wrote ${file} (inputs: ${signature.inputs.map((i) => `${i.name}:${i.dtype}[${i.shape.join(',')}]`).join(' ')})`);
  return file;
}

function option(args: string[], name: string, required: boolean): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) {
    if (required) throw new CliError(`missing --${name}`);
    return undefined;
  }
  return args[i + 1];
}

const USAGE = `usage:
  nextrec-ts train --config run.yaml [--out DIR] [--set key.path=value ...] [--quiet]
  nextrec-ts evaluate --run DIR --data FILE [--quiet]
  nextrec-ts predict --run DIR --data FILE [--out FILE.csv] [--ids COL,COL] [--quiet]
  nextrec-ts report RUN_DIR... [--out curves.svg]      learning curves of runs (from their log.jsonl)
  nextrec-ts export --run DIR --format onnx [--out FILE.onnx] [--float16]
  nextrec-ts bench [--quick] [--only NAME] [--family F] [--data DATASET:PATH [--limit N]]   (repository checkout)
Progress bars go to stderr when it is a terminal; --quiet turns them off (and fit's progress lines).`;

/** Entry point; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const opts: CommandOptions = { progress: !args.includes('--quiet'), set: options(args, 'set') };
  try {
    checkFlags(command, args);
    if (command === 'train') await trainFromConfig(option(args, 'config', true)!, option(args, 'out', false), opts);
    else if (command === 'evaluate') console.log(JSON.stringify(await evaluateRun(option(args, 'run', true)!, option(args, 'data', true)!, opts)));
    else if (command === 'predict') {
      const out = option(args, 'out', false);
      const ids = option(args, 'ids', false)?.split(',').map((s) => s.trim()).filter(Boolean);
      const preds = await predictRun(option(args, 'run', true)!, option(args, 'data', true)!, out, { ...opts, ids });
      if (!out) console.log(predictionSummary(preds));
    } else if (command === 'report') {
      const out = option(args, 'out', false) ?? 'curves.svg';
      const runs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--out');
      await fs.writeFile(out, await renderRunReport(runs));
      console.log(`learning curves of ${runs.length} run(s) written to ${out}`);
    } else if (command === 'export') {
      await exportRun(option(args, 'run', true)!, option(args, 'format', true)!, option(args, 'out', false), { float16Tables: args.includes('--float16') });
    } else if (command === 'bench') {
      const script = path.join(__dirname, '..', 'benchmarks', 'leaderboard.ts');
      const { execFileSync } = await import('child_process');
      execFileSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', script, ...args], { stdio: 'inherit' });
    } else {
      console.error(USAGE);
      return command === undefined || command === '--help' ? 0 : 2;
    }
    return 0;
  } catch (err) {
    console.error(`nextrec-ts ${command}: ${(err as Error).message}`);
    return 1;
  } finally {
    await shutdownBackend();
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
