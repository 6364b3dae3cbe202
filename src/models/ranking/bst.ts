import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { RecencyEmbedding } from '../../basic/layers/recency-embedding';
import { TransformerBlock, TransformerBlockConfig } from '../../basic/layers/self-attention';
import { models } from '../../basic/model/model-registry';
import { SequenceFeature, SparseFeature } from '../../basic/features';
import { resolveSequenceRoles, SequenceRoleConfig } from './sequence-roles';

/** BST settings. */
export interface BSTConfig extends BaseModelConfig, SequenceRoleConfig {
  /** Transformer blocks over [history; target] (default 1, as in the paper). */
  numBlocks?: number;
  /** Each block: heads (default 2), headDim, ffnDim (default 4 x D), dropout, residualDropout. */
  transformer?: TransformerBlockConfig;
  /** Final MLP (default { dims: [256, 128] }). */
  mlp?: MlpConfig;
}

/**
 * Behavior Sequence Transformer (Chen et al., DLP-KDD 2019). The history items and the target item are tokens,
 * each plus a learned recency embedding (how many steps before the request: the paper's position feature);
 * transformer blocks (self-attention over real tokens, post-LN, FFN) let the target read the history in order:
 *   H = Transformer([e_1 + p_{n}; ...; e_n + p_1; e_target + p_0]),
 *   y = MLP([flat(other features, target embedding); h_target; mean_{t<=n} h_t])
 * (the paper concatenates every token's output; with left-aligned histories of varying length a slot has no fixed
 * meaning, so the target's output and the mean of the history outputs stand for them).
 */
export class BST extends BaseModel {
  static readonly modelName = 'BST';
  private readonly input: FeatureInput;
  private readonly behavior: SequenceFeature;
  private readonly target: SparseFeature;
  private readonly recency: RecencyEmbedding;
  private readonly blocks: TransformerBlock[] = [];
  private readonly mlp: Mlp;

  constructor(config: BSTConfig) {
    super(config);
    ({ behavior: this.behavior, target: this.target } = resolveSequenceRoles(this, config));
    this.input = this.addFeatureInput({ sequences: 'raw' });
    const D = this.behavior.embeddingDim;
    const numBlocks = config.numBlocks ?? 1;
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new Error(`BST: numBlocks must be a positive integer (got ${config.numBlocks})`);
    this.recency = this.addChild('recency', new RecencyEmbedding(this.behavior.maxLen, D, this.initRng));
    for (let l = 0; l < numBlocks; l++) this.blocks.push(this.addChild(`transformer/${l}`, new TransformerBlock(D, config.transformer ?? {}, this.initRng, 'BST')));
    this.mlp = this.addChild('mlp', new Mlp(this.input.flatWidth + 2 * D, { ...(config.mlp ?? { dims: [256, 128] }), outputDim: this.targets.length }, this.initRng, 'BST'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const B = inputs.batchSize;
    const { items, mask } = this.input.sequence(inputs, this.behavior.name);
    const L = items.shape[1];
    const history = tf.add(tf.transpose(items, [1, 0, 2]), this.recency.forHistories(mask));
    const target = tf.add(this.input.sparseEmbedding(inputs, this.target.name).expandDims(0), this.recency.present());
    let tokens = tf.concat([history, target], 0) as tf.Tensor3D; // [L + 1, B, D]
    const keyMask = tf.concat([tf.transpose(mask), tf.ones([1, B])], 0) as tf.Tensor2D;
    for (const block of this.blocks) tokens = block.apply(tokens, ctx, { keyMask });
    const targetOut = tokens.slice([L, 0, 0], [1, -1, -1]).reshape([B, -1]);
    const historyMask = tf.transpose(mask).expandDims(2); // [L, B, 1]
    const historySum = tf.sum(tf.mul(tokens.slice([0, 0, 0], [L, -1, -1]), historyMask), 0);
    const historyMean = tf.div(historySum, tf.maximum(tf.sum(mask, 1, true), 1));
    return this.mlp.apply(tf.concat([this.input.flat(inputs), targetOut, historyMean], 1) as tf.Tensor2D, ctx);
  }
}

models.register(BST.modelName, BST);
