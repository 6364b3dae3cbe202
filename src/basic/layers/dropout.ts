import * as tf from '@tensorflow/tfjs-core';
import { dropoutMultiplierKernel, dropoutMultiplierKernelAvailable, dropoutMultiplierValues } from '../backend/dropout-kernel';
import { ForwardContext } from './module';

/**
 * The inverted-dropout multiplier for `seed` (1 / keep on kept elements, 0 elsewhere; backend/dropout-kernel.ts), as
 * a tensor of `shape`: trainingDropout multiplies by it, and a fused op applies the same mask as the composed version.
 */
export function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  const keep = 1 - rate;
  // the native kernel draws the same mask as the JavaScript loop, bit for bit
  if (dropoutMultiplierKernelAvailable()) return dropoutMultiplierKernel(shape, keep, seed);
  return tf.tensor(dropoutMultiplierValues(tf.util.sizeFromShape(shape), keep, seed), shape, 'float32');
}

/**
 * Inverted dropout while training: x times the multiplier of the next seed of `ctx.rng` (1 / keep on a fraction keep
 * of the elements, 0 elsewhere); x itself, drawing no seed, when not training or when rate is 0. Use it instead of
 * tf.dropout: the mask comes from a counter-based hash in one native kernel or one typed-array loop (the same mask on
 * both engines, backend/dropout-kernel.ts), where tf.dropout calls a JavaScript generator per element (~20 ns) and
 * runs three more kernels: at SASRec's [50 x 128, 50] activations ~6 ms per dropout, ~40 ms of a 190 ms step.
 */
export function trainingDropout<T extends tf.Tensor>(x: T, rate: number, ctx: ForwardContext): T {
  if (!ctx.training || !(rate > 0)) return x;
  return tf.mul(x, dropoutMultiplier(x.shape, rate, ctx.rng.seed()));
}
