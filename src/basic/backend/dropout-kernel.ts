import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * The dropout multiplier: 1 / keep where a counter-based hash of (element index, seed) falls below keep, else 0.
 * tf.dropout draws its mask from a sequential generator (seedrandom's Alea) called once per element from
 * JavaScript (~20 ns per element) and then runs three elementwise kernels; a sequential generator also cannot be
 * vectorised in a native kernel (~6 ns per element: 19 ms of a 127 ms SASRec step). A hash of the index needs no
 * state between elements, so the native kernel (native/attention_weights.h) vectorises it and the JavaScript loop
 * here computes the same 32-bit integers: both engines draw the same mask for the same seed, and a model trains
 * the same with and without the native kernels. Registered on 'wasm' only with the native kernels (native.ts).
 */

export const DROPOUT_MULTIPLIER = 'NextrecDropoutMultiplier';

/** Attributes: the output shape and the hash keys, threshold and kept value of {@link dropoutMask}. */
export interface DropoutMultiplierAttrs {
  shape: number[];
  key0: number;
  key1: number;
  threshold: number;
  kept: number;
}

const gate = new NativeKernelGate(DROPOUT_MULTIPLIER);

/** Called by the native kernels' installer once the kernel is registered. */
export function provideDropoutMultiplier(isActive: () => boolean): void {
  gate.provide(isActive);
}

/** Whether {@link dropoutMultiplierKernel} runs natively on the current backend now. */
export function dropoutMultiplierKernelAvailable(): boolean {
  return gate.available();
}

/** 32-bit finaliser (Wellons' lowbias32): every input bit affects every output bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The integers that define the mask for `seed` and `keep`: two hash keys from the seed (all of its bits up to 2^53),
 * the threshold round(keep x 2^24) on the hash's top 24 bits, and the kept value 1 / keep in float32.
 */
function dropoutMask(keep: number, seed: number): { key0: number; key1: number; threshold: number; kept: number } {
  if (!(keep > 0 && keep <= 1)) throw new Error(`dropout: keep = 1 - rate must be in (0, 1] (got ${keep})`);
  if (!Number.isFinite(seed)) throw new Error(`dropout: the seed must be a finite number (got ${seed})`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  const key0 = mix32((low ^ 0x6a09e667) >>> 0);
  const key1 = mix32((key0 ^ high ^ 0xbb67ae85) >>> 0);
  return { key0, key1, threshold: Math.round(keep * 16777216), kept: Math.fround(1 / keep) };
}

/** The dropout multiplier of shape `shape` for `keep` = 1 - rate and `seed`, as one native kernel call. */
export function dropoutMultiplierKernel(shape: number[], keep: number, seed: number): tf.Tensor {
  const attrs: DropoutMultiplierAttrs = { shape, ...dropoutMask(keep, seed) };
  return tf.engine().runKernel(DROPOUT_MULTIPLIER, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * The same n multipliers computed in JavaScript (engines without the native kernel): element i is kept, with value
 * 1 / keep, iff the top 24 bits of mix32(mix32(i * 0x9e3779b9 + key0) ^ key1) are below round(keep x 2^24).
 */
export function dropoutMultiplierValues(n: number, keep: number, seed: number): Float32Array {
  const { key0, key1, threshold, kept } = dropoutMask(keep, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (mix32((mix32((Math.imul(i, 0x9e3779b9) + key0) >>> 0) ^ key1) >>> 0) >>> 8 < threshold) out[i] = kept;
  }
  return out;
}
