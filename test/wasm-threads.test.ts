import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { promisify } from 'util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { activeWasmThreads, configureWasmThreads, shutdownWasmThreads } from '../src/basic/backend/wasm-threads';

const M = 1024;
const K = 416;
const N = 256;
const REPS = 20;

// The same deterministic operands are rebuilt in the child process, so no data has to cross over.
const FILL = (len: number, phase: number) =>
  Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37 + phase) * 0.5 + ((i % 7) - 3) * 0.01);

/**
 * The wasm backend is process-global, so the single-threaded reference runs in a fresh Node process with the
 * stock (non-pthread) SIMD binary. It prints its timing and the product as base64 float32.
 */
const CHILD = `
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const FILL = ${FILL.toString()};
(async () => {
  await tf.setBackend('wasm');
  const a = tf.tensor2d(FILL(${M * K}, 0), [${M}, ${K}]);
  const b = tf.tensor2d(FILL(${K * N}, 1), [${K}, ${N}]);
  const out = tf.matMul(a, b).dataSync();
  for (let i = 0; i < 5; i++) tf.matMul(a, b).dataSync();
  const t0 = performance.now();
  for (let i = 0; i < ${REPS}; i++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }
  const ms = (performance.now() - t0) / ${REPS};
  process.stdout.write(JSON.stringify({ ms, out: Buffer.from(out.buffer).toString('base64') }));
})();
`;

async function singleThreadReference(): Promise<{ ms: number; out: Float32Array }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD], {
    cwd: `${__dirname}/..`,
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = JSON.parse(stdout) as { ms: number; out: string };
  const bytes = Buffer.from(parsed.out, 'base64');
  return { ms: parsed.ms, out: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

function ourTempDirs(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('nextrec-wasm-threads-'));
}

describe('multi-threaded wasm backend', () => {
  const tempDirsBefore = ourTempDirs();
  // jest-circus swaps its own handlers in while tests run, so the baseline is taken inside a test.
  let listenersBefore: Function[] = [];
  const processListeners = () => [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')];
  let threadedResult: Float32Array;
  let threadedMs = 0;

  afterAll(async () => {
    await shutdownWasmThreads();
  });

  test('refuses to touch tfjs internals of any release but the pinned one', () => {
    jest.isolateModules(() => {
      jest.doMock('@tensorflow/tfjs-core', () => ({ version_core: '4.22.0' }));
      jest.doMock('@tensorflow/tfjs-backend-wasm', () => ({ version_wasm: '4.23.0' }));
      const isolated = require('../src/basic/backend/wasm-threads') as typeof import('../src/basic/backend/wasm-threads');
      expect(() => isolated.configureWasmThreads({ threads: 2 })).toThrow(/4\.22\.0 but @tensorflow\/tfjs-backend-wasm is 4\.23\.0/);
    });
    jest.dontMock('@tensorflow/tfjs-core');
    jest.dontMock('@tensorflow/tfjs-backend-wasm');
  });

  test('rejects invalid thread counts and caps at the pre-started pool', () => {
    expect(() => configureWasmThreads({ threads: 0 })).toThrow(/threads/);
    expect(() => configureWasmThreads({ threads: Number.NaN })).toThrow(/threads/);
    expect(configureWasmThreads({ threads: 64 })).toBe(8);
  });

  test('initialises 2 pthreads and refuses reconfiguration once live', async () => {
    listenersBefore = processListeners();
    expect(configureWasmThreads({ threads: 2 })).toBe(2);
    expect(activeWasmThreads()).toBe(0);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    expect(activeWasmThreads()).toBe(2);
    expect(() => configureWasmThreads({ threads: 4 })).toThrow(/already initialised/);
    // The glue's own rethrowing process handlers must not outlive init, and ours/jest's must survive.
    expect(processListeners()).toEqual(listenersBefore);
  });

  test('2-thread matMul equals the cpu backend', async () => {
    const a = tf.tensor2d(FILL(M * K, 0), [M, K]);
    const b = tf.tensor2d(FILL(K * N, 1), [K, N]);
    threadedResult = tf.matMul(a, b).dataSync() as Float32Array;
    for (let i = 0; i < 5; i++) tf.matMul(a, b).dataSync();
    const t0 = performance.now();
    for (let i = 0; i < REPS; i++) {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    }
    threadedMs = (performance.now() - t0) / REPS;

    await tf.setBackend('cpu');
    const cpu = tf.matMul(tf.tensor2d(FILL(M * K, 0), [M, K]), tf.tensor2d(FILL(K * N, 1), [K, N])).dataSync();
    expect(maxAbsDiff(threadedResult, cpu)).toBeLessThan(1e-4);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(activeWasmThreads()).toBe(2);
  });

  test('matches single-threaded wasm in a child process; speedup is logged', async () => {
    const single = await singleThreadReference();
    expect(maxAbsDiff(threadedResult, single.out)).toBeLessThan(1e-4);
    const speedup = single.ms / threadedMs;
    console.log(
      `wasm matMul ${M}x${K} @ ${K}x${N}, ${REPS} reps: 1 thread ${single.ms.toFixed(2)} ms, ` +
        `2 threads ${threadedMs.toFixed(2)} ms, speedup ${speedup.toFixed(2)}x (${os.cpus().length} cpus)`,
    );
    expect(Number.isFinite(speedup)).toBe(true);
  });

  test('shutdown with the backend live: terminates workers, removes temp files, restores stock wasm', async () => {
    await shutdownWasmThreads();
    expect(activeWasmThreads()).toBe(0);
    expect(ourTempDirs()).toEqual(tempDirsBefore);
    await shutdownWasmThreads();
    expect(processListeners()).toEqual(listenersBefore);
  });

  test('re-initialises in the same process; shutdown after tf.removeBackend restores stock wasm', async () => {
    expect(configureWasmThreads({ threads: 2 })).toBe(2);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(activeWasmThreads()).toBe(2);
    expect(tf.matMul(tf.ones([64, 32]), tf.ones([32, 16])).dataSync()[0]).toBe(32);
    tf.removeBackend('wasm');
    expect(activeWasmThreads()).toBe(0);
    await shutdownWasmThreads();
    await shutdownWasmThreads();
    expect(ourTempDirs()).toEqual(tempDirsBefore);
    expect(processListeners()).toEqual(listenersBefore);
    // The stock single-threaded factory is back, so wasm still works (without threads) after shutdown.
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(activeWasmThreads()).toBe(1);
    expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3);
  });
});
