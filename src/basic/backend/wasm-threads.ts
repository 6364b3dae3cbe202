/**
 * Multi-threaded tfjs-backend-wasm in Node.
 *
 * tfjs-backend-wasm 4.22 never selects its threaded SIMD binary in Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * hard-wired to false there, tfjs issue 3830), and its own loader could not start it anyway: it hands the
 * emscripten pthread pool a blob: URL for the worker script (Node's Worker refuses those) and a Blob of the
 * *bundled* glue as the workers' main script (which references bundler-internal variables). So instead of
 * flipping flags we register our own 'wasm' backend factory that drives the emscripten glue shipped in
 * `wasm-out/` directly and then builds the package's public `BackendWasm` on top of the module.
 *
 * Internal details this relies on (all checked against 4.22.0, enforced at run time):
 *  - `wasm-out/tfjs-backend-wasm-threaded-simd.js` is a MODULARIZE'd emscripten factory that pre-starts a
 *    pool of 8 pthread workers and resolves once every worker has loaded the module;
 *  - `wasm-out/tfjs-backend-wasm-threaded-simd.worker.js` exports the worker script as a string;
 *  - `BackendWasm`'s constructor expects `module.tfjs = {init, initWithThreadsCount, ...}` (as built by
 *    the package's own `init()`), and calls `initWithThreadsCount(n)` with the value of `setThreadsCount`;
 *  - the C side clamps the thread count to min(n, 8, emscripten_num_logical_cores() / 2).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';

/** Options for multi-threaded wasm. */
export interface WasmThreadOptions {
  threads: number;
}

const PINNED_TFJS_VERSION = '4.22.0';
const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';
const BINARY_NAME = 'tfjs-backend-wasm-threaded-simd.wasm';
// The glue pre-starts this many workers; XNNPACK's pool (the calling thread plus n-1 of them) is capped at
// 8 threads on the C side no matter what, so larger requests are clamped here to report the real count.
const POOL_SIZE = 8;
const MAX_THREADS = 8;
const INIT_TIMEOUT_MS = 120_000;

interface PThreadApi {
  unusedWorkers: Worker[];
  runningWorkers: Worker[];
  terminateAllThreads(): void;
}

interface ThreadedModule {
  PThread: PThreadApi;
  asm: Record<string, unknown>;
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  _dispose: () => void;
  tfjs?: unknown;
}

interface FactoryConfig {
  locateFile(file: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: WebAssembly.Imports,
    receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): object;
  onAbort(what: unknown): void;
  PThread?: PThreadApi;
}

type ModuleFactory = (config: FactoryConfig) => Promise<ThreadedModule>;
type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** One instantiation of the threaded module, kept so its workers can be awaited and its files removed. */
interface Runtime {
  tmpDir: string;
  workers: Worker[];
  exits: Promise<void>[];
  backend: BackendWasm | null;
}

let requestedThreads = 1;
let threadedFactory: BackendFactory | null = null;
let stockFactory: { factory: BackendFactory; priority: number } | null = null;
const runtimes: Runtime[] = [];

function assertPinnedVersion(): void {
  const found = { '@tensorflow/tfjs-core': tf.version_core, '@tensorflow/tfjs-backend-wasm': version_wasm };
  for (const [pkg, version] of Object.entries(found)) {
    if (version !== PINNED_TFJS_VERSION) {
      throw new Error(
        `wasm-threads relies on internals of tfjs ${PINNED_TFJS_VERSION} but ${pkg} is ${version}; ` +
          're-verify src/basic/backend/wasm-threads.ts against the new release before bumping the pin',
      );
    }
  }
}

function registeredPriority(): number {
  // registryFactory is a public field of Engine; the stock wasm priority (2) is the fallback.
  return tf.engine().registryFactory.wasm?.priority ?? 2;
}

/**
 * The live wasm backend, if any. Not tf.findBackend(): that *starts* initialising a registered backend as a
 * side effect, which would load the stock module behind our back.
 */
function initialisedWasm(): tf.KernelBackend | undefined {
  return tf.engine().registry.wasm;
}

/** Put `factory` in place of whatever 'wasm' factory is registered (the registry refuses to overwrite). */
function swapWasmFactory(factory: BackendFactory, priority: number): void {
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, priority);
}

/**
 * Prepare the wasm backend so that the next tf.setBackend('wasm') initialises the threaded SIMD binary with
 * `threads` worker threads. Must be called before the wasm backend is first initialised. Returns the number
 * of threads actually configured.
 */
export function configureWasmThreads(opts: WasmThreadOptions): number {
  assertPinnedVersion();
  const n = opts?.threads;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 1) {
    throw new Error(`configureWasmThreads: threads must be a number >= 1 (got ${String(n)})`);
  }
  if (initialisedWasm() != null) {
    throw new Error(
      "configureWasmThreads: the wasm backend is already initialised; call it before tf.setBackend('wasm') / " +
        "tf.ready(), or tf.removeBackend('wasm') and await shutdownWasmThreads() first",
    );
  }
  const threads = Math.min(Math.floor(n), MAX_THREADS);
  const current = tf.findBackendFactory('wasm');
  if (current != null && current !== threadedFactory) {
    stockFactory = { factory: current, priority: registeredPriority() };
  }
  if (threads === 1) {
    // One thread gains nothing from the pthread build but would still pay for 8 pre-started workers.
    if (current === threadedFactory && threadedFactory != null) {
      if (!stockFactory) throw new Error('configureWasmThreads: the stock wasm backend factory is gone');
      swapWasmFactory(stockFactory.factory, stockFactory.priority);
    }
    threadedFactory = null;
    requestedThreads = 1;
    return 1;
  }
  requestedThreads = threads;
  if (current !== threadedFactory || threadedFactory == null) {
    const factory: BackendFactory = () => createThreadedBackend(requestedThreads);
    swapWasmFactory(factory, stockFactory?.priority ?? registeredPriority());
    threadedFactory = factory;
  }
  return threads;
}

/** Number of pthreads actually running in the initialised wasm backend (1 when single-threaded). */
export function activeWasmThreads(): number {
  const backend = initialisedWasm() as BackendWasm | undefined;
  // 0 signals "no live wasm backend" (never initialised, or disposed by tf.removeBackend).
  if (backend == null || backend.wasm == null) return 0;
  // The C side answers -1 when it has no threadpool at all; that is still one thread doing the work.
  const n = backend.wasm.tfjs.getThreadsCount();
  return n > 0 ? n : 1;
}

/**
 * Terminate the pre-started pthread workers (and remove temp files) so Node/jest can exit. Safe to call many
 * times. Call after tf.removeBackend('wasm') or at process end.
 */
export async function shutdownWasmThreads(): Promise<void> {
  const live = initialisedWasm();
  if (live != null && runtimes.some((r) => r.backend === live)) {
    // Killing the workers under a live backend would leave XNNPACK's threadpool waiting forever on the
    // next parallel op, so the backend goes too (removeBackend disposes it, which terminates its workers).
    tf.removeBackend('wasm');
  }
  if (threadedFactory != null) {
    // Undo configureWasmThreads: the stock single-threaded factory comes back (unless someone registered
    // another one meanwhile), so tf.setBackend('wasm') keeps working afterwards.
    const current = tf.findBackendFactory('wasm');
    if (current === threadedFactory) tf.removeBackend('wasm');
    if ((current === threadedFactory || current == null) && stockFactory != null) {
      tf.registerBackend('wasm', stockFactory.factory, stockFactory.priority);
    }
  }
  threadedFactory = null;
  requestedThreads = 1;
  const pending = runtimes.splice(0, runtimes.length);
  await Promise.all(pending.map(releaseRuntime));
}

async function releaseRuntime(rt: Runtime): Promise<void> {
  // terminate() on an already-terminated worker resolves immediately, so this is idempotent.
  await Promise.all(rt.workers.map((w) => w.terminate().catch(() => undefined)));
  await Promise.all(rt.exits);
  removeDir(rt.tmpDir);
}

function removeDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // A leftover temp dir must never turn shutdown into a failure.
  }
}

async function createThreadedBackend(threads: number): Promise<BackendWasm> {
  assertPinnedVersion();
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error('multi-threaded wasm needs SharedArrayBuffer, which this runtime does not provide');
  }
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
    throw new Error('multi-threaded wasm needs WebAssembly SIMD, which this runtime does not support');
  }
  const gluePath = require.resolve(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`);
  const binaryPath = path.join(path.dirname(gluePath), BINARY_NAME);
  const { wasmWorkerContents } = require(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents: string;
  };
  const moduleFactory = require(gluePath) as ModuleFactory;

  // Node's Worker only takes a file path (no blob: URLs), and the script uses require(), so it must be CJS.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nextrec-wasm-threads-'));
  const workerScript = path.join(tmpDir, 'pthread-worker.cjs');
  // The exported string came out of a template literal that turned the script's "\\n" escapes into real
  // newlines inside string literals; put the escapes back or the worker fails to parse.
  fs.writeFileSync(workerScript, wasmWorkerContents.replace(/\n/g, '\\n'));
  const rt: Runtime = { tmpDir, workers: [], exits: [], backend: null };
  runtimes.push(rt);

  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const config: FactoryConfig = {
    locateFile: (file, prefix) => (file.endsWith('.worker.js') ? workerScript : prefix + file),
    // The workers evaluate this file with their own fs-based importScripts, so a real path works.
    mainScriptUrlOrBlob: gluePath,
    instantiateWasm: (imports, receiveInstance) => {
      // The C side sets num_cores = emscripten_num_logical_cores() / 2 and clamps the requested count to it
      // (1 on a 2-vCPU box). Reporting 2 * threads lifts that cap without touching os.cpus() for everyone.
      const env = { ...(imports.env as Record<string, WebAssembly.ImportValue>) };
      env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(fs.readFileSync(binaryPath), { ...imports, env }).then(({ instance, module }) => {
        receiveInstance(instance, module);
        // The glue's worker error handler rethrows, which would crash the process; ours (trackWorker) turns
        // a failed start into a rejected backend init and still rethrows once the backend is up.
        for (const w of rt.workers) (w as Worker & { onerror?: unknown }).onerror = () => undefined;
      }, fail);
      return {};
    },
    onAbort: (what) => fail(new Error(`threaded wasm module aborted: ${String(what)}`)),
  };

  let timer: NodeJS.Timeout | undefined;
  let started = false;
  try {
    const listenersBefore = snapshotProcessListeners();
    let ready: Promise<ThreadedModule>;
    try {
      ready = moduleFactory(config);
    } finally {
      // The glue adds rethrowing uncaughtException/unhandledRejection handlers, synchronously, on every
      // instantiation; they would outlive the backend and change the process's error handling for everyone.
      removeListenersAddedSince(listenersBefore);
    }
    // Both may settle after we have given up on them; a late rejection must not become an unhandled one.
    ready.catch(() => undefined);
    failed.catch(() => undefined);
    // The pool exists as soon as the factory returns; track it now so a failed start can still be torn down.
    const pool = config.PThread?.unusedWorkers ?? [];
    if (pool.length < threads - 1) throw new Error(`expected a pool of ${POOL_SIZE} pthread workers, got ${pool.length}`);
    for (const w of pool) trackWorker(rt, w, (err) => (started ? rethrow(err) : fail(err)));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`threaded wasm did not start within ${INIT_TIMEOUT_MS} ms`)), INIT_TIMEOUT_MS);
    });
    const mod = await Promise.race([ready, failed, timeout]);
    started = true;
    clearTimeout(timer);
    // The glue wraps _dispose to remove "the listeners it added", but an operator-precedence slip makes that
    // every uncaughtException/unhandledRejection listener present at startup (jest's included). Its own are
    // already gone (above), so dispose goes straight to the C export.
    mod._dispose = mod.asm.dispose as () => void;
    mod.tfjs = {
      init: mod.cwrap('init', null, []),
      initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
      registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: mod.cwrap('dispose_data', null, ['number']),
      dispose: mod.cwrap('dispose', null, []),
    };
    // setThreadsCount is the package's public knob; it is read once, by the constructor below.
    setThreadsCount(threads);
    let backend: BackendWasm;
    try {
      backend = new BackendWasm(mod as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    } finally {
      setThreadsCount(-1);
    }
    rt.backend = backend;
    // The glue ref()s a worker for as long as its pthread lives, and XNNPACK's pthreads live forever, so a
    // forgotten shutdown would keep Node (and jest) alive. Parallel ops run synchronously on the main thread,
    // so an empty event loop means no op is in flight and nothing is lost if Node exits under the workers.
    for (const w of mod.PThread.runningWorkers) w.unref();
    // Idle pool workers each hold a V8 isolate and a wasm instance; XNNPACK has taken all it will ever use.
    const idle = mod.PThread.unusedWorkers.splice(0);
    await Promise.all(idle.map((w) => w.terminate()));
    // Every pool worker has loaded the script by now; nothing reads it again.
    removeDir(tmpDir);
    return backend;
  } catch (err) {
    clearTimeout(timer);
    runtimes.splice(runtimes.indexOf(rt), 1);
    await releaseRuntime(rt);
    throw err;
  }
}

function trackWorker(rt: Runtime, w: Worker, onError: (err: unknown) => void): void {
  rt.workers.push(w);
  rt.exits.push(new Promise<void>((resolve) => w.once('exit', () => resolve())));
  w.on('error', onError);
}

function rethrow(err: unknown): never {
  throw err;
}

const GLUE_PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ListenerSnapshot = Map<string, Function[]>;
// Plain EventEmitter view of process: the typed overloads do not accept a union of event names. A function, not
// a module-level constant, so that importing this file never touches `process`.
function processEvents(): NodeJS.EventEmitter {
  return process as unknown as NodeJS.EventEmitter;
}

function snapshotProcessListeners(): ListenerSnapshot {
  return new Map(GLUE_PROCESS_EVENTS.map((event) => [event, processEvents().listeners(event)]));
}

function removeListenersAddedSince(before: ListenerSnapshot): void {
  for (const event of GLUE_PROCESS_EVENTS) {
    const had = before.get(event) ?? [];
    for (const listener of processEvents().listeners(event)) {
      if (!had.includes(listener)) processEvents().removeListener(event, listener as (...a: unknown[]) => void);
    }
  }
}
