/**
 * Records a tfjs computation as a list of kernel calls by running it on a tracing backend: a MathBackendCPU
 * registered under its own name, with every cpu kernel registered again for it wrapped so that each call
 * logs its kernel name, attributes and input/output tensors. The recorded list is what the ONNX translator
 * reads; no model needs a second, hand-written forward.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { withGraphCapture } from '../graph-capture';

export const TRACE_BACKEND = 'nextrec-onnx-trace';

/** One recorded kernel call. */
export interface TracedKernel {
  kernelName: string;
  attrs: Record<string, unknown>;
  /** Inputs in the kernel's own order (named map or array, as tfjs passes them). */
  inputs: Array<{ name: string; info: tf.TensorInfo }>;
  outputs: tf.TensorInfo[];
}

let recorder: ((k: TracedKernel) => void) | null = null;

function ensureTraceBackend(): void {
  if (tf.findBackendFactory(TRACE_BACKEND) != null) return;
  tf.registerBackend(TRACE_BACKEND, () => new MathBackendCPU(), -1);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const inner = config.kernelFunc;
    tf.registerKernel({
      ...config,
      backendName: TRACE_BACKEND,
      kernelFunc: (args) => {
        const out = inner(args);
        if (recorder) {
          const inputs = Object.entries(args.inputs).filter(([, info]) => info != null).map(([name, info]) => ({ name, info: info as tf.TensorInfo }));
          recorder({ kernelName: config.kernelName, attrs: { ...(args.attrs ?? {}) }, inputs, outputs: Array.isArray(out) ? out : [out as tf.TensorInfo] });
        }
        return out;
      },
    });
  }
}

/** The backend that holds a tensor's data during a trace (to read values of constants). */
export function traceBackend(): tf.KernelBackend {
  return tf.findBackend(TRACE_BACKEND) as tf.KernelBackend;
}

/**
 * Run `fn` on the tracing backend, calling `onKernel` for each kernel it runs, then switch back to the
 * previous backend (tensors created meanwhile move back lazily, as tfjs moves data between backends).
 */
export async function traceKernels<T>(fn: () => T, onKernel: (k: TracedKernel) => void): Promise<T> {
  ensureTraceBackend();
  const previous = tf.getBackend();
  if (!(await tf.setBackend(TRACE_BACKEND))) throw new Error('ONNX export: the tracing backend failed to initialise');
  recorder = onKernel;
  try {
    return withGraphCapture(fn);
  } finally {
    recorder = null;
    await tf.setBackend(previous);
  }
}
