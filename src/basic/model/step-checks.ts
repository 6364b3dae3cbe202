import * as tf from '@tensorflow/tfjs-core';
import { leanEngineOn } from '../backend/lean-switch';

/** The epochs and batch size of a training loop, defaulted and validated (errors name the calling method). */
export function checkLoopOptions(what: string, opts: { epochs?: number; batchSize?: number }): { epochs: number; batchSize: number } {
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 1024;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${what}: epochs must be a positive integer (got ${opts.epochs})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batchSize must be a positive integer (got ${opts.batchSize})`);
  return { epochs, batchSize };
}

/** One host read for all dense gradients (a sum is finite only if every term is), then the embedding gradients. */
export function gradientsFinite(dense: tf.Tensor[], blocks: Float32Array[]): boolean {
  if (dense.length && leanEngineOn()) {
    // one host pass over the values (a copy out of the heap) instead of an Abs and a Sum kernel per gradient
    for (const g of dense) {
      const v = g.dataSync() as Float32Array;
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
    }
  } else if (dense.length) {
    const total = tf.tidy(() => tf.addN(dense.map((g) => tf.sum(tf.abs(g)))));
    const v = total.dataSync()[0];
    total.dispose();
    if (!Number.isFinite(v)) {
      // a huge but finite sum can overflow: check one tensor at a time before calling it non-finite
      for (const g of dense) {
        const ok = tf.tidy(() => tf.all(tf.isFinite(g)));
        const finite = ok.dataSync()[0] === 1;
        ok.dispose();
        if (!finite) return false;
      }
    }
  }
  for (const b of blocks) for (let i = 0; i < b.length; i++) if (!Number.isFinite(b[i])) return false;
  return true;
}
