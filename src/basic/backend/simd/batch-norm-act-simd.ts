import { BATCH_NORM_ACT_WASM_BASE64 } from './batch-norm-act.wasm.generated';

/**
 * The batch norm + activation kernels of batch-norm-act.wat (WebAssembly SIMD, float64 arithmetic as the JavaScript
 * kernel) bound to one tfjs-backend-wasm heap. Every pointer is a byte offset into that heap; cols must be a
 * multiple of 4 and rows >= 1.
 */
export interface BatchNormActSimd {
  forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, rows: number, cols: number, epsilon: number, relu: number): void;
  backward(
    dy: number, x: number, gamma: number, beta: number, mean: number, variance: number, dx: number, dgamma: number, dbeta: number,
    rows: number, cols: number, epsilon: number, relu: number,
  ): void;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// undefined: not compiled yet; null: this engine cannot compile it (no WebAssembly SIMD)
let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, BatchNormActSimd | null>();

/** Compiled once, synchronously (the module is ~2 KB, under browsers' 4 KB limit for synchronous compilation). */
function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(decodeBase64(BATCH_NORM_ACT_WASM_BASE64));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The SIMD kernels on the heap of `backend` (a tfjs-backend-wasm backend object), instantiated once per backend; null
 * when they cannot run there, and the caller keeps its JavaScript loops: no WebAssembly SIMD, no heap memory where
 * tfjs-backend-wasm 4.22's emscripten module keeps it (`wasm.asm.memory`), or a shared heap (the multi-threaded
 * build, whose memory a plain module cannot import).
 */
export function batchNormActSimdFor(backend: object): BatchNormActSimd | null {
  const cached = instances.get(backend);
  if (cached !== undefined) return cached;
  let kernels: BatchNormActSimd | null = null;
  const found = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  const memory = found instanceof WebAssembly.Memory ? found : null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory !== null && memory.buffer instanceof SharedArrayBuffer;
  const module = memory && !shared ? compiledModule() : null;
  if (module && memory) {
    try {
      kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as BatchNormActSimd;
    } catch {
      kernels = null;
    }
  }
  instances.set(backend, kernels);
  return kernels;
}
