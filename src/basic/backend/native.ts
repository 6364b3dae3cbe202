/**
 * Optional native kernels (Node only): BatchMatMul and _FusedMatMul of the wasm backend run by a small N-API
 * addon (native/nextrec_native.cc, built at install against oneDNN or OpenBLAS) that calls a native sgemm in
 * place on the wasm heap — the operands and the output are Float32Array views of wasm memory, nothing is copied.
 * The same addon runs the lean engine's fused batch norm + activation and dense Adam kernels (native-fused-kernels.ts).
 * All transpose combinations, broadcast batches and the bias + activation epilogue of the fused kernel are
 * handled; anything else (other dtypes, prelu, unbroadcastable batch shapes) goes to the kernel it replaced.
 * The browser build swaps this file for native.browser.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installNativeSequenceKernels, NativeSequenceKernels } from './native-sequence-kernels';
import { installNativeDenseParts, NativeDenseParts } from './native-dense-parts';
import { installNativeFusedKernels, installNativeReductions, NativeFusedKernels, NativeReductions } from './native-fused-kernels';
import { provideTimeMajorMatMul, TIME_MAJOR_MATMUL, TimeMajorMatMulAttrs, timeMajorMatMulShape } from './time-major-matmul';
import { WasmKernelArgs as KernelArgs, wrapWasmKernel } from './wasm-kernel-wrap';

/** The compiled addon's interface (native/nextrec_native.cc). */
interface NativeAddon extends NativeFusedKernels, Partial<NativeSequenceKernels>, Partial<NativeReductions>, Partial<NativeDenseParts> {
  sgemm(
    a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transposeA: boolean, transposeB: boolean, strideA: number, strideB: number,
    bias: Float32Array | null, biasStrideBatch: number, biasStrideRow: number, biasStrideCol: number,
    activation: number, leakyAlpha: number,
  ): void;
  /** C_p = op(A_p) op(B_p), p < batch; X_p starts at p * strideX of its view, its rows ldX elements apart. */
  sgemmStrided?(
    a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transposeA: boolean, transposeB: boolean, strideA: number, strideB: number, strideC: number, lda: number, ldb: number, ldc: number,
  ): void;
  setThreads(threads: number): void;
  info(): { library: string; version: string; detail: string };
}

/** What the native kernels run on, e.g. { library: 'oneDNN', version: '2.6.3', detail: 'OpenMP' }. */
export interface NativeKernelsInfo {
  library: string;
  version: string;
  /** oneDNN's threading runtime, or the OpenBLAS core type in use. */
  detail: string;
  /** Short form for logs: 'oneDNN 2.6'. */
  label: string;
}

/** Calls, floating-point operations, wall-clock ms and process CPU ms of one kind of matMul kernel. */
export interface KernelTally {
  calls: number;
  flops: number;
  ms: number;
  /** Process CPU time: steadier than wall-clock time on a shared machine. */
  cpuMs: number;
}

/** Time and work of the matMul kernels since profiling was switched on (see {@link profileMatMulKernels}). */
export interface MatMulProfile {
  native: KernelTally;
  fallback: KernelTally;
}


// codes shared with the addon's Activation enum
const ACTIVATION_CODES: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, elu: 4, leakyrelu: 5 };
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

let addon: NativeAddon | null | undefined;
let loadError = '';
let installedInfo: NativeKernelsInfo | null = null;
let enabled = true;
let profile: MatMulProfile | null = null;

/** Where the addon is: NEXTREC_NATIVE_ADDON, else build/Release/ of this package (same depth from src/ and dist/). */
function addonPath(): string {
  const path = require('path') as typeof import('path');
  return process.env.NEXTREC_NATIVE_ADDON ?? path.join(__dirname, '..', '..', '..', 'build', 'Release', 'nextrec_native.node');
}

/**
 * OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to SSE3 kernels (34 vs ~160 GFLOP/s); it reads
 * OPENBLAS_CORETYPE once, when the library loads. Name the core from the CPU's flags unless the user set one.
 */
function openBlasCoreType(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    const fs = require('fs') as typeof import('fs');
    const flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    if (/\bavx512f\b/.test(flags) && /\bavx512bw\b/.test(flags)) return 'SkylakeX';
    if (/\bavx2\b/.test(flags) && /\bfma\b/.test(flags)) return 'Haswell';
  } catch {
    /* no /proc: let OpenBLAS decide */
  }
  return null;
}

/** Load the compiled addon once; null (with {@link nativeKernelsUnavailableReason}) when it is not built or fails to load. */
export function loadNativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (typeof require === 'undefined' || typeof process === 'undefined' || !process.versions?.node) {
    loadError = 'native kernels need Node';
    return addon;
  }
  const file = addonPath();
  const fs = require('fs') as typeof import('fs');
  if (!fs.existsSync(file)) {
    loadError = `the native addon is not built (${file} is missing; install oneDNN — Debian/Ubuntu: apt-get install libdnnl-dev, macOS: brew install onednn — and a C++ compiler, then run npm rebuild nextrec-ts, or node native/install.js in a checkout; the last build's log is build/native-build.log)`;
    return addon;
  }
  const setCore = process.env.OPENBLAS_CORETYPE === undefined ? openBlasCoreType() : null;
  if (setCore) process.env.OPENBLAS_CORETYPE = setCore;
  try {
    addon = require(file) as NativeAddon;
  } catch (err) {
    loadError = `the native addon ${file} failed to load: ${(err as Error).message}`;
  } finally {
    // read by OpenBLAS at load time only; do not leak it into child processes
    if (setCore) delete process.env.OPENBLAS_CORETYPE;
  }
  return addon;
}

/** Why the native kernels cannot be used ('' when they can). */
export function nativeKernelsUnavailableReason(): string {
  loadNativeAddon();
  return loadError;
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Row-major strides of `shape` broadcast to `target` (0 along broadcast axes); null when it does not broadcast. */
function broadcastStrides(shape: number[], target: number[]): number[] | null {
  if (shape.length > target.length) return null;
  const padded = [...Array(target.length - shape.length).fill(1), ...shape];
  const strides = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = target.length - 1; i >= 0; i--) {
    if (padded[i] === target[i] && target[i] !== 1) strides[i] = stride;
    else if (padded[i] !== 1) return null;
    stride *= padded[i];
  }
  return strides;
}

/**
 * The matMul on the addon, or null to let the replaced kernel run. Output shape [...batch, m, n] as tfjs gives it.
 */
function nativeMatMul(lib: NativeAddon, args: KernelArgs, fused: boolean): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const activation = fused ? String(args.attrs.activation ?? 'linear') : 'linear';
  const code = ACTIVATION_CODES[activation];
  if (code === undefined || preluActivationWeights || (bias && bias.dtype !== 'float32')) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // the replaced kernel raises tfjs's own message
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  } catch {
    return null;
  }
  const batch = size(outBatch);
  const sizeA = size(batchA);
  const sizeB = size(batchB);
  // one operand broadcast whole, or both aligned: anything else (e.g. [2,1] x [1,3] batches) stays on wasm
  if ((sizeA !== batch && sizeA !== 1) || (sizeB !== batch && sizeB !== 1)) return null;
  const outShape = [...outBatch, m, n];
  let biasStrides: number[] | null = null;
  if (bias) {
    const strides = broadcastStrides(bias.shape, outShape);
    if (!strides) return null;
    // the addon indexes the bias as [batch, row, col]: its batch axes are either all broadcast or all present
    const padded = [...Array(outShape.length - bias.shape.length).fill(1), ...bias.shape];
    const biasBatch = padded.slice(0, -2);
    let batchStride: number;
    if (biasBatch.every((d) => d === 1)) batchStride = 0;
    else if (biasBatch.every((d, i) => d === outBatch[i])) batchStride = padded[padded.length - 2] * padded[padded.length - 1];
    else return null;
    biasStrides = [batchStride, strides[strides.length - 2], strides[strides.length - 1]];
  }
  const clock = profile ? startClock() : null;
  const out = args.backend.makeOutput(outShape, 'float32');
  if (batch * m * n > 0) {
    // views are taken after makeOutput: an allocation may grow the heap and detach earlier views
    const av = args.backend.typedArrayFromHeap(a) as Float32Array;
    const bv = args.backend.typedArrayFromHeap(b) as Float32Array;
    const cv = args.backend.typedArrayFromHeap(out) as Float32Array;
    const biasView = bias ? (args.backend.typedArrayFromHeap(bias) as Float32Array) : null;
    lib.sgemm(
      av, bv, cv, batch, m, n, k, transposeA, transposeB, sizeA === 1 ? 0 : m * k, sizeB === 1 ? 0 : k * n,
      biasView, biasStrides?.[0] ?? 0, biasStrides?.[1] ?? 0, biasStrides?.[2] ?? 0, code,
      Number(args.attrs.leakyreluAlpha ?? 0.2),
    );
  }
  if (clock) record(profile!.native, 2 * batch * m * n * k, clock);
  return out;
}

/**
 * The time-major product of time-major-matmul.ts: item n of x [Lx, N, p] is the Lx x p matrix starting at column
 * block n (offset n * p, rows N * p apart), likewise for y and the output, so each item is one strided sgemm.
 */
function nativeTimeMajorMatMul(lib: NativeAddon, args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x!;
  const y = args.inputs.y!;
  if (x.dtype !== 'float32' || y.dtype !== 'float32') throw new Error(`${TIME_MAJOR_MATMUL}: inputs must be float32 (got ${x.dtype}, ${y.dtype})`);
  const { transposeA, transposeB } = args.attrs as unknown as TimeMajorMatMulAttrs;
  const outShape = timeMajorMatMulShape(x.shape, y.shape, transposeA, transposeB);
  const [m, N, n] = outShape;
  const [Lx, , p] = x.shape;
  const r = y.shape[2];
  const k = transposeA ? Lx : p;
  const clock = profile ? startClock() : null;
  const out = args.backend.makeOutput(outShape, 'float32');
  if (m * N * n > 0) {
    const xv = args.backend.typedArrayFromHeap(x) as Float32Array;
    const yv = args.backend.typedArrayFromHeap(y) as Float32Array;
    const cv = args.backend.typedArrayFromHeap(out) as Float32Array;
    lib.sgemmStrided!(xv, yv, cv, N, m, n, k, transposeA, transposeB, p, r, n, N * p, N * r, N * n);
  }
  if (clock) record(profile!.native, 2 * m * N * n * k, clock);
  return out;
}

function startClock(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function record(slot: KernelTally, flops: number, clock: { wall: number; cpu: NodeJS.CpuUsage }): void {
  const cpu = process.cpuUsage(clock.cpu);
  slot.calls++;
  slot.flops += flops;
  slot.ms += performance.now() - clock.wall;
  slot.cpuMs += (cpu.user + cpu.system) / 1000;
}

/** 2 * outputs * k: the multiply-adds of a matMul whose output has `outShape`. */
function matMulFlops(args: KernelArgs, outShape: number[]): number {
  const a = args.inputs.a!;
  const k = args.attrs.transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  return 2 * size(outShape) * k;
}

/**
 * Register the native matMul kernels over the current wasm ones (idempotent). `threads` is the BLAS thread count
 * (the wasm thread count: the wasm workers are idle while a kernel runs on the main thread). Throws with the
 * reason when the addon is not available.
 */
export function installNativeKernels(threads = 1): NativeKernelsInfo {
  const lib = loadNativeAddon();
  if (!lib) throw new Error(loadError);
  lib.setThreads(threads);
  if (installedInfo) return installedInfo;
  for (const name of KERNELS) {
    const fused = name === '_FusedMatMul';
    const replaced = wrapWasmKernel(name, (fallback) => (args) => {
      if (enabled) {
        const out = nativeMatMul(lib, args, fused);
        if (out) return out;
      }
      if (!profile) return fallback(args);
      const clock = startClock();
      const out = fallback(args);
      record(profile.fallback, matMulFlops(args, out.shape), clock);
      return out;
    });
    if (!replaced) throw new Error(`native kernels: the wasm backend has no ${name} kernel to replace (is @tensorflow/tfjs-backend-wasm loaded?)`);
  }
  if (typeof lib.sgemmStrided === 'function' && !tf.getKernel(TIME_MAJOR_MATMUL, 'wasm')) {
    const kernelFunc = (args: KernelArgs) => nativeTimeMajorMatMul(lib, args);
    tf.registerKernel({ kernelName: TIME_MAJOR_MATMUL, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    provideTimeMajorMatMul(() => enabled);
  }
  if (typeof lib.attentionWeightsForward === 'function' && typeof lib.attentionWeightsBackward === 'function') {
    installNativeSequenceKernels(lib as NativeSequenceKernels, () => enabled);
  }
  if (typeof lib.densePartsForward === 'function' && typeof lib.densePartsBackward === 'function') installNativeDenseParts(lib as NativeDenseParts, () => enabled);
  if (typeof lib.sumAxis === 'function') installNativeReductions(lib as NativeReductions, () => enabled);
  // an addon built before the fused kernels existed keeps the JavaScript ones
  if (typeof lib.batchNormActForward === 'function' && typeof lib.adamUpdate === 'function') installNativeFusedKernels(lib, () => enabled);
  const info = lib.info();
  installedInfo = { ...info, label: `${info.library} ${info.version.split('.').slice(0, 2).join('.')}` };
  return installedInfo;
}

/** The native kernels' library, or null when they are not installed in this process. */
export function nativeKernelsInfo(): NativeKernelsInfo | null {
  return installedInfo;
}

/**
 * Route matMuls to the native kernels (true, the default once installed) or to the wasm kernels they replaced
 * (false). For measurements and cross-checks in one process; has no effect before {@link installNativeKernels}.
 */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether matMuls currently run natively. */
export function nativeKernelsActive(): boolean {
  return installedInfo !== null && enabled;
}

/**
 * Start (true) or stop (false) timing the matMul kernels, native and fallback separately; returns the counts
 * gathered so far. Timing reads back nothing: the kernels are synchronous on the main thread.
 */
export function profileMatMulKernels(on: boolean): MatMulProfile | null {
  const sofar = profile;
  const zero = (): KernelTally => ({ calls: 0, flops: 0, ms: 0, cpuMs: 0 });
  profile = on ? { native: zero(), fallback: zero() } : null;
  return sofar;
}

/**
 * The backend probe's policy (backend/index.ts), after wasm has started: `required` (NEXTREC_BACKEND=native)
 * throws a message naming the fix when the addon is missing; otherwise the native kernels are used when they
 * load and silently skipped when they do not. Returns the log label ('oneDNN 2.6') or undefined.
 */
export function attachNativeKernels(required: boolean, threads: number): string | undefined {
  try {
    return installNativeKernels(threads).label;
  } catch (err) {
    if (required) throw new Error(`backend "native" requested but the native kernels are unavailable: ${(err as Error).message}. Unset NEXTREC_BACKEND (or use 'wasm') to run on the wasm kernels`);
    return undefined;
  }
}
