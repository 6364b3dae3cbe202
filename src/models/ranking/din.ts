import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { SequencePooler } from '../../basic/layers/sequence-pooling';
import { TargetAttentionConfig } from '../../basic/layers/target-attention';
import { models } from '../../basic/model/model-registry';
import { BehaviorContext, BehaviorRoleConfig, resolveBehaviorRoles } from './behavior-context';

/** DIN settings: the declared features, their roles, and the layer sizes. */
export interface DINConfig extends BaseModelConfig, BehaviorRoleConfig {
  /** Local activation unit (default { dims: [80, 40], activation: 'sigmoid', softmax: false }, as in the paper). */
  attention?: TargetAttentionConfig;
  /** Final MLP (default { dims: [200, 80] }). */
  mlp?: MlpConfig;
}

/**
 * Deep Interest Network (Zhou et al., KDD 2018). The behaviour history is pooled with weights that depend on the
 * candidate item (the local activation unit, {@link TargetAttention}; raw scores, no softmax), then
 *   v = sum_l a(e_target, e_l) e_l,   y = MLP([context; e_target; v; e_target ⊙ v])
 * (the product term follows the authors' implementation: it hands the MLP the target-interest match directly).
 * Padded history slots get weight zero. Context sequences are pooled by their own `pooling` setting.
 */
export class DIN extends BaseModel {
  static readonly modelName = 'DIN';
  private readonly context: BehaviorContext;
  private readonly pooler: SequencePooler;
  private readonly mlp: Mlp;

  constructor(config: DINConfig) {
    super(config);
    const roles = resolveBehaviorRoles(this, config);
    const attention = config.attention ?? {};
    this.context = this.addChild('context', new BehaviorContext(roles, attention, this.initRng));
    for (const r of this.context.requests()) this.requestEmbedding(r);
    const D = roles.behavior.embeddingDim;
    this.pooler = this.addChild('attention', new SequencePooler('attention', D, this.initRng, attention));
    const inDim = this.context.width + 3 * D;
    this.mlp = this.addChild('mlp', new Mlp(inDim, { ...(config.mlp ?? { dims: [200, 80] }), outputDim: this.targets.length }, this.initRng, 'DIN'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const target = this.context.target(inputs);
    const interest = this.pooler.apply(inputs.embeddings.behavior as tf.Tensor3D, inputs.masks.behavior, ctx, target);
    const x = tf.concat([...this.context.parts(inputs, ctx, target), target, interest, tf.mul(target, interest)], 1) as tf.Tensor2D;
    return this.mlp.apply(x, ctx);
  }
}

models.register(DIN.modelName, DIN);
