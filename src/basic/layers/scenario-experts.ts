import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { ExpertSet, mixExperts } from './experts';
import { MlpConfig } from './mlp';
import { ForwardContext, Module } from './module';

/** Settings of a {@link ScenarioExpertMixture}. */
export interface ScenarioExpertMixtureConfig {
  /** Experts every scenario uses. */
  sharedExperts: number;
  /** Experts owned by each scenario id. */
  scenarioExperts: number;
  expert: MlpConfig;
}

/**
 * Two-level expert hierarchy for multi-scenario, multi-task data: shared experts used in every scenario, and experts
 * owned by one scenario id. Task t's gate mixes the shared experts and the row's own scenario's experts,
 *   f_t(x, s) = sum_{k in shared ∪ own(s)} softmax_k(W_t x + mask_s) e_k(x),
 * where mask_s is −∞ on other scenarios' experts. All scenario experts run as one wide ExpertSet; rows only weigh
 * their own scenario's, so gradients reach an expert only from its scenario.
 */
export class ScenarioExpertMixture extends Module {
  private readonly experts: ExpertSet;
  private readonly gates: Dense[];
  private readonly numExperts: number;
  readonly outputDim: number;

  constructor(readonly inputDim: number, readonly numTasks: number, readonly numScenarios: number, readonly cfg: ScenarioExpertMixtureConfig, rng: Rng, owner = 'HMoE') {
    super();
    const { sharedExperts, scenarioExperts } = cfg;
    if (!Number.isInteger(sharedExperts) || sharedExperts < 0) throw new Error(`${owner}: sharedExperts must be a non-negative integer (got ${sharedExperts})`);
    if (!Number.isInteger(scenarioExperts) || scenarioExperts < 1) throw new Error(`${owner}: scenarioExperts must be a positive integer (got ${scenarioExperts})`);
    this.numExperts = sharedExperts + numScenarios * scenarioExperts;
    this.experts = this.addChild('experts', new ExpertSet(inputDim, this.numExperts, cfg.expert, rng, owner));
    this.gates = Array.from({ length: numTasks }, (_, t) => this.addChild(`gate/${t}`, new Dense(inputDim, this.numExperts, rng)));
    this.outputDim = this.experts.outputDim;
  }

  /**
   * Additive gate mask [B, E] for scenario ids (0 on allowed experts, a large negative number elsewhere): rows of a
   * per-scenario mask table gathered by id, so an exported graph (ONNX) computes it from the id column.
   */
  mask(scenarioIds: ArrayLike<number>): tf.Tensor2D {
    const { sharedExperts, scenarioExperts } = this.cfg;
    const E = this.numExperts;
    for (const s of Array.from(scenarioIds)) {
      if (!(s >= 0 && s < this.numScenarios)) throw new Error(`ScenarioExpertMixture: scenario id ${s} outside [0, ${this.numScenarios})`);
    }
    const table = new Float32Array(this.numScenarios * E).fill(-1e9);
    for (let s = 0; s < this.numScenarios; s++) {
      for (let k = 0; k < sharedExperts; k++) table[s * E + k] = 0;
      for (let k = 0; k < scenarioExperts; k++) table[s * E + sharedExperts + s * scenarioExperts + k] = 0;
    }
    return tf.tidy(() => tf.gather(tf.tensor2d(table, [this.numScenarios, E]), tf.tensor1d(Int32Array.from(scenarioIds), 'int32')));
  }

  /** One mixed representation [B, H] per task. */
  apply(x: tf.Tensor2D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D[] {
    const outs = this.experts.apply(x, ctx);
    return this.gates.map((g) => mixExperts(outs, tf.softmax(tf.add(g.apply(x), mask)) as tf.Tensor2D));
  }
}
