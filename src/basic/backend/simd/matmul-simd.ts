import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, WasmKernelArgs } from '../wasm-kernel-wrap';
import { MATMUL_WASM_BASE64 } from './matmul.wasm.generated';
import { simdInstanceFor } from './wasm-simd-loader';

/** The kernels of matmul.wat (WebAssembly SIMD) bound to one tfjs-backend-wasm heap; pointers are byte offsets. */
export interface MatMulSimd {
  /** C[p] = A[p]^T B[p] for p < batch: A [rows, m], B [rows, n], C [m, n]; batch, rows, m, n >= 1. */
  matMulTransposeA(a: number, b: number, c: number, batch: number, rows: number, m: number, n: number): void;
  /**
   * C[p] = act(A[p] B[p] + bias) for p < batch: A [m, depth], B [depth, n], C [m, n]; batch, m, depth, n >= 1; bias:
   * pointer to n floats or 0 for none; relu: 1 for pmax(0, v) (NaN and -0 give +0, as XNNPACK's clamp), 0 for linear.
   */
  matMul(a: number, b: number, c: number, batch: number, m: number, depth: number, n: number, bias: number, relu: number): void;
}

// the kernel reads whole vectors at the tails: up to 28 bytes past the end of B and C, 12 past A
const OVER_READ_BYTES = 32;

let simdEnabled = true;
let simdCalls = 0;
let simdTransposeBEnabled = true;
let simdForwardEnabled = true;

/** Let transposed-A matMuls on 'wasm' run as WebAssembly SIMD where they qualify (default on); off: transpose + XNNPACK. For tests. */
export function setMatMulSimd(on: boolean): void {
  simdEnabled = on;
}

/** Let A B^T run as SIMD where measured faster (default on; needs {@link setMatMulSimd} on too). For measurements. */
export function setMatMulSimdTransposeB(on: boolean): void {
  simdTransposeBEnabled = on;
}

/** Let untransposed A B (+ bias, relu) run as SIMD where measured faster (default on; needs {@link setMatMulSimd} on too). */
export function setMatMulSimdForward(on: boolean): void {
  simdForwardEnabled = on;
}

/** How many matMul calls the SIMD kernel has run in this process. For tests. */
export function matMulSimdCalls(): number {
  return simdCalls;
}

/** The SIMD matMul kernels on the heap of `backend`, or null where they cannot run (see {@link simdInstanceFor}). */
export function matMulSimdFor(backend: object): MatMulSimd | null {
  return simdInstanceFor<MatMulSimd>(MATMUL_WASM_BASE64, backend)?.kernels ?? null;
}

/**
 * Whether C = A^T B with A [rows, m], B [rows, n] (per matrix) is faster as the SIMD kernel than as the transpose +
 * XNNPACK route, as measured by benchmarks/simd-matmul.ts (fresh operands, 1 thread; docs/performance.md). XNNPACK
 * re-packs B on every call and the transposed copy of A costs a pass, both O(rows (m + n)) work the SIMD kernel
 * skips, so SIMD wins 1.3-7x on every dense-layer gradient of the model zoo (m, n <= 768, any rows). XNNPACK's
 * larger register tiles win once C is large: m or n >= 1024 (0.6-0.9x, e.g. [1024, 1024] x [1024, 1024], [256, 1024] x
 * [256, 128]), or C over 640 x 640 ([1024, 768] x [1024, 768]: 0.91x), unless one side is at most 16 wide
 * ([1024, 2048] x [1024, 16]: 2.4x). The number of rows did not move the break-even (16 to 25,600 measured).
 */
export function simdTransposeAFaster(m: number, n: number): boolean {
  const [small, large] = m < n ? [m, n] : [n, m];
  return (large < 1024 && m * n <= 640 * 640) || (small <= 16 && large <= 2048);
}

/**
 * Two float32 operands of equal rank >= 2 with the same leading (batch) shape: the operands, that shape, its size and
 * each operand's last two dimensions; null when they do not qualify.
 */
function float32Pair(a: tf.TensorInfo | undefined, b: tf.TensorInfo | undefined): { a: tf.TensorInfo; b: tf.TensorInfo; lead: number[]; batch: number; aDims: number[]; bDims: number[] } | null {
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank) return null;
  const lead = a.shape.slice(0, rank - 2);
  if (lead.some((d, i) => d !== b.shape[i])) return null;
  return { a, b, lead, batch: lead.reduce((p, d) => p * d, 1), aDims: a.shape.slice(rank - 2), bDims: b.shape.slice(rank - 2) };
}

/**
 * Allocate the output [...lead, m, n], then hand the kernel the byte offsets of `operands` and the output (views taken
 * after the allocation, which may grow the heap); null, with the output released, when the heap ends too close to a
 * view for the kernel's vector over-reads.
 */
function runOnHeap(
  args: WasmKernelArgs, instance: { memory: WebAssembly.Memory }, outShape: number[], operands: tf.TensorInfo[],
  call: (out: number, ...pointers: number[]) => void,
): tf.TensorInfo | null {
  const out = args.backend.makeOutput(outShape, 'float32');
  const views = [out, ...operands].map((t) => heapFloats(args.backend, t));
  const heapBytes = instance.memory.buffer.byteLength;
  if (views.some((v) => v.byteOffset + v.byteLength + OVER_READ_BYTES > heapBytes)) {
    args.backend.disposeData(out.dataId);
    return null;
  }
  const [o, ...rest] = views.map((v) => v.byteOffset);
  call(o, ...rest);
  simdCalls++;
  return out;
}

/**
 * BatchMatMul / _FusedMatMul with transposeA only (and, fused, no bias, no prelu weights, linear activation) as the
 * SIMD kernel, reading A and B in place on the heap; null when the call does not qualify (the caller takes the
 * transpose + XNNPACK route): SIMD off or unavailable, not float32, different leading (batch) shapes, an empty
 * dimension, a heap too short for the kernel's over-reads, or a shape where the measured rule prefers XNNPACK.
 */
export function simdMatMulTransposeA(args: WasmKernelArgs): tf.TensorInfo | null {
  if (!simdEnabled) return null;
  const { transposeA, transposeB, activation } = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  if (!transposeA || transposeB) return null;
  if (args.inputs.bias || args.inputs.preluActivationWeights || (activation !== undefined && activation !== 'linear')) return null;
  const pair = float32Pair(args.inputs.a, args.inputs.b);
  if (!pair) return null;
  const { a, b, lead, batch, aDims: [rows, m], bDims: [rowsB, n] } = pair;
  if (rows !== rowsB || rows < 1 || m < 1 || n < 1 || batch < 1) return null;
  if (!simdTransposeAFaster(m, n)) return null;
  const instance = simdInstanceFor<MatMulSimd>(MATMUL_WASM_BASE64, args.backend);
  if (!instance) return null;
  return runOnHeap(args, instance, [...lead, m, n], [a, b], (pc, pa, pb) => instance.kernels.matMulTransposeA(pa, pb, pc, batch, rows, m, n));
}

/**
 * Whether C = A B with A [m, depth] and B [depth, n] (the transposed weight of dx = dy W^T, materialised by the caller)
 * is faster as the SIMD kernel than as XNNPACK, as measured by benchmarks/simd-matmul.ts --form tB (fresh operands,
 * 1 thread): 1.1-1.4x for the model zoo's dx products (depth, n 16-768, any m) and 1.4-6.7x for n = 1, where XNNPACK
 * packs B for nothing; XNNPACK wins for depth < 16 (0.6-0.85x at depth 1-4: the kernel's per-block set-up is not
 * paid back), n >= 1024 (0.5-0.6x) or a B of 512 x 512 and more (0.96-0.98x).
 */
export function simdTransposeBFaster(m: number, depth: number, n: number): boolean {
  void m;
  return depth >= 16 && n < 1024 && depth * n < 512 * 512;
}

/**
 * The untransposed product a b of a transposeB call whose B the caller has already transposed (`bT`), as the SIMD
 * kernel; null when it does not qualify (same conditions as {@link simdMatMulTransposeA}, transposeB instead of
 * transposeA, and {@link simdTransposeBFaster}).
 */
export function simdMatMulTransposedB(args: WasmKernelArgs, bT: tf.TensorInfo): tf.TensorInfo | null {
  if (!simdEnabled || !simdTransposeBEnabled) return null;
  const { transposeA, transposeB, activation } = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  if (transposeA || !transposeB) return null;
  if (args.inputs.bias || args.inputs.preluActivationWeights || (activation !== undefined && activation !== 'linear')) return null;
  const pair = float32Pair(args.inputs.a, bT);
  if (!pair) return null;
  const { a, lead, batch, aDims: [m, depth], bDims: [depthB, n] } = pair;
  if (depth !== depthB || m < 1 || depth < 1 || n < 1 || batch < 1) return null;
  if (!simdTransposeBFaster(m, depth, n)) return null;
  const instance = simdInstanceFor<MatMulSimd>(MATMUL_WASM_BASE64, args.backend);
  if (!instance) return null;
  return runOnHeap(args, instance, [...lead, m, n], [a, bT], (pc, pa, pb) => instance.kernels.matMul(pa, pb, pc, batch, m, depth, n, 0, 0));
}

/**
 * Whether out = act(A B + bias) with A [m, depth], B [depth, n] (a dense layer's forward product, B its weight: a new
 * tensor every training step, so XNNPACK packs it on every call) is faster as the SIMD kernel than as XNNPACK, as
 * measured by benchmarks/simd-matmul.ts --form fwd / fwd-linear (fresh operands, 1 thread; docs/performance.md):
 * the break-even is the one of the dx products (same kernel, same operand layout): 1.15-1.35x for the model zoo's
 * layers (depth, n 16-368, rows 64-25,600), 1.03-1.4x for n = 1; XNNPACK wins for depth < 16 (0.91-0.93x at depth
 * 4-8), n >= 1024 (0.6x at [1024, 256] x [256, 1024]) and B of 512 x 512 (0.98-1.0x).
 */
export function simdForwardFaster(m: number, depth: number, n: number): boolean {
  return simdTransposeBFaster(m, depth, n);
}

/**
 * BatchMatMul / _FusedMatMul untransposed as the SIMD kernel with its bias + relu epilogue, reading A, B and the bias
 * in place; null when the call does not qualify (the caller runs XNNPACK): SIMD or the forward route off or
 * unavailable, not float32, different leading (batch) shapes, an empty dimension, prelu weights, an activation other
 * than linear / relu, a bias other than [n] (a [1, n] one goes to tfjs, which rejects it), a heap too short for the over-reads, or a shape where the
 * measured rule prefers XNNPACK.
 */
export function simdMatMulForward(args: WasmKernelArgs): tf.TensorInfo | null {
  if (!simdEnabled || !simdForwardEnabled) return null;
  const { transposeA, transposeB, activation } = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  if (transposeA || transposeB) return null;
  if (args.inputs.preluActivationWeights) return null;
  if (activation !== undefined && activation !== 'linear' && activation !== 'relu') return null;
  const bias = args.inputs.bias;
  const pair = float32Pair(args.inputs.a, args.inputs.b);
  if (!pair) return null;
  const { a, b, lead, batch, aDims: [m, depth], bDims: [depthB, n] } = pair;
  if (depth !== depthB || m < 1 || depth < 1 || n < 1 || batch < 1) return null;
  // tfjs-backend-wasm's _FusedMatMul takes a rank-1 bias only (it throws on others, and still does: they go there)
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n || bias.dtype !== 'float32')) return null;
  if (!simdForwardFaster(m, depth, n)) return null;
  const instance = simdInstanceFor<MatMulSimd>(MATMUL_WASM_BASE64, args.backend);
  if (!instance) return null;
  const relu = activation === 'relu' ? 1 : 0;
  return runOnHeap(args, instance, [...lead, m, n], [a, b, ...(bias ? [bias] : [])], (pc, pa, pb, pBias) =>
    instance.kernels.matMul(pa, pb, pc, batch, m, depth, n, pBias ?? 0, relu));
}
