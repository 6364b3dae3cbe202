import * as tf from '@tensorflow/tfjs-core';
import { leanEngineOn } from './lean-switch';

/**
 * Lean wasm engine, gradient half (issue #12): tfjs' Sum and Mean gradients multiply the reshaped upstream
 * gradient by `ones(x.shape)`, an array built on the host and copied in (~3 ms per DeepFM step). Broadcasting
 * the reshaped gradient (tf.broadcastTo, one Tile) gives the same values without it. Registered for every
 * backend: the values are identical, only the work differs. While the switch is off tfjs' own gradients run.
 */
let installed = false;

/** Shape of `x` with the reduced axes kept as 1. */
function keptShape(shape: number[], axis: unknown): number[] {
  const kept = shape.slice();
  for (const a of tf.util.parseAxisParam(axis as number | number[], shape)) kept[a] = 1;
  return kept;
}

/** Re-register the Sum and Mean gradients (idempotent). */
export function installLeanGradients(): void {
  if (installed) return;
  for (const name of ['Sum', 'Mean'] as const) {
    const original = tf.getGradient(name);
    if (!original) continue;
    const mean = name === 'Mean';
    tf.registerGradient({
      ...original,
      gradFunc: (dy, saved, attrs) => {
        if (!leanEngineOn()) return original.gradFunc(dy, saved, attrs);
        const x = saved[0];
        const kept = keptShape(x.shape, (attrs as { axis: unknown }).axis);
        const g = dy as tf.Tensor;
        return {
          x: () => {
            const size = x.size / kept.reduce((p, d) => p * d, 1);
            const scaled = mean ? tf.div(g, size) : g;
            return tf.broadcastTo(tf.reshape(scaled, kept), x.shape);
          },
        };
      },
    });
  }
  installed = true;
}
