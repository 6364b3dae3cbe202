import * as tf from '@tensorflow/tfjs-core';

/** `compile({ clipNorm, clipValue })`. */
export interface ClipOptions {
  /** Rescale all gradients together so that their global L2 norm is at most this (dense + touched embedding rows). */
  clipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue] (applied before clipNorm when both are set). */
  clipValue?: number;
}

/** Check clip options; errors name the field. */
export function validateClip(opts: ClipOptions): void {
  for (const k of ['clipNorm', 'clipValue'] as const) {
    const v = opts[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`compile: ${k} must be a positive number (got ${JSON.stringify(v)})`);
  }
}

/**
 * Clip one step's gradients in place: `dense` entries are replaced by clipped tensors (returned, for the caller
 * to dispose with the rest), `sparse` host arrays (summed gradients of the touched embedding rows) are rescaled.
 * Returns the global norm before clipping (NaN when clipNorm is off).
 */
export function clipGradients(dense: tf.NamedTensorMap, sparse: readonly Float32Array[], opts: ClipOptions): { created: tf.Tensor[]; norm: number } {
  const created: tf.Tensor[] = [];
  const names = Object.keys(dense);
  if (opts.clipValue !== undefined) {
    const c = opts.clipValue;
    for (const n of names) {
      const t = tf.clipByValue(dense[n], -c, c);
      created.push(t);
      dense[n] = t;
    }
    for (const g of sparse) for (let i = 0; i < g.length; i++) g[i] = g[i] > c ? c : g[i] < -c ? -c : g[i];
  }
  if (opts.clipNorm === undefined) return { created, norm: NaN };
  let sq = 0;
  if (names.length) {
    const total = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(dense[n])))));
    sq += total.dataSync()[0];
    total.dispose();
  }
  for (const g of sparse) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  if (norm > opts.clipNorm) {
    const scale = opts.clipNorm / norm;
    for (const n of names) {
      const t = tf.mul(dense[n], scale);
      created.push(t);
      dense[n] = t;
    }
    for (const g of sparse) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return { created, norm };
}
