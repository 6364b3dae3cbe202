import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { ProductKind, ProductLayer } from '../../basic/layers/product-layer';
import { models } from '../../basic/model/model-registry';

/** PNN settings. */
export interface PNNConfig extends BaseModelConfig {
  /** 'inner' (IPNN, default): p_ij = <e_i, e_j>; 'outer' (OPNN): p_ij = e_i^T W_ij e_j. */
  product?: ProductKind;
  /** Layers above the product layer; default { dims: [256, 128] }. */
  mlp?: MlpConfig;
  /** Dense features also enter the products as fields x_k v_k (default false: they enter the linear signal only). */
  numericEmbedding?: boolean;
}

/**
 * Product-based neural network (Qu et al., ICDM 2016). The linear signal z (every embedding and dense input,
 * concatenated) and the product signal p (one product per field pair) feed an MLP:
 *   y = sigmoid( MLP([z; p]) ),   z = [e_1; ...; e_F; x],   p = (p_ij)_{i<j}
 * All embedded features share one embeddingDim.
 */
export class PNN extends BaseModel {
  static readonly modelName = 'PNN';
  readonly product: ProductKind;
  private readonly input: FeatureInput;
  private readonly products: ProductLayer;
  private readonly deep: Mlp;

  constructor(config: PNNConfig) {
    super(config);
    this.product = config.product ?? 'inner';
    if (this.product !== 'inner' && this.product !== 'outer') throw new Error(`PNN: product must be 'inner' or 'outer' (got '${this.product as string}')`);
    this.input = this.addFeatureInput({ fields: true, numericEmbedding: config.numericEmbedding ?? false });
    if (this.input.numFields < 2) throw new Error(`PNN: needs at least two fields to form pairs (got ${this.input.numFields})`);
    this.products = this.addChild('product', new ProductLayer(this.input.numFields, this.input.fieldDim, this.product, this.initRng));
    const mlp = config.mlp ?? { dims: [256, 128] };
    const width = this.input.flatWidth + this.products.numPairs;
    this.deep = this.addChild('deep', new Mlp(width, { ...mlp, outputDim: this.targets.length }, this.initRng, 'PNN'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const z = this.input.flat(inputs);
    const p = this.products.apply(this.input.fields(inputs));
    return this.deep.apply(tf.concat([z, p], 1) as tf.Tensor2D, ctx);
  }
}

models.register(PNN.modelName, PNN);
