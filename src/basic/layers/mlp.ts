import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation } from './activation';
import { BatchNorm } from './batch-norm';
import { Dense, DenseInit } from './dense';
import { ForwardContext, Module } from './module';
import { trainingDropout } from './dropout';

/** Settings of a multi-layer perceptron. */
export interface MlpConfig {
  /** Hidden layer widths, e.g. [256, 128]. */
  dims: number[];
  /** Activation after each hidden layer (default relu). */
  activation?: Activation;
  /** Dropout rate after each hidden layer (default 0). */
  dropout?: number;
  /** Batch normalisation between the linear map and the activation (default false). */
  batchNorm?: boolean;
  /** Width of a final linear layer without activation (e.g. 1 for a logit); omitted = no output layer. */
  outputDim?: number;
  /** Initialisation of the linear maps: 'glorot' (default) or 'fanIn' (PyTorch's nn.Linear default), see DenseInit. */
  init?: DenseInit;
}

/** Validate an MLP config with messages that name the offending field. */
export function checkMlpConfig(cfg: MlpConfig, owner: string): void {
  if (!cfg || !Array.isArray(cfg.dims)) throw new Error(`${owner}: mlp.dims must be an array of layer widths`);
  cfg.dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1) throw new Error(`${owner}: mlp.dims[${i}] must be a positive integer (got ${d})`);
  });
  if (cfg.dropout !== undefined && !(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`${owner}: mlp.dropout must be in [0, 1) (got ${cfg.dropout})`);
  if (cfg.init !== undefined && cfg.init !== 'glorot' && cfg.init !== 'fanIn') throw new Error(`${owner}: mlp.init must be 'glorot' or 'fanIn' (got '${String(cfg.init)}')`);
  if (cfg.outputDim !== undefined && (!Number.isInteger(cfg.outputDim) || cfg.outputDim < 1)) throw new Error(`${owner}: mlp.outputDim must be a positive integer (got ${cfg.outputDim})`);
}

/** Stack of [linear -> batch norm? -> activation -> dropout?] blocks, with an optional linear output layer. */
export class Mlp extends Module {
  private readonly layers: { dense: Dense; bn: BatchNorm | null }[] = [];
  private readonly output: Dense | null;
  readonly outputWidth: number;

  constructor(
    readonly inputDim: number,
    readonly cfg: MlpConfig,
    rng: Rng,
    owner = 'MLP',
  ) {
    super();
    checkMlpConfig(cfg, owner);
    let width = inputDim;
    const act = cfg.activation ?? 'relu';
    cfg.dims.forEach((units, i) => {
      // with batch norm the activation must follow the normalisation, so the dense layer stays linear; its bias
      // would be cancelled by the normalisation (a zero gradient that Adam turns into noise-driven drift), so none
      const dense = this.addChild(`${i}/dense`, new Dense(width, units, rng, cfg.batchNorm ? 'linear' : act, !cfg.batchNorm, cfg.init));
      const bn = cfg.batchNorm ? this.addChild(`${i}/bn`, new BatchNorm(units)) : null;
      this.layers.push({ dense, bn });
      width = units;
    });
    this.output = cfg.outputDim ? this.addChild('out', new Dense(width, cfg.outputDim, rng, 'linear', true, cfg.init)) : null;
    this.outputWidth = cfg.outputDim ?? width;
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const act = this.cfg.activation ?? 'relu';
    const rate = this.cfg.dropout ?? 0;
    let h: tf.Tensor2D = x;
    for (const { dense, bn } of this.layers) {
      h = dense.apply(h) as tf.Tensor2D;
      if (bn) h = bn.apply(h, ctx, act);
      h = trainingDropout(h, rate, ctx) as tf.Tensor2D;
    }
    return this.output ? (this.output.apply(h) as tf.Tensor2D) : h;
  }
}
