import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { FeatureInput } from '../../basic/layers/feature-input';
import { LayerNorm } from '../../basic/layers/layer-norm';
import { MaskBlock } from '../../basic/layers/mask-block';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';

/** MaskNet settings. */
export interface MaskNetConfig extends BaseModelConfig {
  /** 'serial' (blocks chained, each masked by the embeddings; default) or 'parallel' (blocks side by side + MLP). */
  structure?: 'serial' | 'parallel';
  /** Number of MaskBlocks (default 3). */
  numBlocks?: number;
  /** Output width of each block (default 64). */
  blockDim?: number;
  /** Width of the mask's aggregation layer as a multiple of the embedding width (default 1). */
  reductionRatio?: number;
  /** Parallel structure: MLP on the concatenated block outputs (default { dims: [256, 128] }); serial takes none. */
  mlp?: MlpConfig;
}

/**
 * MaskNet (Wang et al., DLP-KDD 2021). v_emb = [e_1; ...; e_F] (sparse, pooled sequences, numeric embeddings of
 * dense features); LN-EMB normalises each field vector. MaskBlocks multiply their input by an instance-guided mask
 * computed from v_emb:
 *   serial:   h_1 = MaskBlock_1(LN-EMB(v_emb)), h_k = MaskBlock_k(h_{k-1}),  y = w^T h_K + b
 *   parallel: h_k = MaskBlock_k(LN-EMB(v_emb)),                             y = MLP([h_1; ...; h_K])
 */
export class MaskNet extends BaseModel {
  static readonly modelName = 'MaskNet';
  readonly structure: 'serial' | 'parallel';
  private readonly input: FeatureInput;
  private readonly fieldNorm: LayerNorm;
  private readonly blocks: MaskBlock[] = [];
  private readonly head: Dense | Mlp;

  constructor(config: MaskNetConfig) {
    super(config);
    this.structure = config.structure ?? 'serial';
    if (this.structure !== 'serial' && this.structure !== 'parallel') throw new Error(`MaskNet: structure must be 'serial' or 'parallel' (got '${this.structure as string}')`);
    if (this.structure === 'serial' && config.mlp) throw new Error("MaskNet: mlp applies to structure 'parallel' only; the serial MaskNet scores its last block directly");
    const numBlocks = config.numBlocks ?? 3;
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new Error(`MaskNet: numBlocks must be a positive integer (got ${config.numBlocks})`);
    const blockDim = config.blockDim ?? 64;
    this.input = this.addFeatureInput({ fields: true, numericEmbedding: true });
    const width = this.input.numFields * this.input.fieldDim;
    this.fieldNorm = this.addChild('fieldNorm', new LayerNorm(this.input.fieldDim));
    for (let k = 0; k < numBlocks; k++) {
      const inDim = this.structure === 'serial' && k > 0 ? blockDim : width;
      this.blocks.push(this.addChild(`block/${k}`, new MaskBlock(inDim, width, blockDim, config.reductionRatio ?? 1, this.initRng, 'MaskNet')));
    }
    this.head =
      this.structure === 'serial'
        ? this.addChild('head', new Dense(blockDim, this.targets.length, this.initRng))
        : this.addChild('head', new Mlp(numBlocks * blockDim, { ...(config.mlp ?? { dims: [256, 128] }), outputDim: this.targets.length }, this.initRng, 'MaskNet'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const B = inputs.batchSize;
    const fields = this.input.fields(inputs);
    const vEmb = fields.reshape([B, -1]) as tf.Tensor2D;
    const lnEmb = this.fieldNorm.apply(fields).reshape([B, -1]) as tf.Tensor2D;
    if (this.structure === 'serial') {
      let h = lnEmb;
      for (const block of this.blocks) h = block.apply(h, vEmb);
      return (this.head as Dense).apply(h) as tf.Tensor2D;
    }
    const outs = this.blocks.map((block) => block.apply(lnEmb, vEmb));
    return (this.head as Mlp).apply(tf.concat(outs, 1) as tf.Tensor2D, ctx);
  }
}

models.register(MaskNet.modelName, MaskNet);
