/**
 * ONNX Runtime and the ONNX checker for the export tests. onnxruntime-node runs in a plain Node process
 * (helpers/ort-score.js): jest's sandbox gives typed arrays from another realm, which its output tensors reject.
 * The checker is Debian's python3-onnx; tests skip it with a message where it is missing.
 */
import * as path from 'path';
import { promises as fs } from 'fs';
import { spawnSync } from 'child_process';

/** Input columns by graph input name: flat, row-major. */
export type OrtColumns = Record<string, Int32Array | Float32Array | Float64Array | number[]>;
/** Every output of a graph: dims and flat values. */
export type OrtOutputs = Record<string, { dims: number[]; values: number[] }>;
/** One graph run: the first output (scores [rows, T]) and all outputs. */
export interface OrtRun {
  values: Float32Array;
  T: number;
  outputs: OrtOutputs;
}
/** One file to run: its inputs, the batch size, and dims of inputs whose other axes are dynamic. */
export interface OrtJob {
  file: string;
  data: OrtColumns;
  rows: number;
  shapes?: Record<string, number[]>;
}

/** Runs several files in one ONNX Runtime process (the signature is read from FILE.json). */
export async function ortRunMany(jobs: OrtJob[]): Promise<OrtRun[]> {
  const args: string[] = [];
  for (const [j, { file, data, rows, shapes }] of jobs.entries()) {
    const input = `${file}.input${j}.json`;
    await fs.writeFile(input, JSON.stringify({ rows, shapes, columns: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.from(v)])) }));
    args.push(file, input);
  }
  const r = spawnSync(process.execPath, [path.join(__dirname, 'ort-score.js'), ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`onnxruntime-node failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ dims: number[]; values: number[]; outputs: OrtOutputs }>).map((o) => ({ values: Float32Array.from(o.values), T: o.dims[1], outputs: o.outputs }));
}

/** One file under ONNX Runtime. */
export async function ortRun(file: string, data: OrtColumns, rows: number, shapes?: Record<string, number[]>): Promise<OrtRun> {
  return (await ortRunMany([{ file, data, rows, shapes }]))[0];
}

/** All outputs of one file under ONNX Runtime. */
export async function ortOutputs(file: string, data: OrtColumns, rows: number, shapes?: Record<string, number[]>): Promise<OrtOutputs> {
  return (await ortRun(file, data, rows, shapes)).outputs;
}

const PYTHON = '/usr/bin/python3';
const checkerPresent = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

/** Whether the ONNX checker can run; warns once per test file (naming it) when it cannot. */
export function hasOnnxChecker(testFile: string): boolean {
  if (!checkerPresent) console.warn(`${path.basename(testFile)}: ONNX checker skipped: Debian package python3-onnx is not installed (apt-get install -y python3-onnx)`);
  return checkerPresent;
}

/** ONNX checker verdict per file ('ok' or the error), one python process for all. */
export function onnxCheck(files: string[]): string[] {
  const code = 'import onnx,sys\nfor f in sys.argv[1:]:\n  try:\n    onnx.checker.check_model(onnx.load(f), full_check=True); print("ok")\n  except Exception as e:\n    print(repr(e).replace("\\n"," "))';
  const r = spawnSync(PYTHON, ['-c', code, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ONNX checker failed to run: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

/** Largest absolute difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
