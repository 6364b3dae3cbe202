import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { LinearTerm } from '../../basic/layers/linear';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { SenetLayer } from '../../basic/layers/senet';
import { BilinearInteraction, BilinearType } from '../../basic/layers/bilinear-interaction';
import { models } from '../../basic/model/model-registry';

/** FiBiNET settings. */
export interface FiBiNETConfig extends BaseModelConfig {
  /** Weight sharing of the bilinear layers: 'field_all', 'field_each' or 'field_interaction' (default, the paper's best). */
  bilinearType?: BilinearType;
  /** SENET bottleneck: F / reductionRatio units (default 3). */
  reductionRatio?: number;
  /** Deep part on the combined pair vectors (default { dims: [256, 128] }). */
  mlp?: MlpConfig;
}

/**
 * FiBiNET (Huang et al., RecSys 2019). Field vectors E = [e_1..e_F] (sparse, pooled sequences, numeric embeddings
 * of dense features) are re-weighted by squeeze-and-excitation, V = SENET(E); bilinear interactions of both the
 * original and the re-weighted fields feed an MLP, next to a first-order term:
 *   p = Bilinear(E),  q = Bilinear'(V),  y = w_0 + sum_i w_{id_i} + <w_d, x> + MLP([p; q])
 */
export class FiBiNET extends BaseModel {
  static readonly modelName = 'FiBiNET';
  private readonly input: FeatureInput;
  private readonly linear: LinearTerm;
  private readonly senet: SenetLayer;
  private readonly bilinear: BilinearInteraction;
  private readonly senetBilinear: BilinearInteraction;
  private readonly deep: Mlp;

  constructor(config: FiBiNETConfig) {
    super(config);
    this.input = this.addFeatureInput({ fields: true, numericEmbedding: true, linear: true });
    const { numFields: F, fieldDim: D } = this.input;
    const type = config.bilinearType ?? 'field_interaction';
    this.linear = this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng));
    this.senet = this.addChild('senet', new SenetLayer(F, config.reductionRatio ?? 3, this.initRng, 'FiBiNET'));
    this.bilinear = this.addChild('bilinear', new BilinearInteraction(F, D, type, this.initRng, 'FiBiNET'));
    this.senetBilinear = this.addChild('senetBilinear', new BilinearInteraction(F, D, type, this.initRng, 'FiBiNET'));
    const mlp = config.mlp ?? { dims: [256, 128] };
    this.deep = this.addChild('deep', new Mlp(2 * this.bilinear.outputDim, { ...mlp, outputDim: this.targets.length }, this.initRng, 'FiBiNET'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const E = this.input.fields(inputs);
    const V = this.senet.apply(E);
    const combined = tf.concat([this.bilinear.apply(E), this.senetBilinear.apply(V)], 1) as tf.Tensor2D;
    const firstOrder = this.linear.apply(this.input.linearWeights(inputs), inputs.dense);
    return tf.add(this.deep.apply(combined, ctx), firstOrder) as tf.Tensor2D;
  }
}

models.register(FiBiNET.modelName, FiBiNET);
