import * as tf from '@tensorflow/tfjs-core';
import { LossSpec } from '../../loss/pointwise';

/**
 * Per-target missing-label markers from compile's `ignoreLabel`: one value for all targets, or one per target name.
 * Unknown target names are an error so that a typo does not silently leave a task unmasked.
 */
export function resolveIgnoreLabels(option: number | Record<string, number> | undefined, targetNames: string[]): Array<number | undefined> {
  if (option === undefined) return targetNames.map(() => undefined);
  if (typeof option === 'number') return targetNames.map(() => option);
  if (option === null || typeof option !== 'object') throw new Error(`compile: ignoreLabel must be a number (e.g. -1 or NaN) or { targetName: number } (got ${JSON.stringify(option)})`);
  for (const [name, v] of Object.entries(option)) {
    if (!targetNames.includes(name)) throw new Error(`compile: ignoreLabel names '${name}', which is not a target (targets: ${targetNames.join(', ')})`);
    if (typeof v !== 'number') throw new Error(`compile: ignoreLabel.${name} must be a number (e.g. -1 or NaN), got ${JSON.stringify(v)}`);
  }
  return targetNames.map((n) => option[n]);
}

/**
 * One task's loss with its unlabelled rows masked out: those rows get weight 0 (and a placeholder label 0, so that
 * a NaN marker cannot turn 0 * NaN into NaN), which removes them from both the loss and its gradient. The loss is
 * the mean over the labelled rows; a batch with none gives 0. Custom LossSpecs must honour their `weights` argument.
 */
export function maskedTaskLoss(spec: LossSpec, outputs: tf.Tensor, labels: tf.Tensor, ignore: number | undefined): tf.Scalar {
  if (ignore === undefined) return spec.fn(outputs, labels);
  return tf.tidy(() => {
    const labelled = Number.isNaN(ignore) ? tf.logicalNot(tf.isNaN(labels)) : tf.notEqual(labels, ignore);
    const clean = tf.where(labelled, labels, tf.zerosLike(labels));
    return spec.fn(outputs, clean, tf.cast(labelled, 'float32'));
  });
}
