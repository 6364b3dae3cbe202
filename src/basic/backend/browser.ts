/**
 * initBackend for browsers and edge runtimes: wasm only. A page that cannot load the wasm binaries gets an
 * error naming the fix, never a silent switch to the pure-JS cpu backend (20-30x slower, and its scores
 * differ from Node's in the last digits). Nothing here touches Node.
 */
import '@tensorflow/tfjs-backend-wasm';
import { startWasm, applyWasmPaths, WasmPaths } from './wasm';
import type { BackendInfo } from './index';

export type { WasmPaths } from './wasm';
export type { BackendInfo } from './index';

/** Options of the browser {@link initBackend}. */
export interface BrowserBackendOptions {
  /**
   * Where the tfjs wasm binaries are served: a URL prefix ending in '/' or a map of file name -> URL. Needed
   * whenever the page's bundle does not sit next to them (copy them from
   * node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm).
   */
  wasmPaths?: WasmPaths;
  /** Only 'wasm' (the default) is available in the browser build. */
  backend?: 'wasm';
  /** Install the wasm kernel fixes (default true). */
  kernelFixes?: boolean;
  /** Print which backend is in use (default false in browsers). */
  log?: boolean;
}

let pending: Promise<BackendInfo> | null = null;
let current: BackendInfo | null = null;

const KNOWN = new Set(['wasmPaths', 'backend', 'kernelFixes', 'log']);

/** Start the wasm backend once per page (later calls return the first result, or the first error). */
export function initBackend(opts: BrowserBackendOptions = {}): Promise<BackendInfo> {
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key)) throw new Error(`initBackend (browser build): unknown option '${key}'; known options are ${[...KNOWN].join(', ')}`);
  }
  if (opts.backend !== undefined && opts.backend !== 'wasm') {
    throw new Error(`initBackend (browser build): backend must be 'wasm' (got '${String(opts.backend)}'); the browser build ships only the wasm backend`);
  }
  if (!pending) {
    pending = (async () => {
      applyWasmPaths(opts.wasmPaths);
      const fix = await startWasm(opts);
      current = { name: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', threads: 1, matMulFix: fix };
      if (opts.log) console.log(`nextrec-ts: backend wasm (browser, transposed-matMul fix ${fix ? 'on' : 'off'})`);
      return current;
    })();
  }
  return pending;
}

/** The backend chosen by {@link initBackend}, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}
