import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingCollection } from '../embedding/embedding-collection';
import type { SparseTable } from '../embedding/sparse-table';
import type { CompileOptions } from '../model/types';
import { clipGradients, ClipOptions, validateClip } from './clipping';
import { isProximal, setDenseLearningRate } from './dense-optimizers';
import { LearningRateSchedule, validateSchedule } from './schedules';

/**
 * What compile's training controls (schedule, clipping, L1/L2 penalties) do to each training step, kept out of
 * BaseModel so the training loop only calls three hooks: `beforeStep`, `penalty` and `clip`.
 */
export class TrainingControls {
  readonly schedule: LearningRateSchedule | null;
  private readonly clipOptions: ClipOptions;
  /** Whether the dense optimizer applies L1/L2 itself (FTRL), so the loss must not carry them. */
  readonly proximal: boolean;
  private readonly denseL1: number;
  private readonly denseL2: number;
  /** Dense rate of the last step. */
  currentLr: number;

  constructor(
    options: CompileOptions,
    private readonly dense: tf.Optimizer,
    readonly lr: number,
    readonly embeddingLr: number,
  ) {
    for (const [field, v] of [['denseL1', options.denseL1], ['embeddingL1', options.embeddingL1]] as const) {
      if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new Error(`compile: ${field} must be >= 0 (got ${v})`);
    }
    if (options.threshold !== undefined && !(typeof options.threshold === 'number' && options.threshold > 0 && options.threshold < 1)) {
      throw new Error(`compile: threshold must be in (0, 1) (got ${options.threshold})`);
    }
    validateClip(options);
    this.clipOptions = { clipNorm: options.clipNorm, clipValue: options.clipValue };
    this.schedule = options.schedule !== undefined ? new LearningRateSchedule(validateSchedule(options.schedule)) : null;
    this.proximal = isProximal(dense);
    this.denseL1 = options.denseL1 ?? 0;
    this.denseL2 = options.denseL2 ?? 0;
    this.currentLr = lr;
  }

  /** Give a proximal optimizer its penalties and the parameters they apply to (weights, not biases). */
  bindRegularized(names: string[]): void {
    if (isProximal(this.dense)) this.dense.setPenalties(this.denseL1, this.denseL2, names);
  }

  /** Set both rates for the update with 0-based index `globalStep`; returns the dense rate. */
  beforeStep(globalStep: number, embeddings: EmbeddingCollection): number {
    if (!this.schedule) return this.lr;
    const f = this.schedule.factor(globalStep);
    const lr = this.lr * f;
    if (lr !== this.currentLr) {
      setDenseLearningRate(this.dense, lr);
      embeddings.setLearningRate(this.embeddingLr * f);
      this.currentLr = lr;
    }
    return lr;
  }

  /** L1/L2 terms added to the loss of non-proximal optimizers (inside the gradient scope), or null. */
  penalty(regularized: tf.Variable[]): tf.Scalar | null {
    if (this.proximal || !regularized.length) return null;
    const terms: tf.Scalar[] = [];
    if (this.denseL2 > 0) terms.push(tf.mul(tf.addN(regularized.map((v) => tf.sum(tf.square(v)))), this.denseL2 / 2) as tf.Scalar);
    if (this.denseL1 > 0) terms.push(tf.mul(tf.addN(regularized.map((v) => tf.sum(tf.abs(v)))), this.denseL1) as tf.Scalar);
    return terms.length === 0 ? null : terms.length === 1 ? terms[0] : (tf.add(terms[0], terms[1]) as tf.Scalar);
  }

  /** Clip this step's gradients in place; returns tensors created for the caller to dispose. */
  clip(denseGrads: tf.NamedTensorMap, embeddings: EmbeddingCollection, touched: SparseTable[]): tf.Tensor[] {
    if (this.clipOptions.clipNorm === undefined && this.clipOptions.clipValue === undefined) return [];
    return clipGradients(denseGrads, embeddings.accumulatedGradients(touched), this.clipOptions).created;
  }
}
