import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { MultiGateMixture } from '../../basic/layers/mmoe';
import { PosoGate, PosoGateConfig, PosoMlp } from '../../basic/layers/poso';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';
import { conditionInput, conditionParts, ConditionPart, ONE_HOT_MAX_VOCAB } from './condition';

/** Sparse personalization features with at most this many ids (a group indicator) enter the gates one-hot. */
export { ONE_HOT_MAX_VOCAB };

/** POSO settings. */
export interface POSOConfig extends MultiTaskConfig {
  /**
   * Names of the personalization features that drive the gates: declared sparse or dense features describing the
   * user's group, e.g. ['is_new_user'] or ['activity_level']. They stay ordinary inputs of the backbone as well.
   * Sparse ones with a vocabulary of at most {@link ONE_HOT_MAX_VOCAB} ids feed the gates one-hot, larger ones
   * through their embedding.
   */
  personalizationFeatures: string[];
  /** 'mlp' (POSO-MLP, default): gated shared MLP then towers; 'mmoe' (POSO-MMoE): gated experts. */
  backbone?: 'mlp' | 'mmoe';
  /** Shared MLP of the 'mlp' backbone, every hidden layer gated (default { dims: [256, 128] }). */
  mlp?: MlpConfig;
  /** Experts of the 'mmoe' backbone (default 4). */
  numExperts?: number;
  /** Shape of every expert of the 'mmoe' backbone (default { dims: [128, 64] }). */
  expert?: MlpConfig;
  /** The gate networks (default { dims: [32], scale: 2 }). */
  gate?: PosoGateConfig;
}

/**
 * POSO, Personalized Cold Start Modules (Dai et al., 2021). New or low-activity users are a small share of the
 * data and behave differently; a shared network fits the majority and their signal fades inside it. POSO adds
 * gates g(x_pc) = 2 * sigmoid(MLP(x_pc)) computed from the personalization features alone and multiplies them
 * into the backbone:
 *  - backbone 'mlp' (POSO-MLP): every hidden unit of the shared MLP, h_l = g_l(x_pc) * act(W_l h_{l-1}), then towers;
 *  - backbone 'mmoe' (POSO-MMoE): every expert's output, f_t = sum_k gate_t(x)_k * g_k(x_pc) * e_k(x), then towers.
 * The gates start at exactly 1, so an untrained POSO model computes the same function as its backbone
 * (SharedBottom resp. MMoE with the same shapes).
 */
export class POSO extends MultiTaskModel {
  static readonly modelName = 'POSO';
  private readonly backbone: 'mlp' | 'mmoe';
  private readonly pcParts: ConditionPart[];
  private readonly posoMlp: PosoMlp | null = null;
  private readonly mixture: MultiGateMixture | null = null;
  private readonly expertGate: PosoGate | null = null;
  private readonly towers: Mlp[];

  constructor(config: POSOConfig) {
    super(config);
    this.pcParts = conditionParts('POSO', 'personalizationFeatures', config.personalizationFeatures, this.sparseFeatures, this.denseFeatures);
    const pcDim = this.pcParts.reduce((a, p) => a + p.width, 0);
    this.backbone = config.backbone ?? 'mlp';
    const gate = config.gate ?? {};
    if (this.backbone === 'mlp') {
      const mlp = config.mlp ?? { dims: [256, 128] };
      if (mlp.outputDim !== undefined) throw new Error('POSO: mlp.outputDim is not used (the towers produce the outputs); remove it');
      this.posoMlp = this.addChild('poso_mlp', new PosoMlp(this.inputDim, pcDim, mlp, gate, this.initRng, 'POSO'));
      this.towers = this.buildTowers(this.posoMlp.outputWidth, config.tower);
    } else if (this.backbone === 'mmoe') {
      const numExperts = config.numExperts ?? 4;
      const expert = config.expert ?? { dims: [128, 64] };
      this.mixture = this.addChild('mmoe', new MultiGateMixture(this.inputDim, this.targets.length, { numExperts, expert }, this.initRng, 'POSO'));
      this.expertGate = this.addChild('expert_gate', new PosoGate(pcDim, numExperts, gate, this.initRng, 'POSO'));
      this.towers = this.buildTowers(this.mixture.outputDim, config.tower);
    } else {
      throw new Error(`POSO: backbone must be 'mlp' or 'mmoe' (got '${String(config.backbone)}')`);
    }
  }

  /** The personalization input [B, pcDim]: one-hot group indicators, embeddings of larger sparse features, dense values. */
  private personalInput(inputs: ModelInputs): tf.Tensor2D {
    return conditionInput(this.pcParts, inputs, (name) => this.sparseEmbedding(inputs, name));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x = this.flatInput(inputs);
    const pc = this.personalInput(inputs);
    if (this.posoMlp) {
      const h = this.posoMlp.apply(x, pc, ctx);
      return this.applyTowers(this.towers, this.targets.map(() => h), ctx);
    }
    const reps = this.mixture!.apply(x, ctx, this.expertGate!.apply(pc, ctx));
    return this.applyTowers(this.towers, reps, ctx);
  }
}

models.register(POSO.modelName, POSO);
