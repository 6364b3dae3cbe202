import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { ScenarioExpertMixture } from '../../basic/layers/scenario-experts';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** HMoE settings. */
export interface HMoEConfig extends MultiTaskConfig {
  /** The sparse feature holding the scenario (domain) id; its vocabulary size is the number of scenario slots. */
  scenarioFeature: string;
  /** Experts shared by all scenarios (default 2). */
  sharedExperts?: number;
  /** Experts owned by each scenario (default 1). */
  scenarioExperts?: number;
  /** Shape of every expert (default { dims: [64, 32] }). */
  expert?: MlpConfig;
}

/**
 * Hierarchical Mixture-of-Experts for multi-scenario multi-task data: experts on two levels of the hierarchy, shared
 * by every scenario or owned by one, and a gate per task that mixes the shared experts with the row's scenario's
 * own (ScenarioExpertMixture), then a tower per task:
 *   y_t = tower_t( sum_{k in shared ∪ own(s)} softmax_k(W_t x + mask_s) e_k(x) ).
 * Scenarios learn their own functions in their experts while sharing what they have in common, which a plain MMoE
 * can do only if its gates discover the scenario split themselves.
 */
export class HMoE extends MultiTaskModel {
  static readonly modelName = 'HMoE';
  private readonly mixture: ScenarioExpertMixture;
  private readonly towers: Mlp[];
  private readonly scenarioFeature: string;

  constructor(config: HMoEConfig) {
    super(config);
    const scenario = this.sparseFeatures.find((f) => f.name === config.scenarioFeature);
    if (!scenario) throw new Error(`HMoE: scenarioFeature '${config.scenarioFeature}' must name a declared sparse feature (known: ${this.sparseFeatures.map((f) => f.name).join(', ')})`);
    if (scenario.hashing) throw new Error(`HMoE: scenarioFeature '${scenario.name}' must not be hashed (each id owns experts)`);
    if (scenario.vocabSize > 64) throw new Error(`HMoE: scenarioFeature '${scenario.name}' has ${scenario.vocabSize} ids; each owns experts, so at most 64 are allowed`);
    this.scenarioFeature = scenario.name;
    this.mixture = this.addChild('hmoe', new ScenarioExpertMixture(
      this.inputDim, this.targets.length, scenario.vocabSize,
      { sharedExperts: config.sharedExperts ?? 2, scenarioExperts: config.scenarioExperts ?? 1, expert: config.expert ?? { dims: [64, 32] } },
      this.initRng, 'HMoE',
    ));
    this.towers = this.buildTowers(this.mixture.outputDim, config.tower);
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const ids = inputs.data.column(this.scenarioFeature).data;
    const mask = this.mixture.mask(Int32Array.from(inputs.indices, (i) => ids[i]));
    return this.applyTowers(this.towers, this.mixture.apply(this.flatInput(inputs), mask, ctx), ctx);
  }
}

models.register(HMoE.modelName, HMoE);
