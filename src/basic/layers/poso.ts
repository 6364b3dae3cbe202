import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation } from './activation';
import { Dense } from './dense';
import { checkMlpConfig, Mlp, MlpConfig } from './mlp';
import { ForwardContext, Module } from './module';

/** Settings of a POSO gate network. */
export interface PosoGateConfig {
  /** Hidden widths of the gate MLP (default [32]). */
  dims?: number[];
  /** Activation of the hidden layers (default relu). */
  activation?: Activation;
  /** Upper bound C of the gate C * sigmoid(.) (default 2, as in the paper, so the neutral value 1 sits mid-range). */
  scale?: number;
}

/**
 * Personalization gate of POSO (Dai et al., 2021): g(x_pc) = C * sigmoid(MLP(x_pc)), one multiplier per gated unit,
 * computed only from the personalization features (e.g. user activity level, is-new-user). Multiplying a
 * backbone's hidden units by g lets small user groups whose behaviour differs (cold-start users) switch on their
 * own sub-network instead of being averaged away by the majority.
 */
export class PosoGate extends Module {
  private readonly hidden: Mlp | null;
  private readonly out: Dense;
  readonly scale: number;

  constructor(
    readonly inputDim: number,
    readonly units: number,
    cfg: PosoGateConfig,
    rng: Rng,
    owner = 'POSO',
  ) {
    super();
    const dims = cfg.dims ?? [32];
    checkMlpConfig({ dims }, `${owner} gate`);
    this.scale = cfg.scale ?? 2;
    if (!(this.scale > 0)) throw new Error(`${owner}: gate scale must be > 0 (got ${cfg.scale})`);
    this.hidden = dims.length ? this.addChild('hidden', new Mlp(inputDim, { dims, activation: cfg.activation }, rng, `${owner} gate`)) : null;
    const width = dims.length ? dims[dims.length - 1] : inputDim;
    this.out = this.addChild('out', new Dense(width, units, rng));
    // a zero output kernel starts every gate at C * sigmoid(0) (= 1 for C = 2): the untrained model equals its backbone
    const zeros = tf.zeros([width, units]);
    this.out.kernel.assign(zeros);
    zeros.dispose();
  }

  /** Gate values [B, units] in (0, scale). */
  apply(pc: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const h = this.hidden ? this.hidden.apply(pc, ctx) : pc;
    return tf.mul(tf.sigmoid(this.out.apply(h)), this.scale) as tf.Tensor2D;
  }
}

/**
 * POSO-MLP: an MLP whose every hidden layer is multiplied element-wise by its own personalization gate,
 * h_l = g_l(x_pc) * act(W_l h_{l-1} + b_l).
 */
export class PosoMlp extends Module {
  private readonly layers: Mlp[] = [];
  private readonly gates: PosoGate[] = [];
  private readonly output: Dense | null;
  readonly outputWidth: number;

  /**
   * @param inputDim width of the backbone input
   * @param personalDim width of the personalization input
   * @param cfg backbone shape (as for {@link Mlp}; `outputDim` adds an ungated linear output layer)
   */
  constructor(
    readonly inputDim: number,
    readonly personalDim: number,
    cfg: MlpConfig,
    gate: PosoGateConfig,
    rng: Rng,
    owner = 'POSO',
  ) {
    super();
    checkMlpConfig(cfg, owner);
    let width = inputDim;
    cfg.dims.forEach((units, i) => {
      this.layers.push(this.addChild(`${i}/layer`, new Mlp(width, { dims: [units], activation: cfg.activation, dropout: cfg.dropout, batchNorm: cfg.batchNorm }, rng, owner)));
      this.gates.push(this.addChild(`${i}/gate`, new PosoGate(personalDim, units, gate, rng, owner)));
      width = units;
    });
    this.output = cfg.outputDim ? this.addChild('out', new Dense(width, cfg.outputDim, rng)) : null;
    this.outputWidth = cfg.outputDim ?? width;
  }

  apply(x: tf.Tensor2D, pc: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = tf.mul(layer.apply(h, ctx), this.gates[i].apply(pc, ctx)) as tf.Tensor2D;
    });
    return this.output ? (this.output.apply(h) as tf.Tensor2D) : h;
  }
}
