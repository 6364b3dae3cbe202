import * as tf from '@tensorflow/tfjs-core';
import { WasmBackendLike, WasmKernelArgs, WasmKernelFn as KernelFn, wrapWasmKernel } from './wasm-kernel-wrap';
import { leanEngineOn } from './lean-switch';

/**
 * Host-side replacements for wasm kernels that are slow in tfjs-backend-wasm 4.22 because they move data with a
 * cache-unfriendly generic transpose (measured on [1024, 256]: Transpose 2.3 ms, Sum over axis 0 2.3 ms, versus
 * ~0.2 ms for a blocked copy or a strided accumulation in plain JS). They read and write the wasm heap in place,
 * so no copies cross the JS/wasm boundary. Shapes they do not cover go to the original kernels.
 */

/**
 * Tile edge of the blocked transpose. A tile writes TILE output rows `rows` floats apart; when that stride is a
 * multiple of 256 bytes the rows share a few L1 sets and 32 of them thrash an 8-way cache ([1024, 112]: 1.1 ms with
 * 32, 0.5 ms with 8), while for other strides the larger tile wins ([112, 1024]: 0.29 ms with 32, 0.49 ms with 8).
 */
function tileEdge(rows: number): number {
  return rows % 64 === 0 ? 8 : 32;
}

/** out[b][j][i] = x[b][i][j] for a [batch, rows, cols] float32 buffer, in cache-sized tiles. */
export function transposeLastTwo(x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  const plane = rows * cols;
  const TILE = tileEdge(rows);
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
export function contiguousReduction(shape: number[], axes: number[]): { outer: number; reduce: number; inner: number } | null {
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + shape.length : a)))].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  for (let k = 1; k < sorted.length; k++) if (sorted[k] !== sorted[k - 1] + 1) return null;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const prod = (a: number, b: number) => shape.slice(a, b).reduce((p, d) => p * d, 1);
  return { outer: prod(0, first), reduce: prod(first, last + 1), inner: prod(last + 1, shape.length) };
}

export function reducedShape(shape: number[], axes: number[], keepDims: boolean): number[] {
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

/**
 * dst = src[begin : begin + size] of a row-major buffer of `shape`, as a few contiguous block copies: the innermost
 * axes taken whole and the first partial axis form one run. (The wasm Slice kernel first copies the whole input
 * out of the heap with readSync, and SplitV runs that once per output: 5.5 ms for DCNv2's [1024, 240] concat
 * gradient, 16 ms per HSTU step.)
 */
export function sliceInto(src: Typed, dst: Typed, shape: number[], begin: number[], size: number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k]) k--;
  const run = size[k] * strides[k];
  let out = 0;
  const copy = (d: number, offset: number) => {
    if (d === k) {
      const from = offset + begin[k] * strides[k];
      dst.set(src.subarray(from, from + run), out);
      out += run;
      return;
    }
    for (let i = 0; i < size[d]; i++) copy(d + 1, offset + (begin[d] + i) * strides[d]);
  };
  if (size.every((n) => n > 0)) copy(0, 0);
}

type Typed = Float32Array | Int32Array | Uint8Array;

function sliceOnHeap(x: tf.TensorInfo, begin: number[], size: number[], backend: WasmBackendLike): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // heap views after makeOutput: an allocation may grow (and detach) the heap
  sliceInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, begin, size);
  return out;
}

let installed = false;

/** Replace Transpose, Sum, Mean, Slice and SplitV on 'wasm' with the host fast paths above (idempotent). */
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
  const ok4 = wrapWasmKernel<KernelFn>('Slice', (original) => (args) => {
    const x = args.inputs.x!;
    if (x.dtype === 'string') return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin as number[], args.attrs.size as number[]);
    return sliceOnHeap(x, begin, size, args.backend);
  });
  const ok5 = wrapWasmKernel<(args: WasmKernelArgs) => tf.TensorInfo[]>('SplitV', (original) => (args) => {
    const x = args.inputs.x!;
    if (x.dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[axis] = n;
      const out = sliceOnHeap(x, begin, size, args.backend);
      begin[axis] += n;
      return out;
    });
  });
  installed = ok1 && ok2 && ok3 && ok4 && ok5;
  return installed;
}
