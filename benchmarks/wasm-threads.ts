/**
 * ms per 1024x416 @ 416x256 matMul on the wasm backend, 1 thread vs 2 threads.
 *
 *   npx ts-node --transpile-only benchmarks/wasm-threads.ts [threads...]   (default: 1 2)
 *
 * The wasm backend is process-global and its thread count is fixed at init, so every measurement runs in a
 * fresh child process; the children are interleaved over several rounds so that drift in machine load hits
 * every configuration alike.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { activeWasmThreads, configureWasmThreads, shutdownWasmThreads } from '../src/basic/backend/wasm-threads';

const M = 1024;
const K = 416;
const N = 256;
const WARMUP = 10;
const REPS = 20;
const BLOCKS = 5;
const ROUNDS = 3;

interface ChildResult {
  threads: number;
  active: number;
  /** ms per matMul of each block of REPS. */
  blocks: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(threads: number): Promise<void> {
  if (threads > 1) configureWasmThreads({ threads });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  const a = tf.randomUniform([M, K], -1, 1, 'float32', 1);
  const b = tf.randomUniform([K, N], -1, 1, 'float32', 2);
  for (let i = 0; i < WARMUP; i++) tf.tidy(() => tf.matMul(a, b)).dataSync();
  const blocks: number[] = [];
  for (let blk = 0; blk < BLOCKS; blk++) {
    const t0 = performance.now();
    for (let i = 0; i < REPS; i++) {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    }
    blocks.push((performance.now() - t0) / REPS);
  }
  const result: ChildResult = { threads, active: activeWasmThreads(), blocks };
  await shutdownWasmThreads();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function runChild(threads: number): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', __filename, '--child', String(threads)],
    { cwd: `${__dirname}/..` },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

async function main(): Promise<void> {
  const configs = process.argv.slice(2).map(Number);
  const threadCounts = configs.length > 0 ? configs : [1, 2];
  const perConfig = new Map<number, number[]>(threadCounts.map((t) => [t, []]));
  const active = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of threadCounts) {
      const r = await runChild(t);
      active.set(t, r.active);
      perConfig.get(t)!.push(...r.blocks);
    }
  }
  console.log(`wasm matMul ${M}x${K} @ ${K}x${N}: ${ROUNDS} processes x ${BLOCKS} blocks x ${REPS} reps per config`);
  const base = median(perConfig.get(threadCounts[0])!);
  for (const t of threadCounts) {
    const ms = perConfig.get(t)!;
    const med = median(ms);
    console.log(
      `threads=${t} (active ${active.get(t)}): median ${med.toFixed(2)} ms/matMul, ` +
        `min ${Math.min(...ms).toFixed(2)}, max ${Math.max(...ms).toFixed(2)}; ` +
        `speedup vs threads=${threadCounts[0]}: ${(base / med).toFixed(2)}x`,
    );
  }
}

const childIdx = process.argv.indexOf('--child');
(childIdx >= 0 ? child(Number(process.argv[childIdx + 1])) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
