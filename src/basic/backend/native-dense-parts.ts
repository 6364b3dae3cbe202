/**
 * The column-block dense kernels of the native addon (densePartsForward / densePartsBackward in
 * native/nextrec_native.cc) registered on 'wasm', in place on the wasm heap. Node only: reached from native.ts; the
 * layer-facing names and the availability check are in dense-parts-kernel.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_PARTS, DENSE_PARTS_GRAD, DensePartsAttrs, provideDenseParts } from './dense-parts-kernel';
import { heapFloats, WasmKernelArgs } from './wasm-kernel-wrap';

/** The column-block dense part of the addon's interface. */
export interface NativeDenseParts {
  densePartsForward(x: Float32Array, kernel: Float32Array, bias: Float32Array | null, outs: Float32Array[], rows: number, inDim: number, units: number, widths: number[]): void;
  densePartsBackward(
    x: Float32Array, kernel: Float32Array, dys: Float32Array[], dx: Float32Array, dkernel: Float32Array, dbias: Float32Array | null,
    rows: number, inDim: number, units: number, widths: number[],
  ): void;
}

/** [rows, in, units] after checking x [rows, in], kernel [in, units] and that every input is float32. */
function shapes(kernelName: string, inputs: Record<string, tf.TensorInfo | undefined>, widths: number[]): [number, number, number] {
  for (const [name, t] of Object.entries(inputs)) if (t && t.dtype !== 'float32') throw new Error(`${kernelName}: ${name} must be float32 (got ${t.dtype})`);
  const { x, kernel } = inputs;
  if (!x || !kernel || x.shape.length !== 2 || kernel.shape.length !== 2 || x.shape[1] !== kernel.shape[0]) {
    throw new Error(`${kernelName}: expected x [rows, in] and kernel [in, units] (got [${x?.shape}] and [${kernel?.shape}])`);
  }
  const units = kernel.shape[1];
  if (widths.reduce((a, b) => a + b, 0) !== units || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`${kernelName}: block widths [${widths}] must be positive integers summing to the kernel's ${units} columns`);
  }
  return [x.shape[0], x.shape[1], units];
}

/** Register the kernels (idempotent); `active()` says whether the native kernels are switched on. */
export function installNativeDenseParts(lib: NativeDenseParts, active: () => boolean): void {
  // a view of an empty tensor is never handed to the addon: there is nothing to compute
  const view = (args: WasmKernelArgs, t: tf.TensorInfo) => (t.shape.every((d) => d > 0) ? heapFloats(args.backend, t) : new Float32Array(0));
  if (!tf.getKernel(DENSE_PARTS, 'wasm')) {
    const forward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { widths } = args.attrs as unknown as DensePartsAttrs;
      const [rows, inDim, units] = shapes(DENSE_PARTS, args.inputs, widths);
      const { x, kernel, bias } = args.inputs;
      if (bias && bias.shape.join() !== `${units}`) throw new Error(`${DENSE_PARTS}: bias must be [${units}] (got [${bias.shape}])`);
      const outs = widths.map((w) => args.backend.makeOutput([rows, w], 'float32'));
      if (rows > 0) lib.densePartsForward(view(args, x!), view(args, kernel!), bias ? view(args, bias) : null, outs.map((o) => view(args, o)), rows, inDim, units, widths);
      return outs;
    };
    tf.registerKernel({ kernelName: DENSE_PARTS, backendName: 'wasm', kernelFunc: forward as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel(DENSE_PARTS_GRAD, 'wasm')) {
    const backward = (args: WasmKernelArgs): tf.TensorInfo[] => {
      const { widths, hasBias } = args.attrs as unknown as DensePartsAttrs & { hasBias: boolean };
      const [rows, inDim, units] = shapes(DENSE_PARTS_GRAD, args.inputs, widths);
      const dys = widths.map((w, p) => {
        const dy = args.inputs[`dy${p}`];
        if (!dy || dy.shape.join() !== `${rows},${w}`) throw new Error(`${DENSE_PARTS_GRAD}: dy${p} must be [${rows}, ${w}] (got [${dy?.shape}])`);
        return dy;
      });
      const outs = [[rows, inDim], [inDim, units], ...(hasBias ? [[units]] : [])].map((s) => args.backend.makeOutput(s, 'float32'));
      const [dx, dkernel, dbias] = outs.map((o) => view(args, o));
      if (rows > 0) {
        lib.densePartsBackward(view(args, args.inputs.x!), view(args, args.inputs.kernel!), dys.map((d) => view(args, d)), dx, dkernel, dbias ?? null, rows, inDim, units, widths);
      } else {
        dkernel.fill(0);
        dbias?.fill(0);
      }
      return outs;
    };
    tf.registerKernel({ kernelName: DENSE_PARTS_GRAD, backendName: 'wasm', kernelFunc: backward as unknown as tf.KernelFunc });
  }
  provideDenseParts(active);
}
