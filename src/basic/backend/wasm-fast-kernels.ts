import * as tf from '@tensorflow/tfjs-core';
import { WasmBackendLike, WasmKernelFn as KernelFn, wrapWasmKernel } from './wasm-kernel-wrap';
import { leanEngineOn } from './lean-switch';

/**
 * Host-side replacements for wasm kernels that are slow in tfjs-backend-wasm 4.22 because they move data with a
 * cache-unfriendly generic transpose (measured on [1024, 256]: Transpose 2.3 ms, Sum over axis 0 2.3 ms, versus
 * ~0.2 ms for a blocked copy or a strided accumulation in plain JS). They read and write the wasm heap in place,
 * so no copies cross the JS/wasm boundary. Shapes they do not cover go to the original kernels.
 */

const TILE = 32;

/** out[b][j][i] = x[b][i][j] for a [batch, rows, cols] float32 buffer, in cache-sized tiles. */
export function transposeLastTwo(x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  const plane = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * plane;
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(rows, i0 + TILE);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(cols, j0 + TILE);
        for (let i = i0; i < i1; i++) {
          const src = base + i * cols;
          for (let j = j0; j < j1; j++) out[base + j * rows + i] = x[src + j];
        }
      }
    }
  }
}

/** Sum over the middle axis of a buffer viewed as [outer, reduce, inner]. */
export function sumMiddleAxis(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, scale: number): void {
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let r = 0; r < reduce; r++) {
      const xb = (o * reduce + r) * inner;
      for (let i = 0; i < inner; i++) out[ob + i] += x[xb + i];
    }
  }
  if (scale !== 1) for (let i = 0; i < out.length; i++) out[i] *= scale;
}

/**
 * Sum over the leading axis of a [reduce, inner] buffer, accumulated in float64 row by row (a streaming pass the
 * cache likes). 0.29 ms for [1024, 256] where the [1, R] x [R, C] XNNPACK product re-packs its fresh operand.
 */
export function sumLeadingAxis(x: Float32Array, out: Float32Array, reduce: number, inner: number, scale: number): void {
  const acc = new Float64Array(inner);
  for (let r = 0; r < reduce; r++) {
    const xb = r * inner;
    for (let i = 0; i < inner; i++) acc[i] += x[xb + i];
  }
  for (let i = 0; i < inner; i++) out[i] = acc[i] * scale;
}

/** If `axes` form one contiguous block of dimensions, the [outer, reduce, inner] view of `shape`; else null. */
function contiguousReduction(shape: number[], axes: number[]): { outer: number; reduce: number; inner: number } | null {
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + shape.length : a)))].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  for (let k = 1; k < sorted.length; k++) if (sorted[k] !== sorted[k - 1] + 1) return null;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const prod = (a: number, b: number) => shape.slice(a, b).reduce((p, d) => p * d, 1);
  return { outer: prod(0, first), reduce: prod(first, last + 1), inner: prod(last + 1, shape.length) };
}

function reducedShape(shape: number[], axes: number[], keepDims: boolean): number[] {
  const norm = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!norm.has(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** Transpose on the wasm heap when the permutation swaps the last two axes; null means "not handled". */
export function fastTranspose(x: tf.TensorInfo, perm: number[], backend: WasmBackendLike): tf.TensorInfo | null {
  const r = x.shape.length;
  if (x.dtype !== 'float32' || r < 2) return null;
  for (let i = 0; i < r - 2; i++) if (perm[i] !== i) return null;
  if (perm[r - 2] !== r - 1 || perm[r - 1] !== r - 2) return null;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const batch = x.shape.slice(0, r - 2).reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...x.shape.slice(0, r - 2), cols, rows], 'float32');
  // heap views are taken after makeOutput because an allocation may grow (and detach) the heap
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  transposeLastTwo(src, dst, batch, rows, cols);
  return out;
}

let installed = false;

/** Replace Transpose, Sum and Mean on 'wasm' with the host fast paths above (idempotent). */
export function installFastKernels(): boolean {
  if (installed) return true;
  const ok1 = wrapWasmKernel<KernelFn>('Transpose', (original) => (args) => fastTranspose(args.inputs.x!, args.attrs.perm as number[], args.backend) ?? original(args));
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as unknown as KernelFn;
  const fill = tf.getKernel('Fill', 'wasm')!.kernelFunc as unknown as KernelFn;
  const reshape = tf.getKernel('Reshape', 'wasm')!.kernelFunc as unknown as KernelFn;
  const reduction = (mean: boolean) => (original: KernelFn): KernelFn => (args) => {
    const x = args.inputs.x!;
    // a null axis (reduce everything) is legal here although the typings omit it
    const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape);
    const view = x.dtype === 'float32' ? contiguousReduction(x.shape, axes) : null;
    // a reduction over trailing axes is already contiguous for the wasm kernel, keep it there
    if (!view || view.inner === 1) return original(args);
    const outShape = reducedShape(x.shape, axes, args.attrs.keepDims as boolean);
    if (view.outer === 1 && !leanEngineOn()) {
      // the pre-lean path, kept for A/B measurements: a [1, R] x [R, inner] product (XNNPACK re-packs the fresh
      // operand on every call, 1.4-1.7 ms on [1024, 256])
      const ones = fill({ inputs: {}, backend: args.backend, attrs: { shape: [1, view.reduce], value: mean ? 1 / view.reduce : 1, dtype: 'float32' } });
      const x2 = reshape({ inputs: { x }, backend: args.backend, attrs: { shape: [view.reduce, view.inner] } });
      const prod = matMul({ inputs: { a: ones, b: x2 }, backend: args.backend, attrs: { transposeA: false, transposeB: false } });
      const out = reshape({ inputs: { x: prod }, backend: args.backend, attrs: { shape: outShape } });
      for (const t of [ones, x2, prod]) args.backend.disposeData(t.dataId);
      return out;
    }
    const out = args.backend.makeOutput(outShape, 'float32');
    const src = args.backend.typedArrayFromHeap(x) as Float32Array;
    const dst = args.backend.typedArrayFromHeap(out) as Float32Array;
    const scale = mean ? 1 / view.reduce : 1;
    if (view.outer === 1) sumLeadingAxis(src, dst, view.reduce, view.inner, scale);
    else sumMiddleAxis(src, dst, view.outer, view.reduce, view.inner, scale);
    return out;
  };
  const ok2 = wrapWasmKernel<KernelFn>('Sum', reduction(false));
  const ok3 = wrapWasmKernel<KernelFn>('Mean', reduction(true));
  installed = ok1 && ok2 && ok3;
  return installed;
}
