import * as tf from '@tensorflow/tfjs-core';
import { HostKernel, registerHostKernel } from './host-kernel';
import { adamSimdFor } from './simd/adam-simd';
import { heapFloats, WasmKernelArgs, WasmMultiKernelFn, wrapWasmKernel } from './wasm-kernel-wrap';

/**
 * Kernels for the dense Adam / Adagrad / SGD updates (issue #12): tfjs runs each update as a chain of ~12 (Adam),
 * 6 (Adagrad) or 2 (SGD) elementwise kernels per variable; here one kernel per parameter, and for Adam also one
 * kernel for all parameters of a step (ADAM_UPDATE_MANY, what FusedAdamOptimizer uses). The loops follow tfjs' formulas
 * term by term (rounding each stored state to float32), so trajectories agree with tfjs' optimizers to float
 * rounding and their saved state stays interchangeable.
 * On 'wasm' the Adam loop runs as WebAssembly SIMD (simd/adam.wat, bit-identical) where it can, else as the
 * JavaScript below; the native addon, when installed, registers its kernels above both (native-fused-kernels.ts).
 */
export const ADAM_UPDATE = 'NextrecAdamUpdate';
export const ADAGRAD_UPDATE = 'NextrecAdagradUpdate';
export const SGD_UPDATE = 'NextrecSgdUpdate';
/** Adam over several parameters in one kernel call: inputs w0, g0, m0, v0, w1, ...; outputs w0', m0', v0', w1', ... */
export const ADAM_UPDATE_MANY = 'NextrecAdamUpdateMany';

/** Input names of parameter `i` in an {@link ADAM_UPDATE_MANY} call. */
export const adamManyInputs = (i: number): [string, string, string, string] => [`w${i}`, `g${i}`, `m${i}`, `v${i}`];

export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t for this step t. */
  correction1: number;
  correction2: number;
}

/** Adam: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, w' = w - lr (m'/c1) / (sqrt(v'/c2) + eps). */
export function adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, a: AdamAttrs, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const f = Math.fround;
  const b1 = f(a.beta1);
  const b2 = f(a.beta2);
  const ob1 = f(1 - a.beta1);
  const ob2 = f(1 - a.beta2);
  const c1 = f(a.correction1);
  const c2 = f(a.correction2);
  const eps = f(a.epsilon);
  const negLr = f(-a.lr);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * ob1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * ob2));
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] + f(f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps)) * negLr);
  }
}

/** Adagrad: acc' = acc + g^2, w' = w - lr g / sqrt(acc' + eps). */
export function adagradUpdate(w: Float32Array, g: Float32Array, acc: Float32Array, a: { lr: number; epsilon: number }, wOut: Float32Array, accOut: Float32Array): void {
  const f = Math.fround;
  const eps = f(a.epsilon);
  const negLr = f(-a.lr);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const ai = f(acc[i] + f(gi * gi));
    accOut[i] = ai;
    wOut[i] = w[i] + f(f(gi / f(Math.sqrt(f(ai + eps)))) * negLr);
  }
}

/** SGD: w' = w - lr g. */
export function sgdUpdate(w: Float32Array, g: Float32Array, a: { lr: number }, wOut: Float32Array): void {
  const c = Math.fround(-a.lr);
  for (let i = 0; i < w.length; i++) wOut[i] = w[i] + Math.fround(c * g[i]);
}

const adam: HostKernel<AdamAttrs> = (inputs, attrs, io) => {
  const shape = inputs.w.shape;
  const out = io.alloc([shape, shape, shape]);
  const [w, m, v] = out.views();
  adamUpdate(io.read(inputs.w), io.read(inputs.g), io.read(inputs.m), io.read(inputs.v), attrs, w, m, v);
  return out.infos;
};
const adamMany: HostKernel<AdamAttrs & { count: number }> = (inputs, attrs, io) => {
  const names = Array.from({ length: attrs.count }, (_, i) => adamManyInputs(i));
  const out = io.alloc(names.flatMap(([w]) => [inputs[w].shape, inputs[w].shape, inputs[w].shape]));
  const views = out.views();
  names.forEach(([w, g, m, v], i) => adamUpdate(io.read(inputs[w]), io.read(inputs[g]), io.read(inputs[m]), io.read(inputs[v]), attrs, views[3 * i], views[3 * i + 1], views[3 * i + 2]));
  return out.infos;
};
const adagrad: HostKernel<{ lr: number; epsilon: number }> = (inputs, attrs, io) => {
  const shape = inputs.w.shape;
  const out = io.alloc([shape, shape]);
  const [w, acc] = out.views();
  adagradUpdate(io.read(inputs.w), io.read(inputs.g), io.read(inputs.acc), attrs, w, acc);
  return out.infos;
};
const sgd: HostKernel<{ lr: number }> = (inputs, attrs, io) => {
  const out = io.alloc([inputs.w.shape]);
  sgdUpdate(io.read(inputs.w), io.read(inputs.g), attrs, out.views()[0]);
  return out.infos;
};

let simdEnabled = true;
let simdCalls = 0;

/** Let the wasm Adam kernels run as WebAssembly SIMD where they can (default on); off: the JavaScript loop. For tests and measurements. */
export function setAdamSimd(on: boolean): void {
  simdEnabled = on;
}

/** How many Adam kernel calls (one per ADAM_UPDATE_MANY call, however many parameters) the SIMD code has run. For tests. */
export function adamSimdCalls(): number {
  return simdCalls;
}

/**
 * Run a wasm Adam call over the parameters `names` (w, g, m, v each) as SIMD, in place on the heap; null when SIMD is
 * off or cannot run here, or an input is not float32 or differs in size from its w (the JavaScript kernel then
 * handles or rejects the call).
 */
function runAdamSimd(args: WasmKernelArgs, names: [string, string, string, string][]): tf.TensorInfo[] | null {
  if (!simdEnabled) return null;
  const sizes: number[] = [];
  for (const group of names) {
    const size = args.inputs[group[0]] ? tf.util.sizeFromShape(args.inputs[group[0]]!.shape) : -1;
    for (const n of group) {
      const t = args.inputs[n];
      if (!t || t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== size) return null;
    }
    sizes.push(size);
  }
  const kernels = adamSimdFor(args.backend);
  if (!kernels) return null;
  // every output allocated before any pointer is taken (an allocation may grow the heap and move the views)
  const outs = names.flatMap(([w]) => { const s = args.inputs[w]!.shape; return [s, s, s].map((shape) => args.backend.makeOutput(shape, 'float32')); });
  const a = args.attrs as unknown as AdamAttrs;
  // float64 constants; the call converts each to float32 as Math.fround does in adamUpdate
  const [b1, ob1, b2, ob2, c1, c2, eps, negLr] = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction1, a.correction2, a.epsilon, -a.lr];
  const at = (t: tf.TensorInfo) => heapFloats(args.backend, t).byteOffset;
  names.forEach(([w, g, m, v], i) => {
    const p = (n: string) => at(args.inputs[n]!);
    kernels.adam(p(w), p(g), p(m), p(v), at(outs[3 * i]), at(outs[3 * i + 1]), at(outs[3 * i + 2]), sizes[i], b1, ob1, b2, ob2, c1, c2, eps, negLr);
  });
  simdCalls++;
  return outs;
}

function installAdamSimd(): void {
  wrapWasmKernel<WasmMultiKernelFn>(ADAM_UPDATE, (original) => (args) => runAdamSimd(args, [['w', 'g', 'm', 'v']]) ?? original(args));
  wrapWasmKernel<WasmMultiKernelFn>(ADAM_UPDATE_MANY, (original) => (args) => {
    const count = (args.attrs as { count?: number }).count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return original(args);
    return runAdamSimd(args, Array.from({ length: count }, (_, i) => adamManyInputs(i))) ?? original(args);
  });
}

let registered = false;

/** Register the update kernels on 'wasm' (Adam: SIMD over the JavaScript loop) and 'cpu' (idempotent). */
export function registerOptimizerKernels(): void {
  if (registered) return;
  registered = true;
  registerHostKernel(ADAM_UPDATE, adam);
  registerHostKernel(ADAM_UPDATE_MANY, adamMany);
  registerHostKernel(ADAGRAD_UPDATE, adagrad);
  registerHostKernel(SGD_UPDATE, sgd);
  installAdamSimd();
}

/** Run an update kernel; returns its outputs (new weights first). */
export function runUpdate(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}
