import * as tf from '@tensorflow/tfjs-core';
import * as seedrandom from 'seedrandom';
import { NativeKernelGate } from './native-kernel-gate';

/*
 * The dropout multiplier floor(u + keep) / keep with u from tf.randomUniform(shape, 0, 1, 'float32', seed), as one
 * native kernel (native/attention_weights.h). tfjs draws u in a JavaScript loop (~20 ns per element: at SASRec's
 * [200, 128, 1, 200] attention weights that was ~100 ms of a step) and then runs three elementwise kernels. The
 * kernel steps the same generator from the same seeded state, so the multiplier is tfjs' bit for bit and a model
 * trains the same with and without the native kernels. Registered on 'wasm' only with the native kernels (native.ts).
 */

export const DROPOUT_MULTIPLIER = 'NextrecDropoutMultiplier';

/** Attributes: the output shape, keep = 1 - rate, and the generator state after seeding (seedrandom's alea). */
export interface DropoutMultiplierAttrs {
  shape: number[];
  keep: number;
  c: number;
  s0: number;
  s1: number;
  s2: number;
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

/** floor(u + keep) / keep for the u that tf.randomUniform(shape, 0, 1, 'float32', seed) would draw. */
export function dropoutMultiplierKernel(shape: number[], keep: number, seed: number): tf.Tensor {
  // tfjs seeds its uniform generator with the seed's string form
  const state = seedrandom.alea(String(seed), { state: true }).state() as unknown as { c: number; s0: number; s1: number; s2: number };
  const attrs: DropoutMultiplierAttrs = { shape, keep, c: state.c, s0: state.s0, s1: state.s1, s2: state.s2 };
  return tf.engine().runKernel(DROPOUT_MULTIPLIER, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
