import * as tf from '@tensorflow/tfjs-core';
import { WasmBackendLike, wrapWasmKernel } from './wasm-kernel-wrap';
import { leanEngineOn } from './lean-switch';

/**
 * Lean wasm engine, kernel half (issue #12): tfjs-core clones every tensor it saves for the backward pass and the
 * wasm Identity kernel copies the memory (87 copies, ~3 ms per DeepFM step). No wasm kernel writes into its inputs,
 * so a clone can share the input's buffer under the backend's reference count, exactly as the wasm Reshape kernel
 * already does. Tile (what the Sum/Mean gradients broadcast with, see lean-gradients.ts) runs as block copies on
 * the wasm heap instead of the generic per-element C loop.
 */

/** Identity that shares the input's buffer (reference counted) instead of copying it. */
export function identityByReference(x: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

type Typed = Float32Array | Int32Array | Uint8Array;

/** Runs up to this many elements are repeated by a plain loop (a [P, 1] -> [P, D] gradient broadcast is P of them). */
const SMALL_BLOCK = 256;

/**
 * out = tile(x, reps) over flat buffers: each block is written once and then doubled with copyWithin (memmove),
 * so tiling a [1, C] row to [R, C] is ~log2(R) moves.
 */
export function tileInto(x: Typed, out: Typed, shape: number[], reps: number[]): void {
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const srcStride = new Array<number>(rank).fill(1);
  const dstStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    srcStride[d] = srcStride[d + 1] * shape[d + 1];
    dstStride[d] = dstStride[d + 1] * outShape[d + 1];
  }
  const repeatBlock = (dstOff: number, block: number, times: number) => {
    const total = block * times;
    if (total <= SMALL_BLOCK) {
      // a short run is cheaper written element by element than through copyWithin calls
      for (let i = dstOff + block, end = dstOff + total; i < end; i++) out[i] = out[i - block];
      return;
    }
    let filled = block;
    while (filled < total) {
      const len = Math.min(filled, total - filled);
      out.copyWithin(dstOff + filled, dstOff, dstOff + len);
      filled += len;
    }
  };
  const fill = (d: number, srcOff: number, dstOff: number) => {
    if (d === rank - 1) {
      if (shape[d] === 1) out[dstOff] = x[srcOff];
      else out.set(x.subarray(srcOff, srcOff + shape[d]), dstOff);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, srcOff + i * srcStride[d], dstOff + i * dstStride[d]);
    }
    repeatBlock(dstOff, shape[d] * (d === rank - 1 ? 1 : dstStride[d]), reps[d]);
  };
  if (rank === 0) out[0] = x[0];
  else fill(0, 0, 0);
}

/** The parts of tfjs-core's engine the shared-buffer clone uses (internal API, pinned by test/lean-engine.test.ts). */
interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: object): void };
  state: { activeScope: { name: string }; tensorInfo: Map<object, { backend: unknown }> };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromDataId(dataId: object, shape: number[], dtype: tf.DataType): tf.Tensor;
  addTapeNode(name: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], grad: (dy: tf.Tensor) => Record<string, () => tf.Tensor>, saved: tf.Tensor[], attrs: object): void;
}

/**
 * The engine clones each tensor it saves for the backward pass through the Identity kernel: one kernel dispatch
 * per saved tensor (61 per DeepFM step) even when Identity shares the buffer. On wasm, with the lean engine on,
 * the clone becomes a new tensor handle on the same reference-counted buffer with the same tape entry.
 */
function installSharedClone(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.clone.bind(engine);
  engine.clone = (x: tf.Tensor): tf.Tensor => {
    if (!leanEngineOn() || engine.backendName !== 'wasm' || x.dtype === 'string' || engine.state.tensorInfo.get(x.dataId)?.backend !== engine.backend) return original(x);
    const y = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
    engine.backend.incRef(x.dataId);
    engine.addTapeNode(engine.state.activeScope.name, { x }, [y], (dy) => ({ x: () => tf.cast(dy, 'float32') }), [], {});
    return y;
  };
}

let installed = false;

/** Replace Identity and Tile on 'wasm' (idempotent); both defer to the original kernels while the switch is off. */
export function installLeanKernels(): boolean {
  if (installed) return true;
  const ok1 = wrapWasmKernel('Identity', (original) => (args) => {
    const x = args.inputs.x!;
    return leanEngineOn() && x.dtype !== 'string' ? identityByReference(x, args.backend) : original(args);
  });
  const ok2 = wrapWasmKernel('Tile', (original) => (args) => {
    const x = args.inputs.x!;
    if (!leanEngineOn() || x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const reps = args.attrs.reps as number[];
    const out = args.backend.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
    // heap views after makeOutput: an allocation may grow (and detach) the heap
    tileInto(args.backend.typedArrayFromHeap(x), args.backend.typedArrayFromHeap(out), x.shape, reps);
    return out;
  });
  installed = ok1 && ok2;
  if (installed) installSharedClone();
  return installed;
}
