import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { init } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { FeatureInput } from '../../basic/layers/feature-input';
import { ComplexFields, EulerInteractionConfig, EulerInteractionLayer } from '../../basic/layers/euler-interaction';
import { models } from '../../basic/model/model-registry';

/** EulerNet settings. */
export interface EulerNetConfig extends BaseModelConfig {
  /** Output field count ("orders") of each Euler interaction layer (default [F, F]: two layers as wide as the input). */
  orderList?: number[];
  /** Implicit branch in every layer (default true). */
  implicit?: EulerInteractionConfig['implicit'];
}

/**
 * EulerNet (Tian et al., SIGIR 2023). Each field vector e_j (sparse, pooled sequences, numeric embeddings of dense
 * features) becomes a complex vector μ_j e^{i e_j} (μ_j learned, per field and dim), Euler interaction layers learn
 * interaction orders in polar form, and one regressor scores both parts of the output:
 *   r + ip = EulerLayers(μ ⊙ cos E + i μ ⊙ sin E),   y = w^T r + w^T p + b
 */
export class EulerNet extends BaseModel {
  static readonly modelName = 'EulerNet';
  private readonly input: FeatureInput;
  private readonly modulus: tf.Variable;
  private readonly layers: EulerInteractionLayer[] = [];
  private readonly regressor: Dense;

  constructor(config: EulerNetConfig) {
    super(config);
    this.input = this.addFeatureInput({ fields: true, numericEmbedding: true });
    const { numFields: F, fieldDim: D } = this.input;
    const orders = config.orderList ?? [F, F];
    if (!Array.isArray(orders) || orders.length === 0) throw new Error('EulerNet: orderList must list at least one output field count');
    this.modulus = this.addParam('modulus', [F, D], init.constant([F, D], 1), { regularize: false });
    let inFields = F;
    orders.forEach((k, l) => {
      if (!Number.isInteger(k) || k < 1) throw new Error(`EulerNet: orderList[${l}] must be a positive integer (got ${k})`);
      this.layers.push(this.addChild(`euler/${l}`, new EulerInteractionLayer(inFields, k, D, { implicit: config.implicit }, this.initRng)));
      inFields = k;
    });
    this.regressor = this.addChild('regressor', new Dense(inFields * D, this.targets.length, this.initRng));
  }

  protected forward(inputs: ModelInputs): tf.Tensor2D {
    const B = inputs.batchSize;
    const e = this.input.fields(inputs);
    let z: ComplexFields = { re: tf.mul(this.modulus, tf.cos(e)) as tf.Tensor3D, im: tf.mul(this.modulus, tf.sin(e)) as tf.Tensor3D };
    for (const layer of this.layers) z = layer.apply(z);
    return tf.add(this.regressor.apply(z.re.reshape([B, -1])), this.regressor.apply(z.im.reshape([B, -1]))) as tf.Tensor2D;
  }
}

models.register(EulerNet.modelName, EulerNet);
