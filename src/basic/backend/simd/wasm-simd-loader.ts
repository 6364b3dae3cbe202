/**
 * Loads the hand-written WebAssembly SIMD kernels of this folder (each a committed base64 module generated from its
 * .wat by scripts/build-wasm-kernels.ts) onto the heap of a tfjs-backend-wasm backend, so they read and write tensors
 * in place: every kernel module imports the backend's own `WebAssembly.Memory` as `env.memory`.
 */

/** A kernel module instantiated on one backend's heap. */
export interface SimdInstance<T> {
  kernels: T;
  /** The backend's heap; its current size bounds how far past a tensor a kernel may read. */
  memory: WebAssembly.Memory;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// per module (its base64 text): null when this engine cannot compile it (no WebAssembly SIMD)
const compiled = new Map<string, WebAssembly.Module | null>();
// per module, per backend object
const instances = new Map<string, WeakMap<object, SimdInstance<unknown> | null>>();

/** Compiled once, synchronously (each module is a few KB, under browsers' 4 KB limit for synchronous compilation). */
function compiledModule(base64: string): WebAssembly.Module | null {
  if (!compiled.has(base64)) {
    let module: WebAssembly.Module | null;
    try {
      module = new WebAssembly.Module(decodeBase64(base64));
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  return compiled.get(base64)!;
}

/**
 * The kernels of module `base64` on the heap of `backend` (a tfjs-backend-wasm backend object), instantiated once per
 * backend; null when they cannot run there, and the caller keeps its other path: no WebAssembly SIMD, no heap memory
 * where tfjs-backend-wasm 4.22's emscripten module keeps it (`wasm.asm.memory`), or a shared heap (the
 * multi-threaded build, whose memory a plain module cannot import).
 */
export function simdInstanceFor<T>(base64: string, backend: object): SimdInstance<T> | null {
  let perBackend = instances.get(base64);
  if (!perBackend) instances.set(base64, (perBackend = new WeakMap()));
  const cached = perBackend.get(backend);
  if (cached !== undefined) return cached as SimdInstance<T> | null;
  let instance: SimdInstance<T> | null = null;
  const found = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  const memory = found instanceof WebAssembly.Memory ? found : null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory !== null && memory.buffer instanceof SharedArrayBuffer;
  const module = memory && !shared ? compiledModule(base64) : null;
  if (module && memory) {
    try {
      instance = { kernels: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T, memory };
    } catch {
      instance = null;
    }
  }
  perBackend.set(backend, instance);
  return instance;
}
