import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { MlpConfig } from '../../basic/layers/mlp';
import { stopGradient } from '../../basic/layers/custom-op';
import { PosoGate, PosoGateConfig, PosoMlp } from '../../basic/layers/poso';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';
import { conditionInput, conditionParts, ConditionPart } from './condition';

/** PEPNet settings. */
export interface PEPNetConfig extends MultiTaskConfig {
  /** Domain (scenario) side features of EPNet, e.g. ['scenario']. */
  domainFeatures: string[];
  /** Personalisation features of PPNet, e.g. ['user_id', 'user_group']. */
  personalizationFeatures: string[];
  /** Each task's gated tower (PPNet); ends in one logit (default { dims: [64, 32] }). */
  tower?: MlpConfig;
  /** Gate networks (Gate NU): hidden widths and the bound γ of γ·σ(·) (default { dims: [32], scale: 2 }). */
  gate?: PosoGateConfig;
}

/**
 * PEPNet (Chang et al., KDD 2023), parameter and embedding personalised network for multi-domain multi-task data.
 * Gate NU is g(u) = γ σ(MLP(u)) (PosoGate, γ = 2, starting at 1).
 *  - EPNet: the shared input is rescaled per domain, x' = x ⊙ g_ep(e_domain ⊕ ⊘(x)), ⊘ = stop-gradient.
 *  - PPNet: task t's tower has every hidden layer gated by the personalisation features,
 *    h_l = act(W_l h_{l−1}) ⊙ g_l(e_personal ⊕ ⊘(x')), y_t = w_t^T h_L.
 * The stop-gradients keep the gates from reshaping the embeddings they read.
 */
export class PEPNet extends MultiTaskModel {
  static readonly modelName = 'PEPNet';
  private readonly domainParts: ConditionPart[];
  private readonly personalParts: ConditionPart[];
  private readonly epnet: PosoGate;
  private readonly ppnet: PosoMlp[];

  constructor(config: PEPNetConfig) {
    super(config);
    this.domainParts = conditionParts('PEPNet', 'domainFeatures', config.domainFeatures, this.sparseFeatures, this.denseFeatures);
    this.personalParts = conditionParts('PEPNet', 'personalizationFeatures', config.personalizationFeatures, this.sparseFeatures, this.denseFeatures);
    const width = (parts: ConditionPart[]) => parts.reduce((a, p) => a + p.width, 0);
    const gate = config.gate ?? { dims: [32], scale: 2 };
    this.epnet = this.addChild('epnet', new PosoGate(width(this.domainParts) + this.inputDim, this.inputDim, gate, this.initRng, 'PEPNet EPNet'));
    const tower = config.tower ?? { dims: [64, 32] };
    if (tower.outputDim !== undefined) throw new Error('PEPNet: tower.outputDim is not used (each tower ends in one logit); remove it');
    this.ppnet = this.targets.map((t, i) =>
      this.addChild(`ppnet/${i}`, new PosoMlp(this.inputDim, width(this.personalParts) + this.inputDim, { ...tower, outputDim: 1 }, gate, this.initRng, `PEPNet tower '${t.name}'`)),
    );
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const embedding = (name: string) => this.sparseEmbedding(inputs, name);
    const x = this.flatInput(inputs);
    const domain = conditionInput(this.domainParts, inputs, embedding);
    const xp = tf.mul(x, this.epnet.apply(tf.concat([domain, stopGradient(x)], 1) as tf.Tensor2D, ctx)) as tf.Tensor2D;
    const personal = tf.concat([conditionInput(this.personalParts, inputs, embedding), stopGradient(xp)], 1) as tf.Tensor2D;
    const outs = this.ppnet.map((tower, t) => tower.apply(this.tapTaskInput(t, xp, ctx), personal, ctx));
    return outs.length === 1 ? outs[0] : (tf.concat(outs, 1) as tf.Tensor2D);
  }
}

models.register(PEPNet.modelName, PEPNet);
