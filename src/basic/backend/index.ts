import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup';
// The Node entry keeps the pure-JS cpu backend as the last resort (the browser entry does not: see browser.ts).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { activeWasmThreads, configureWasmThreads, shutdownWasmThreads } from './wasm-threads';
import { applyWasmPaths, startWasm, WasmPaths } from './wasm';

export type { WasmPaths } from './wasm';

/**
 * Which compute backend to use: 'auto' tries tfjs-node-gpu, tfjs-node, wasm (+ the native matMul kernels when
 * built), cpu in that order; 'wasm' is wasm without the native kernels; 'native' is wasm with them, or an error.
 */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'native' | 'cpu';

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** Default 'auto' (or the NEXTREC_BACKEND environment variable when set). */
  backend?: BackendChoice;
  /** wasm worker threads (default 1, or NEXTREC_THREADS). Must be decided before wasm is first initialised. */
  threads?: number;
  /** Print which backend is in use (default true). */
  log?: boolean;
  /** Install the wasm kernel fixes (transposed matMul, fast transpose and reductions); default true. Off only to measure them. */
  kernelFixes?: boolean;
  /** Where the tfjs wasm binaries are (URL prefix ending in '/', or file name -> URL); default: the package's own. */
  wasmPaths?: WasmPaths;
}

/** What {@link initBackend} selected. */
export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'wasm' or 'cpu'. */
  name: string;
  /** Package that provided it. */
  provider: string;
  threads: number;
  /** Whether the wasm transposed-matMul fix is active. */
  matMulFix: boolean;
  /** The library under the native matMul kernels (e.g. 'oneDNN 2.6') when they replace the wasm ones. */
  native?: string;
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Load an optional native package only if it is resolvable, so a missing optional peer never breaks startup. */
function tryLoadNative(pkg: string): boolean {
  if (typeof require === 'undefined' || typeof process === 'undefined' || !process.versions?.node) return false;
  try {
    require.resolve(pkg);
  } catch {
    return false;
  }
  try {
    require(pkg);
    return true;
  } catch (err) {
    console.warn(`nextrec-ts: ${pkg} is installed but failed to load (${(err as Error).message}); falling back`);
    return false;
  }
}

function envChoice(): BackendChoice | undefined {
  const v = typeof process !== 'undefined' ? process.env?.NEXTREC_BACKEND : undefined;
  if (!v) return undefined;
  if (!['auto', 'tensorflow', 'wasm', 'native', 'cpu'].includes(v)) throw new Error(`NEXTREC_BACKEND must be one of auto, tensorflow, wasm, native, cpu (got '${v}')`);
  return v as BackendChoice;
}

function envThreads(): number | undefined {
  const v = typeof process !== 'undefined' ? process.env?.NEXTREC_THREADS : undefined;
  return v ? Number(v) : undefined;
}

async function select(opts: BackendOptions): Promise<BackendInfo> {
  const choice = opts.backend ?? envChoice() ?? 'auto';
  const threads = opts.threads ?? envThreads() ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer (got ${threads})`);
  if (choice === 'auto' || choice === 'tensorflow') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (tryLoadNative(pkg) && (await tf.setBackend('tensorflow'))) {
        return { name: 'tensorflow', provider: pkg, threads: 0, matMulFix: false };
      }
    }
    if (choice === 'tensorflow') throw new Error('backend "tensorflow" requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded');
  }
  if (choice === 'auto' || choice === 'wasm' || choice === 'native') {
    applyWasmPaths(opts.wasmPaths);
    if (threads > 1) configureWasmThreads({ threads });
    try {
      const fix = await startWasm(opts);
      // the optional native matMul kernels (Node-only adapter, required lazily; see native.ts)
      const native = choice === 'wasm' ? undefined : (require('./native') as typeof import('./native')).attachNativeKernels(choice === 'native', activeWasmThreads());
      return { name: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', threads: activeWasmThreads(), matMulFix: fix, ...(native ? { native } : {}) };
    } catch (err) {
      if (choice !== 'auto') throw err;
      console.warn(`nextrec-ts: ${(err as Error).message}; falling back to the (20-30x slower) cpu backend`);
    }
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', provider: '@tensorflow/tfjs-backend-cpu', threads: 1, matMulFix: false };
}

/**
 * Select and initialise the compute backend once per process (later calls return the first result).
 * The optional native packages are declared as optional peer dependencies and used when present.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  if (current) return current;
  if (!pending) {
    pending = select(opts).then((info) => {
      current = info;
      if (opts.log ?? true) {
        const extra = info.name === 'wasm' ? `${info.native ? ` + native sgemm (${info.native})` : ''} (${info.threads} thread${info.threads === 1 ? '' : 's'}, transposed-matMul fix ${info.matMulFix ? 'on' : 'off'})` : '';
        // stderr: stdout carries results (metrics, predictions) that scripts parse
        console.error(`nextrec-ts: backend ${info.name} from ${info.provider}${extra}`);
      }
      return info;
    });
  }
  return pending;
}

/** The backend chosen by {@link initBackend}, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

/** Release backend resources (wasm worker threads) so the process can exit. */
export async function shutdownBackend(): Promise<void> {
  await shutdownWasmThreads();
}

export { setLeanEngine, leanEngineOn } from './lean-switch';
