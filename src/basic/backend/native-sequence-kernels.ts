/**
 * The sequence-model kernels of the native addon registered on 'wasm', in place on the wasm heap: the pointwise
 * softmax / SiLU part of fusedAttention and its dropout multiplier (native/attention_weights.h), layer norm
 * (native/layer_norm.h), the SiLU activation (native/activations.h) and the sampled softmax loss
 * (native/sampled_softmax.h), forward and backward. Node only: reached from native.ts. The layer-facing names and availability checks are in
 * attention-weights.ts and layer-norm-kernel.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_WEIGHTS, ATTENTION_WEIGHTS_GRAD, AttentionWeightsAttrs, provideAttentionWeights } from './attention-weights';
import { DROPOUT_MULTIPLIER, DropoutMultiplierAttrs, provideDropoutMultiplier } from './dropout-kernel';
import { LAYER_NORM, LAYER_NORM_GRAD, provideLayerNorm } from './layer-norm-kernel';
import { provideSampledSoftmax, SAMPLED_SOFTMAX, SAMPLED_SOFTMAX_GRAD } from './sampled-softmax-kernel';
import { provideSilu, SILU, SILU_GRAD } from './silu-kernel';
import { heapFloats, WasmKernelArgs } from './wasm-kernel-wrap';

/** The attention part of the addon's interface (native/nextrec_native.cc). */
export interface NativeSequenceKernels {
  /** shape: [Lk, B, H, Lq, mask strides x4, bias strides x4, dropout strides x4]. */
  attentionWeightsForward(
    scores: Float32Array, mask: Float32Array, bias: Float32Array | null, dropout: Float32Array | null, gate: Float32Array, weights: Float32Array,
    shape: number[], scale: number, softmax: boolean,
  ): void;
  /** dbias: the bias gradient in the bias's own layout (its strides in shape[8..11]), or null. */
  attentionWeightsBackward(
    dw: Float32Array, gate: Float32Array, mask: Float32Array, dropout: Float32Array | null, dz: Float32Array, dbias: Float32Array | null,
    shape: number[], scale: number, softmax: boolean,
  ): void;
  dropoutMultiplier(out: Float32Array, key0: number, key1: number, threshold: number, kept: number): void;
  layerNormForward(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, out: Float32Array, y: Float32Array, r: Float32Array, rows: number, dim: number, epsilon: number): void;
  layerNormBackward(g: Float32Array, y: Float32Array, r: Float32Array, gamma: Float32Array | null, dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null, rows: number, dim: number): void;
  siluForward(x: Float32Array, y: Float32Array): void;
  siluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  sampledSoftmaxForward(pos: Float32Array, neg: Float32Array, loss: Float32Array, lse: Float32Array, rows: number, cols: number): void;
  sampledSoftmaxBackward(dy: Float32Array, pos: Float32Array, neg: Float32Array, lse: Float32Array, dpos: Float32Array, dneg: Float32Array, rows: number, cols: number): void;
}

/** Element strides over the 4 axes of `full` of a tensor broadcast to it (0 on broadcast axes), or an error naming both shapes. */
export function broadcastStrides4(kernel: string, name: string, shape: number[], full: number[]): number[] {
  const padded = [...Array(Math.max(0, 4 - shape.length)).fill(1), ...shape];
  if (padded.length !== 4) throw new Error(`${kernel}: ${name} [${shape}] does not broadcast to [${full}]`);
  const strides = [0, 0, 0, 0];
  let stride = 1;
  for (let i = 3; i >= 0; i--) {
    if (padded[i] === full[i]) strides[i] = full[i] === 1 ? 0 : stride;
    else if (padded[i] !== 1) throw new Error(`${kernel}: ${name} [${shape}] does not broadcast to [${full}]`);
    stride *= padded[i];
  }
  return strides;
}

/** The heap view of an optional input or output. */
function heapView(backend: WasmKernelArgs['backend'], t: tf.TensorInfo | undefined): Float32Array | null {
  return t ? heapFloats(backend, t) : null;
}

/** [Lk, B, H, Lq, mask strides x4, bias strides x4, dropout strides x4] as the addon's attention kernels read it (zeros for an absent operand). */
function attentionShapeArg(kernel: string, full: number[], mask: number[], bias: number[] | null, dropout: number[] | null): number[] {
  const strides = (name: string, shape: number[] | null) => (shape ? broadcastStrides4(kernel, name, shape, full) : [0, 0, 0, 0]);
  return [...full, ...strides('mask', mask), ...strides('bias', bias), ...strides('dropout', dropout)];
}

function float32(kernel: string, inputs: Record<string, tf.TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) if (t && t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32 (got ${t.dtype})`);
}

function checkFull(kernel: string, name: string, t: tf.TensorInfo, full: number[]): void {
  if (t.shape.length !== 4 || t.shape.some((d, i) => d !== full[i])) throw new Error(`${kernel}: ${name} must have shape [${full}] (got [${t.shape}])`);
}

/** [rows, dim] of a rank-2 input, or an error. */
function matrix(kernel: string, name: string, t: tf.TensorInfo | undefined): [number, number] {
  if (!t || t.shape.length !== 2 || t.shape[1] < 1) throw new Error(`${kernel}: ${name} must be a [rows, dim] matrix (got [${t?.shape}])`);
  return [t.shape[0], t.shape[1]];
}

function installLayerNorm(lib: NativeSequenceKernels, active: () => boolean): void {
  if (!tf.getKernel(LAYER_NORM, 'wasm')) {
    const forward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { x, gamma, beta } = args.inputs;
      float32(LAYER_NORM, args.inputs);
      const [rows, dim] = matrix(LAYER_NORM, 'x', x);
      if ((gamma && gamma.shape.join() !== `${dim}`) || (beta && beta.shape.join() !== `${dim}`) || Boolean(gamma) !== Boolean(beta)) {
        throw new Error(`${LAYER_NORM}: gamma and beta must both be [${dim}] or both absent`);
      }
      const outs = [[rows, dim], [rows, dim], [rows, 1]].map((s) => args.backend.makeOutput(s, 'float32'));
      const view = (t: tf.TensorInfo | undefined) => heapView(args.backend, t);
      const [out, y, r] = outs.map((o) => view(o)!);
      lib.layerNormForward(view(x)!, view(gamma), view(beta), out, y, r, rows, dim, Number((args.attrs as { epsilon: number }).epsilon));
      return outs;
    };
    tf.registerKernel({ kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel(LAYER_NORM_GRAD, 'wasm')) {
    const backward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { g, y, r, gamma } = args.inputs;
      float32(LAYER_NORM_GRAD, args.inputs);
      const [rows, dim] = matrix(LAYER_NORM_GRAD, 'g', g);
      const [yr, yd] = matrix(LAYER_NORM_GRAD, 'y', y);
      if (yr !== rows || yd !== dim || r!.shape.join() !== `${rows},1` || (gamma && gamma.shape.join() !== `${dim}`)) {
        throw new Error(`${LAYER_NORM_GRAD}: expected g, y [${rows}, ${dim}], r [${rows}, 1] and gamma [${dim}] (got [${y!.shape}], [${r!.shape}], [${gamma?.shape}])`);
      }
      const outs = (gamma ? [[rows, dim], [dim], [dim]] : [[rows, dim]]).map((s) => args.backend.makeOutput(s, 'float32'));
      const view = (t: tf.TensorInfo | undefined) => heapView(args.backend, t);
      const [dx, dgamma, dbeta] = outs.map((o) => view(o)!);
      lib.layerNormBackward(view(g)!, view(y)!, view(r)!, view(gamma), dx, dgamma ?? null, dbeta ?? null, rows, dim);
      return outs;
    };
    tf.registerKernel({ kernelName: LAYER_NORM_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as tf.KernelFunc });
  }
  provideLayerNorm(active);
}

function installSilu(lib: NativeSequenceKernels, active: () => boolean): void {
  // an empty tensor has no heap view to hand the addon (and nothing to compute)
  const nonEmpty = (t: tf.TensorInfo) => t.shape.every((d) => d > 0);
  if (!tf.getKernel(SILU, 'wasm')) {
    const forward = (args: WasmKernelArgs): tf.TensorInfo => {
      const { x } = args.inputs;
      float32(SILU, args.inputs);
      const y = args.backend.makeOutput(x!.shape, 'float32');
      if (nonEmpty(x!)) lib.siluForward(heapFloats(args.backend, x!), heapFloats(args.backend, y));
      return y;
    };
    tf.registerKernel({ kernelName: SILU, backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel(SILU_GRAD, 'wasm')) {
    const backward = (args: WasmKernelArgs): tf.TensorInfo => {
      const { dy, x } = args.inputs;
      float32(SILU_GRAD, args.inputs);
      if (dy!.shape.join() !== x!.shape.join()) throw new Error(`${SILU_GRAD}: dy [${dy!.shape}] and x [${x!.shape}] must have the same shape`);
      const dx = args.backend.makeOutput(x!.shape, 'float32');
      if (nonEmpty(x!)) lib.siluBackward(heapFloats(args.backend, dy!), heapFloats(args.backend, x!), heapFloats(args.backend, dx));
      return dx;
    };
    tf.registerKernel({ kernelName: SILU_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as tf.KernelFunc });
  }
  provideSilu(active);
}

/** [rows, N] of neg and a check that pos, and any other per-row input, is [rows]. */
function sampledShape(kernel: string, inputs: Record<string, tf.TensorInfo | undefined>, perRow: string[]): [number, number] {
  float32(kernel, inputs);
  const neg = inputs.neg!;
  if (neg.shape.length !== 2) throw new Error(`${kernel}: neg must be [rows, negatives] (got [${neg.shape}])`);
  const [rows, cols] = neg.shape;
  for (const name of perRow) {
    const t = inputs[name]!;
    if (t.shape.length !== 1 || t.shape[0] !== rows) throw new Error(`${kernel}: ${name} must be [${rows}] (got [${t.shape}])`);
  }
  return [rows, cols];
}

function installSampledSoftmax(lib: NativeSequenceKernels, active: () => boolean): void {
  if (!tf.getKernel(SAMPLED_SOFTMAX, 'wasm')) {
    const forward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const [rows, cols] = sampledShape(SAMPLED_SOFTMAX, args.inputs, ['pos']);
      const outs = [[rows], [rows]].map((s) => args.backend.makeOutput(s, 'float32'));
      const view = (t: tf.TensorInfo) => heapFloats(args.backend, t);
      const { pos, neg } = args.inputs;
      if (rows > 0) lib.sampledSoftmaxForward(view(pos!), cols > 0 ? view(neg!) : new Float32Array(0), view(outs[0]), view(outs[1]), rows, cols);
      return outs;
    };
    tf.registerKernel({ kernelName: SAMPLED_SOFTMAX, backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel(SAMPLED_SOFTMAX_GRAD, 'wasm')) {
    const backward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const [rows, cols] = sampledShape(SAMPLED_SOFTMAX_GRAD, args.inputs, ['dy', 'pos', 'lse']);
      const outs = [[rows], [rows, cols]].map((s) => args.backend.makeOutput(s, 'float32'));
      const view = (t: tf.TensorInfo) => heapFloats(args.backend, t);
      const planar = (t: tf.TensorInfo) => (cols > 0 ? view(t) : new Float32Array(0));
      const { dy, pos, neg, lse } = args.inputs;
      if (rows > 0) lib.sampledSoftmaxBackward(view(dy!), view(pos!), planar(neg!), view(lse!), view(outs[0]), planar(outs[1]), rows, cols);
      return outs;
    };
    tf.registerKernel({ kernelName: SAMPLED_SOFTMAX_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as tf.KernelFunc });
  }
  provideSampledSoftmax(active);
}

/** Register the kernels (idempotent; layer norm only with an addon that has it); `active()` says whether the native kernels are switched on. */
export function installNativeSequenceKernels(lib: NativeSequenceKernels, active: () => boolean): void {
  if (!tf.getKernel(ATTENTION_WEIGHTS, 'wasm')) {
    const forward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { scores, mask, bias, dropout } = args.inputs;
      const { full, softmax, scale } = args.attrs as unknown as AttentionWeightsAttrs;
      float32(ATTENTION_WEIGHTS, args.inputs);
      checkFull(ATTENTION_WEIGHTS, 'scores', scores!, full);
      const shape = attentionShapeArg(ATTENTION_WEIGHTS, full, mask!.shape, bias?.shape ?? null, dropout?.shape ?? null);
      const gate = args.backend.makeOutput(full, 'float32');
      const weights = args.backend.makeOutput(full, 'float32');
      const view = (t: tf.TensorInfo | undefined) => heapView(args.backend, t);
      lib.attentionWeightsForward(view(scores)!, view(mask)!, view(bias), view(dropout), view(gate)!, view(weights)!, shape, scale, softmax);
      return [gate, weights];
    };
    tf.registerKernel({ kernelName: ATTENTION_WEIGHTS, backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel(ATTENTION_WEIGHTS_GRAD, 'wasm')) {
    const backward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { dw, gate, mask, dropout } = args.inputs;
      const { full, softmax, scale, biasShape } = args.attrs as unknown as AttentionWeightsAttrs;
      float32(ATTENTION_WEIGHTS_GRAD, args.inputs);
      checkFull(ATTENTION_WEIGHTS_GRAD, 'dw', dw!, full);
      checkFull(ATTENTION_WEIGHTS_GRAD, 'gate', gate!, full);
      const shape = attentionShapeArg(ATTENTION_WEIGHTS_GRAD, full, mask!.shape, biasShape ?? null, dropout?.shape ?? null);
      const outs = [full, ...(biasShape ? [biasShape] : [])].map((s) => args.backend.makeOutput(s, 'float32'));
      const view = (t: tf.TensorInfo | undefined) => heapView(args.backend, t);
      const [dz, dbias] = outs.map((o) => view(o)!);
      lib.attentionWeightsBackward(view(dw)!, view(gate)!, view(mask)!, view(dropout), dz, dbias ?? null, shape, scale, softmax);
      return outs;
    };
    tf.registerKernel({ kernelName: ATTENTION_WEIGHTS_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as tf.KernelFunc });
  }
  provideAttentionWeights(active);
  if (typeof lib.layerNormForward === 'function' && typeof lib.layerNormBackward === 'function') installLayerNorm(lib, active);
  if (typeof lib.siluForward === 'function' && typeof lib.siluBackward === 'function') installSilu(lib, active);
  if (typeof lib.sampledSoftmaxForward === 'function' && typeof lib.sampledSoftmaxBackward === 'function') installSampledSoftmax(lib, active);
  if (typeof lib.dropoutMultiplier === 'function' && !tf.getKernel(DROPOUT_MULTIPLIER, 'wasm')) {
    const kernel = (args: WasmKernelArgs): tf.TensorInfo => {
      const { shape, key0, key1, threshold, kept } = args.attrs as unknown as DropoutMultiplierAttrs;
      const out = args.backend.makeOutput(shape, 'float32');
      if (shape.every((d) => d > 0)) lib.dropoutMultiplier(heapFloats(args.backend, out), key0, key1, threshold, kept);
      return out;
    };
    tf.registerKernel({ kernelName: DROPOUT_MULTIPLIER, backendName: 'wasm', kernelFunc: kernel as unknown as tf.KernelFunc });
    provideDropoutMultiplier(active);
  }
}
