import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { Activation } from './activation';
import { Module } from './module';

/**
 * Cross-stitch unit (Misra et al., CVPR 2016): task t's next input is a learned linear combination of every task's
 * activation at this layer, h̃_t = sum_s alpha_{ts} h_s. alpha starts at `selfWeight` on the diagonal and
 * (1 − selfWeight)/(T − 1) elsewhere, so each column starts mostly task-specific and learns how much to share.
 */
export class CrossStitchUnit extends Module {
  readonly alpha: tf.Variable;

  constructor(readonly numTasks: number, selfWeight = 0.9) {
    super();
    if (!Number.isInteger(numTasks) || numTasks < 2) throw new Error(`CrossStitchUnit: numTasks must be an integer >= 2 (got ${numTasks})`);
    if (!(selfWeight >= 0 && selfWeight <= 1)) throw new Error(`CrossStitchUnit: selfWeight must be in [0, 1] (got ${selfWeight})`);
    const values = new Float32Array(numTasks * numTasks).fill((1 - selfWeight) / (numTasks - 1));
    for (let t = 0; t < numTasks; t++) values[t * numTasks + t] = selfWeight;
    this.alpha = this.addParam('alpha', [numTasks, numTasks], values, { regularize: false });
  }

  /** [T] activations of width H in, [T] mixed activations out. */
  apply(hs: tf.Tensor2D[]): tf.Tensor2D[] {
    const T = this.numTasks;
    if (hs.length !== T) throw new Error(`CrossStitchUnit: expected ${T} task activations, got ${hs.length}`);
    const [B, H] = hs[0].shape;
    // [B·H, T] x alpha^T -> [B·H, T]: column t is sum_s alpha_ts h_s
    const stacked = tf.stack(hs.map((h) => h.reshape([B * H])), 1) as tf.Tensor2D;
    const mixed = tf.matMul(stacked, this.alpha as tf.Tensor2D, false, true);
    return tf.unstack(mixed, 1).map((m) => m.reshape([B, H]) as tf.Tensor2D);
  }
}

/** Settings of a {@link CrossStitchNetwork}. */
export interface CrossStitchNetworkConfig {
  /** Width of each layer of every task column (e.g. [64, 32]). */
  dims: number[];
  activation?: Activation;
  /** Initial weight of a task's own activation in each unit (default 0.9). */
  selfWeight?: number;
}

/** T task columns of dense layers with a cross-stitch unit after every layer. */
export class CrossStitchNetwork extends Module {
  private readonly columns: Dense[][];
  private readonly units: CrossStitchUnit[];
  readonly outputDim: number;

  constructor(inputDim: number, numTasks: number, cfg: CrossStitchNetworkConfig, rng: Rng, owner = 'CrossStitch') {
    super();
    if (!cfg || !Array.isArray(cfg.dims) || cfg.dims.length === 0) throw new Error(`${owner}: column.dims must list at least one layer width`);
    cfg.dims.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 1) throw new Error(`${owner}: column.dims[${i}] must be a positive integer (got ${d})`);
    });
    this.columns = Array.from({ length: numTasks }, (_, t) => {
      let width = inputDim;
      return cfg.dims.map((units, l) => {
        const layer = this.addChild(`column/${t}/${l}`, new Dense(width, units, rng, cfg.activation ?? 'relu'));
        width = units;
        return layer;
      });
    });
    this.units = cfg.dims.map((_, l) => this.addChild(`stitch/${l}`, new CrossStitchUnit(numTasks, cfg.selfWeight ?? 0.9)));
    this.outputDim = cfg.dims[cfg.dims.length - 1];
  }

  /** One representation per task. */
  apply(x: tf.Tensor2D): tf.Tensor2D[] {
    let hs: tf.Tensor2D[] = this.columns.map(() => x);
    this.units.forEach((unit, l) => {
      hs = unit.apply(hs.map((h, t) => this.columns[t][l].apply(h) as tf.Tensor2D));
    });
    return hs;
  }
}
