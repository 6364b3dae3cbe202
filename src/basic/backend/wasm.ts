/**
 * Starting the wasm backend, shared by the Node and browser entry points. Nothing here touches Node: the
 * multi-threaded Node path lives in wasm-threads.ts and is only reached from backend/index.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installMatMulTransposeFix } from './matmul-transpose-fix';
import { installFastKernels } from './wasm-fast-kernels';
import { installLeanGradients } from './lean-gradients';
import { installLeanKernels } from './lean-kernels';
import { setLeanEngine } from './lean-switch';

/**
 * Where the tfjs wasm binaries are fetched from: a URL prefix ending in '/' (the three files
 * `tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm` live under
 * it), or a map from file name to URL. In Node the package's own copies are used when this is not given.
 */
export type WasmPaths = string | Record<string, string>;

/** Point tfjs at the wasm binaries; must run before the wasm backend is first initialised. */
export function applyWasmPaths(paths: WasmPaths | undefined): void {
  if (paths === undefined) return;
  if (typeof paths === 'string') {
    if (!paths.endsWith('/')) throw new Error(`wasmPaths must end with '/' when it is a URL prefix (got '${paths}'); e.g. '/static/tfjs-wasm/'`);
    setWasmPaths(paths);
    return;
  }
  if (typeof paths !== 'object' || paths === null) throw new Error(`wasmPaths must be a URL prefix string or a map of file name -> URL (got ${String(paths)})`);
  setWasmPaths(paths as Parameters<typeof setWasmPaths>[0]);
}

/**
 * Install the kernel fixes and switch tfjs to wasm. Resolves to whether the fixes are active; rejects with
 * the underlying reason when the binaries cannot be loaded (tfjs itself only logs it and answers false).
 */
export async function startWasm(opts: { kernelFixes?: boolean }): Promise<boolean> {
  const fix = (opts.kernelFixes ?? true) && installMatMulTransposeFix() && installFastKernels() && installLeanKernels();
  // the lean engine (shared-buffer clones, loop reductions, fused layers and optimizer update) is part of the fixes
  if (fix) installLeanGradients();
  else setLeanEngine(false);
  const logged: string[] = [];
  // tf.setBackend swallows the loader's error and only warns; keep its text for our own message.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    logged.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    warn(...args);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    console.warn = warn;
  }
  if (!ok) {
    const why = logged.length > 0 ? `: ${logged.join('; ')}` : '';
    throw new Error(
      `the wasm backend failed to initialise${why}. In a browser, serve the tfjs-backend-wasm *.wasm files ` +
        `(node_modules/@tensorflow/tfjs-backend-wasm/dist/) and pass their location as initBackend({ wasmPaths: '/path/to/wasm/' })`,
    );
  }
  await tf.ready();
  return fix;
}
