import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { FeatureInput } from '../../basic/layers/feature-input';
import { InteractingLayer, InteractingLayerConfig } from '../../basic/layers/interacting-layer';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { LinearTerm } from '../../basic/layers/linear';
import { models } from '../../basic/model/model-registry';

/** AutoInt settings. */
export interface AutoIntConfig extends BaseModelConfig {
  /** Number of stacked interacting layers (default 3). */
  numLayers?: number;
  /** Each interacting layer: heads (default 2), headDim (default embeddingDim / heads), dropout on the attention weights, residual (default true). */
  attention?: InteractingLayerConfig;
  /** Add the first-order term w_0 + sum_i w_{id_i} + <w_d, x> to the logit (default true; false gives the paper's output layer alone). */
  firstOrder?: boolean;
  /** AutoInt+: an MLP on the flat input in parallel with the attention stack (default none: plain AutoInt). */
  mlp?: MlpConfig;
}

/**
 * AutoInt (Song et al., CIKM 2019). Every feature becomes a field vector e_m (sparse embeddings, pooled sequences,
 * and dense features as numeric embeddings x_k v_k); L interacting layers (multi-head self-attention over the
 * fields with a residual projection) model crosses of growing order:
 *   e^(l+1) = ReLU(MultiHead(e^(l)) + W_Res e^(l)),
 *   y = w^T [e_1^(L); ...; e_F^(L)] + b  (+ first order sum_i w_{id_i} + <w_d, x>)  (+ MLP(flat x) for AutoInt+)
 */
export class AutoInt extends BaseModel {
  static readonly modelName = 'AutoInt';
  private readonly input: FeatureInput;
  private readonly layers: InteractingLayer[] = [];
  private readonly head: Dense;
  private readonly deep: Mlp | null;
  private readonly linear: LinearTerm | null;

  constructor(config: AutoIntConfig) {
    super(config);
    const firstOrder = config.firstOrder ?? true;
    this.input = this.addFeatureInput({ fields: true, numericEmbedding: true, linear: firstOrder });
    this.linear = firstOrder ? this.addChild('linear', new LinearTerm(this.denseDim(), this.initRng)) : null;
    const numLayers = config.numLayers ?? 3;
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`AutoInt: numLayers must be a positive integer (got ${config.numLayers})`);
    let width = this.input.fieldDim;
    for (let l = 0; l < numLayers; l++) {
      const layer = this.addChild(`interacting/${l}`, new InteractingLayer(width, config.attention ?? {}, this.initRng, 'AutoInt'));
      this.layers.push(layer);
      width = layer.outputDim;
    }
    this.head = this.addChild('head', new Dense(this.input.numFields * width, this.targets.length, this.initRng));
    this.deep = config.mlp ? this.addChild('deep', new Mlp(this.input.flatWidth, { ...config.mlp, outputDim: this.targets.length }, this.initRng, 'AutoInt')) : null;
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    let e = this.input.fields(inputs);
    for (const layer of this.layers) e = layer.apply(e, ctx);
    let out = this.head.apply(e.reshape([inputs.batchSize, -1])) as tf.Tensor2D;
    if (this.linear) out = tf.add(out, this.linear.apply(this.input.linearWeights(inputs), inputs.dense)) as tf.Tensor2D;
    return this.deep ? (tf.add(out, this.deep.apply(this.input.flat(inputs), ctx)) as tf.Tensor2D) : out;
  }
}

models.register(AutoInt.modelName, AutoInt);
