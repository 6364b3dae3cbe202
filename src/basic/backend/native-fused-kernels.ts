/**
 * The lean engine's fused host kernels run by the native addon in place on the wasm heap: batch norm + activation
 * forward and backward (native/batch_norm_act.h: the formulas and float64 arithmetic of batch-norm-act-kernel.ts),
 * the dense Adam update (native/optimizers.h: bit-identical to optimizer-kernels.ts) and the loop reductions of
 * Sum / Mean over leading or middle axes (native/reductions.h: bit-identical to wasm-fast-kernels.ts). The JavaScript loops stay
 * the kernels of wasm-only installs (and of the cpu backend) and the fallback whenever the native kernels are
 * switched off. Node only: reached from native.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_ACT, BATCH_NORM_ACT_GRAD, registerBatchNormAct } from './batch-norm-act-kernel';
import { ADAM_UPDATE, ADAM_UPDATE_MANY, adamManyInputs, AdamAttrs, registerOptimizerKernels } from './optimizer-kernels';
import { leanEngineOn } from './lean-switch';
import { contiguousReduction, reducedShape } from './wasm-fast-kernels';
import { heapFloats, WasmKernelArgs, WasmKernelFn, WasmMultiKernelFn, wrapWasmKernel } from './wasm-kernel-wrap';

/** The fused-kernel part of the addon's interface (native/nextrec_native.cc). */
export interface NativeFusedKernels {
  /** constants: [beta1, 1 - beta1, beta2, 1 - beta2, correction1, correction2, epsilon, -lr], float32-rounded. */
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array, constants: Float32Array): void;
  batchNormActForward(
    x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
    rows: number, cols: number, epsilon: number, relu: boolean,
  ): void;
  batchNormActBackward(
    dy: Float32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, cols: number, epsilon: number, relu: boolean,
  ): void;
}

/** The reduction part of the addon's interface: out[o, i] = scale * sum_r x[o, r, i] over [outer, reduce, inner]. */
export interface NativeReductions {
  sumAxis(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, scale: number): void;
}

/**
 * Register native Sum / Mean over a contiguous block of non-trailing axes above the wasm fast kernels (which run
 * the same loops in JavaScript); trailing-axis reductions and the pre-lean path stay with the kernels they wrap.
 */
export function installNativeReductions(lib: NativeReductions, active: () => boolean): boolean {
  let ok = true;
  for (const [name, mean] of [['Sum', false], ['Mean', true]] as const) {
    ok = wrapWasmKernel<WasmKernelFn>(name, (original) => (args) => {
      const x = args.inputs.x;
      if (!active() || !x || x.dtype !== 'float32') return original(args);
      const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape);
      const view = contiguousReduction(x.shape, axes);
      if (!view || view.inner === 1 || (view.outer === 1 && !leanEngineOn())) return original(args);
      const out = args.backend.makeOutput(reducedShape(x.shape, axes, Boolean(args.attrs.keepDims)), 'float32');
      lib.sumAxis(heapFloats(args.backend, x), heapFloats(args.backend, out), view.outer, view.reduce, view.inner, mean ? 1 / view.reduce : 1);
      return out;
    }) && ok;
  }
  return ok;
}

/** [rows, cols] of a float32 rank-2 input with at least one row, else null (the JS kernel handles or rejects it). */
function matrixShape(x: tf.TensorInfo | undefined): [number, number] | null {
  if (!x || x.dtype !== 'float32' || x.shape.length !== 2 || x.shape[0] < 1) return null;
  return [x.shape[0], x.shape[1]];
}

/** Allocate the outputs, then read every view (an allocation may move the heap). */
function run(args: WasmKernelArgs, inputNames: string[], outShapes: number[][], call: (views: Float32Array[]) => void): tf.TensorInfo[] {
  const outs = outShapes.map((s) => args.backend.makeOutput(s, 'float32'));
  const inputs = inputNames.map((n) => heapFloats(args.backend, args.inputs[n]!));
  call([...inputs, ...outs.map((o) => heapFloats(args.backend, o))]);
  return outs;
}

function allFloat32(args: WasmKernelArgs, names: string[]): boolean {
  return names.every((n) => args.inputs[n]?.dtype === 'float32');
}

/**
 * Register the native batch-norm and Adam kernels over the wasm host kernels; called once, by installNativeKernels.
 * `active()` is read on every call: false routes to the JavaScript kernels they replaced.
 */
export function installNativeFusedKernels(lib: NativeFusedKernels, active: () => boolean): boolean {
  registerBatchNormAct();
  const forwardInputs = ['x', 'gamma', 'beta'];
  const ok1 = wrapWasmKernel<WasmMultiKernelFn>(BATCH_NORM_ACT, (original) => (args) => {
    const shape = matrixShape(args.inputs.x);
    if (!active() || !shape || !allFloat32(args, forwardInputs)) return original(args);
    const [rows, cols] = shape;
    const { epsilon, activation } = args.attrs as { epsilon: number; activation: string };
    return run(args, forwardInputs, [[rows, cols], [cols], [cols]], ([x, gamma, beta, y, mean, variance]) =>
      lib.batchNormActForward(x, gamma, beta, y, mean, variance, rows, cols, epsilon, activation === 'relu'));
  });
  const backwardInputs = ['dy', 'x', 'gamma', 'beta', 'mean', 'variance'];
  const ok2 = wrapWasmKernel<WasmMultiKernelFn>(BATCH_NORM_ACT_GRAD, (original) => (args) => {
    const shape = matrixShape(args.inputs.x);
    if (!active() || !shape || !allFloat32(args, backwardInputs)) return original(args);
    const [rows, cols] = shape;
    const { epsilon, activation } = args.attrs as { epsilon: number; activation: string };
    return run(args, backwardInputs, [[rows, cols], [cols], [cols]], ([dy, x, gamma, beta, mean, variance, dx, dgamma, dbeta]) =>
      lib.batchNormActBackward(dy, x, gamma, beta, mean, variance, dx, dgamma, dbeta, rows, cols, epsilon, activation === 'relu'));
  });
  registerOptimizerKernels();
  const adamInputs = ['w', 'g', 'm', 'v'];
  const constants = new Float32Array(8);
  const ok3 = wrapWasmKernel<WasmMultiKernelFn>(ADAM_UPDATE, (original) => (args) => {
    if (!active() || !allFloat32(args, adamInputs)) return original(args);
    const a = args.attrs as unknown as AdamAttrs;
    // the constants as the JavaScript kernel rounds them
    constants.set([a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction1, a.correction2, a.epsilon, -a.lr]);
    const shape = args.inputs.w!.shape;
    return run(args, adamInputs, [shape, shape, shape], ([w, g, m, v, wOut, mOut, vOut]) => lib.adamUpdate(w, g, m, v, wOut, mOut, vOut, constants));
  });
  const ok4 = wrapWasmKernel<WasmMultiKernelFn>(ADAM_UPDATE_MANY, (original) => (args) => {
    const a = args.attrs as unknown as AdamAttrs & { count: number };
    const names = Array.from({ length: a.count }, (_, i) => adamManyInputs(i));
    if (!active() || !allFloat32(args, names.flat())) return original(args);
    constants.set([a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction1, a.correction2, a.epsilon, -a.lr]);
    const shapes = names.flatMap(([w]) => { const s = args.inputs[w]!.shape; return [s, s, s]; });
    return run(args, names.flat(), shapes, (views) => {
      // inputs first (w, g, m, v per parameter), then the outputs (w', m', v' per parameter)
      const outBase = 4 * a.count;
      for (let i = 0; i < a.count; i++) {
        const [w, g, m, v] = views.slice(4 * i, 4 * i + 4);
        const [wOut, mOut, vOut] = views.slice(outBase + 3 * i, outBase + 3 * i + 3);
        lib.adamUpdate(w, g, m, v, wOut, mOut, vOut, constants);
      }
    });
  });
  return ok1 && ok2 && ok3 && ok4;
}
