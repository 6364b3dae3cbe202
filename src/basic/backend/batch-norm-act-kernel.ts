import * as tf from '@tensorflow/tfjs-core';
import { hasHostKernel, HostKernel, registerHostKernel } from './host-kernel';
import { BatchNormActSimd, batchNormActSimdFor } from './simd/batch-norm-act-simd';
import { heapFloats, WasmKernelArgs, WasmMultiKernelFn, wrapWasmKernel } from './wasm-kernel-wrap';

/**
 * Training-mode batch normalisation over the batch axis of [B, C], fused with its activation, as one kernel forward
 * and one backward (issue #12: the composed version is ~12 kernels forward and ~20 backward per MLP layer, two of
 * them axis-0 reductions). Forward, per channel c, with biased batch statistics:
 *   mu = mean_b x, var = mean_b (x - mu)^2, xhat = (x - mu) / sqrt(var + eps), y = act(gamma xhat + beta)
 * Backward, with g = dy * act'(gamma xhat + beta):
 *   dbeta = sum_b g, dgamma = sum_b g xhat, dx = gamma / (B sqrt(var + eps)) * (B g - dbeta - xhat dgamma)
 * Kernels for 'wasm' (in place on the heap) and 'cpu'; other backends use the composed ops (see `hasBatchNormAct`).
 * On 'wasm' the loops run as WebAssembly SIMD (simd/batch-norm-act.wat, same arithmetic) where they can, else as the
 * JavaScript below; the native addon, when installed, registers its kernels above both (native-fused-kernels.ts).
 */
export const BATCH_NORM_ACT = 'NextrecBatchNormAct';
export const BATCH_NORM_ACT_GRAD = 'NextrecBatchNormActGrad';

/** Activations the fused kernel applies itself. */
export type FusedBatchNormActivation = 'linear' | 'relu';

interface Attrs {
  epsilon: number;
  activation: FusedBatchNormActivation;
}

/** Forward over flat buffers: fills y [B, C], mean [C] and (biased) variance [C]. Float64 accumulation. */
export function batchNormActForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, cols: number, attrs: Attrs, y: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const sum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) sum[c] += x[o + c];
  }
  const mu = new Float64Array(cols);
  for (let c = 0; c < cols; c++) mu[c] = sum[c] / rows;
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const d = x[o + c] - mu[c];
      sq[c] += d * d;
    }
  }
  const scale = new Float64Array(cols);
  const shift = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const v = sq[c] / rows;
    mean[c] = mu[c];
    variance[c] = v;
    scale[c] = gamma[c] / Math.sqrt(v + attrs.epsilon);
    shift[c] = beta[c] - mu[c] * scale[c];
  }
  const relu = attrs.activation === 'relu';
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const pre = x[o + c] * scale[c] + shift[c];
      y[o + c] = relu && pre < 0 ? 0 : pre;
    }
  }
}

/** Backward over flat buffers: fills dx [B, C], dgamma [C], dbeta [C]. */
export function batchNormActBackward(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array,
  rows: number, cols: number, attrs: Attrs, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const inv = new Float64Array(cols);
  for (let c = 0; c < cols; c++) inv[c] = 1 / Math.sqrt(variance[c] + attrs.epsilon);
  const relu = attrs.activation === 'relu';
  const sumG = new Float64Array(cols);
  const sumGx = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[o + c] - mean[c]) * inv[c];
      // relu' is 0 where the pre-activation is <= 0, as tfjs' Relu gradient (step) has it
      const g = relu && xhat * gamma[c] + beta[c] <= 0 ? 0 : dy[o + c];
      sumG[c] += g;
      sumGx[c] += g * xhat;
    }
  }
  const k = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    dbeta[c] = sumG[c];
    dgamma[c] = sumGx[c];
    k[c] = (gamma[c] * inv[c]) / rows;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[o + c] - mean[c]) * inv[c];
      const g = relu && xhat * gamma[c] + beta[c] <= 0 ? 0 : dy[o + c];
      dx[o + c] = k[c] * (rows * g - sumG[c] - xhat * sumGx[c]);
    }
  }
}

const forwardKernel: HostKernel<Attrs> = (inputs, attrs, io) => {
  const [rows, cols] = inputs.x.shape;
  const out = io.alloc([[rows, cols], [cols], [cols]]);
  const [y, mean, variance] = out.views();
  batchNormActForward(io.read(inputs.x), io.read(inputs.gamma), io.read(inputs.beta), rows, cols, attrs, y, mean, variance);
  return out.infos;
};

const backwardKernel: HostKernel<Attrs> = (inputs, attrs, io) => {
  const [rows, cols] = inputs.x.shape;
  const out = io.alloc([[rows, cols], [cols], [cols]]);
  const [dx, dgamma, dbeta] = out.views();
  const r = (k: string) => io.read(inputs[k]);
  batchNormActBackward(r('dy'), r('x'), r('gamma'), r('beta'), r('mean'), r('variance'), rows, cols, attrs, dx, dgamma, dbeta);
  return out.infos;
};

let simdEnabled = true;
let simdCalls = 0;

/** Let the wasm kernels run as WebAssembly SIMD where they can (default on); off: the JavaScript loops. For tests. */
export function setBatchNormActSimd(on: boolean): void {
  simdEnabled = on;
}

/** How many kernel calls (forward and backward) the SIMD code has run in this process. For tests. */
export function batchNormActSimdCalls(): number {
  return simdCalls;
}

type SimdCall = (kernels: BatchNormActSimd, pointers: number[], rows: number, cols: number, epsilon: number, relu: number) => void;

/**
 * Run a wasm kernel call as SIMD: every input float32, x [rows >= 1, cols] with cols a multiple of 4, the per-column
 * inputs [cols]; else null (the JavaScript kernel handles or rejects the call).
 */
function runSimd(args: WasmKernelArgs, names: string[], call: SimdCall): tf.TensorInfo[] | null {
  const x = args.inputs.x;
  if (!simdEnabled || !x || x.shape.length !== 2 || x.shape[0] < 1 || x.shape[1] < 4 || x.shape[1] % 4 !== 0) return null;
  const [rows, cols] = x.shape;
  for (const n of names) {
    const t = args.inputs[n];
    if (!t || t.dtype !== 'float32' || t.shape.reduce((p, d) => p * d, 1) !== (t.shape.length === 2 ? rows * cols : cols)) return null;
  }
  const kernels = batchNormActSimdFor(args.backend);
  if (!kernels) return null;
  // every output allocated before any pointer is taken (an allocation may grow the heap and move the views)
  const outs = [[rows, cols], [cols], [cols]].map((s) => args.backend.makeOutput(s, 'float32'));
  const pointers = [...names.map((n) => args.inputs[n]!), ...outs].map((t) => heapFloats(args.backend, t).byteOffset);
  const { epsilon, activation } = args.attrs as unknown as Attrs;
  call(kernels, pointers, rows, cols, epsilon, activation === 'relu' ? 1 : 0);
  simdCalls++;
  return outs;
}

function installSimdKernels(): void {
  wrapWasmKernel<WasmMultiKernelFn>(BATCH_NORM_ACT, (original) => (args) =>
    runSimd(args, ['x', 'gamma', 'beta'], (k, p, rows, cols, eps, relu) => k.forward(p[0], p[1], p[2], p[3], p[4], p[5], rows, cols, eps, relu)) ?? original(args));
  wrapWasmKernel<WasmMultiKernelFn>(BATCH_NORM_ACT_GRAD, (original) => (args) =>
    runSimd(args, ['dy', 'x', 'gamma', 'beta', 'mean', 'variance'], (k, p, rows, cols, eps, relu) =>
      k.backward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], rows, cols, eps, relu)) ?? original(args));
}

let registered = false;

/** Register the two kernels on 'wasm' (SIMD over the JavaScript loops) and 'cpu' and the forward kernel's gradient (idempotent). */
export function registerBatchNormAct(): void {
  if (registered) return;
  registered = true;
  registerHostKernel(BATCH_NORM_ACT, forwardKernel);
  registerHostKernel(BATCH_NORM_ACT_GRAD, backwardKernel);
  installSimdKernels();
  tf.registerGradient({
    kernelName: BATCH_NORM_ACT,
    inputsToSave: ['x', 'gamma', 'beta'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      // the statistics outputs feed only the moving averages (not differentiated); their dy is zeros
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, gamma, beta, mean, variance] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_ACT_GRAD, { dy, x, gamma, beta, mean, variance }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/** Whether the current backend has the fused kernels. */
export function hasBatchNormAct(): boolean {
  registerBatchNormAct();
  return hasHostKernel(BATCH_NORM_ACT);
}

/** The fused training-mode batch norm + activation: y [B, C] and the batch mean and (biased) variance [C]. */
export function batchNormAct(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, activation: FusedBatchNormActivation): { y: tf.Tensor2D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  registerBatchNormAct();
  const attrs: Attrs = { epsilon, activation };
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_ACT, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y as tf.Tensor2D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
