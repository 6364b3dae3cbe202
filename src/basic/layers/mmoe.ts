import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { ExpertGate, ExpertSet, mixExperts } from './experts';
import { MlpConfig } from './mlp';
import { ForwardContext, Module } from './module';

/** Settings of a {@link MultiGateMixture}. */
export interface MultiGateMixtureConfig {
  /** Number of shared experts. */
  numExperts: number;
  /** Shape of every expert. */
  expert: MlpConfig;
}

/**
 * Multi-gate mixture of experts (Ma et al., KDD 2018): experts shared by all tasks and one softmax gate per task,
 * so each task picks its own combination of experts: f_t(x) = sum_k softmax(W_t x)_k e_k(x).
 */
export class MultiGateMixture extends Module {
  readonly experts: ExpertSet;
  private readonly gates: ExpertGate[] = [];
  /** Width of each task's mixed output. */
  readonly outputDim: number;

  constructor(
    readonly inputDim: number,
    readonly numTasks: number,
    cfg: MultiGateMixtureConfig,
    rng: Rng,
    owner = 'MMoE',
  ) {
    super();
    if (!Number.isInteger(numTasks) || numTasks < 1) throw new Error(`${owner}: number of tasks must be a positive integer (got ${numTasks})`);
    this.experts = this.addChild('experts', new ExpertSet(inputDim, cfg.numExperts, cfg.expert, rng, owner));
    for (let t = 0; t < numTasks; t++) this.gates.push(this.addChild(`gate/${t}`, new ExpertGate(inputDim, cfg.numExperts, rng)));
    this.outputDim = this.experts.outputDim;
  }

  /**
   * One mixed representation [B, H] per task.
   * @param expertScale optional per-row, per-expert multipliers [B, numExperts] applied to every expert's output
   *   before mixing (POSO-MMoE personalises experts this way); scaling the gate weights is the same product and
   *   avoids touching the wider expert outputs
   */
  apply(x: tf.Tensor2D, ctx: ForwardContext, expertScale?: tf.Tensor2D): tf.Tensor2D[] {
    const outs = this.experts.apply(x, ctx);
    return this.gates.map((g) => {
      const w = g.apply(x);
      return mixExperts(outs, expertScale ? (tf.mul(w, expertScale) as tf.Tensor2D) : w);
    });
  }

  /** Gate weights [B, numExperts] of each task (for inspecting which experts a task uses). */
  gateWeights(x: tf.Tensor2D): tf.Tensor2D[] {
    return this.gates.map((g) => g.apply(x));
  }
}
