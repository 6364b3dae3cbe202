import * as tf from '@tensorflow/tfjs-core';
import { batchNormAct, hasBatchNormAct } from '../backend/batch-norm-act-kernel';
import { leanEngineOn } from '../backend/lean-switch';
import { Activation, applyActivation } from './activation';
import { ForwardContext, init, Module } from './module';

/** Batch normalisation over the batch axis of [B, C] inputs, with moving statistics for inference. */
export class BatchNorm extends Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVar: tf.Variable;

  constructor(
    readonly channels: number,
    readonly momentum = 0.9,
    readonly epsilon = 1e-5,
  ) {
    super();
    this.gamma = this.addParam('gamma', [channels], init.constant([channels], 1), { regularize: false });
    this.beta = this.addParam('beta', [channels], init.constant([channels], 0), { regularize: false });
    this.movingMean = this.addParam('moving_mean', [channels], init.constant([channels], 0), { trainable: false, regularize: false });
    this.movingVar = this.addParam('moving_var', [channels], init.constant([channels], 1), { trainable: false, regularize: false });
  }

  /**
   * Normalise `x` and apply `activation` (default linear). In training, with the lean engine on a backend that has
   * the fused kernel (wasm, cpu), normalisation and a linear/relu activation run as one kernel with a hand-written
   * backward; otherwise as composed ops.
   */
  apply(x: tf.Tensor2D, ctx: ForwardContext, activation: Activation = 'linear'): tf.Tensor2D {
    if (!ctx.training) {
      const y = tf.batchNorm2d(x, this.movingMean as tf.Tensor1D, this.movingVar as tf.Tensor1D, this.beta as tf.Tensor1D, this.gamma as tf.Tensor1D, this.epsilon);
      return applyActivation(y, activation) as tf.Tensor2D;
    }
    if ((activation === 'linear' || activation === 'relu') && leanEngineOn() && hasBatchNormAct()) {
      const { y, mean, variance } = batchNormAct(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, this.epsilon, activation);
      this.deferMovingUpdate(ctx, mean, variance);
      return y;
    }
    const { mean, variance } = tf.moments(x, 0);
    this.deferMovingUpdate(ctx, mean as tf.Tensor1D, variance as tf.Tensor1D);
    // composed from elementwise ops: tfjs' FusedBatchNorm gradient materialises a [B, C] Tile, ~30 ms on wasm
    const scale = tf.mul(tf.rsqrt(tf.add(variance, this.epsilon)), this.gamma);
    return applyActivation(tf.add(tf.mul(tf.sub(x, mean), scale), this.beta), activation) as tf.Tensor2D;
  }

  /** Fold this batch's statistics into the moving averages once the step is applied. */
  private deferMovingUpdate(ctx: ForwardContext, mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const meanKept = tf.keep(mean.clone());
    const varKept = tf.keep(variance.clone());
    ctx.deferred.push((apply) => {
      if (apply && leanEngineOn()) {
        // on the host: C floats each, four small kernels per statistic otherwise (float32 rounding as tfjs' ops)
        tf.tidy(() => {
          for (const [moving, batch] of [[this.movingMean, meanKept], [this.movingVar, varKept]] as const) {
            const f = Math.fround;
            const m = moving.dataSync();
            const b = batch.dataSync();
            const keep = f(this.momentum);
            const take = f(1 - this.momentum);
            moving.assign(tf.tensor1d(Float32Array.from(m, (v, i) => f(v * keep) + f(b[i] * take))));
          }
        });
      } else if (apply) {
        tf.tidy(() => {
          this.movingMean.assign(tf.add(tf.mul(this.movingMean, this.momentum), tf.mul(meanKept, 1 - this.momentum)));
          this.movingVar.assign(tf.add(tf.mul(this.movingVar, this.momentum), tf.mul(varKept, 1 - this.momentum)));
        });
      }
      meanKept.dispose();
      varKept.dispose();
    });
  }
}
