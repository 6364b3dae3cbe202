import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { BaseModelConfig } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { MixedDense } from '../../basic/layers/mixed-dense';
import { FeatureInput } from '../../basic/layers/feature-input';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { OneTransBlock, OneTransBlockConfig } from '../../basic/layers/one-trans-block';
import { RecencyEmbedding } from '../../basic/layers/recency-embedding';
import { rightAlign } from '../../basic/layers/right-align';
import { models } from '../../basic/model/model-registry';

/** OneTrans settings. */
export interface OneTransConfig extends BaseModelConfig {
  /**
   * How the non-sequence features become NS-tokens (the paper's two tokenizers):
   * 'fields' (default): one token per feature (group-wise with one feature per group: token_f = e_f W_f + b_f, dense
   * features as numeric embeddings x_k v_k; needs one shared embeddingDim);
   * 'split': all of them concatenated, projected once and split into `numNsTokens` tokens (auto-split).
   */
  tokenizer?: 'fields' | 'split';
  /** NS-tokens of the 'split' tokenizer (default 4; 'fields' makes one per feature). */
  numNsTokens?: number;
  /** Token width without sequence features (default 16); with them it is their shared embeddingDim. */
  tokenDim?: number;
  /** Stacked OneTrans blocks (default 2). */
  numBlocks?: number;
  /** Each block: heads (default 2), headDim (default width / heads), ffnDim (default 4 x width), dropout on attention weights. */
  block?: OneTransBlockConfig;
  /**
   * Pyramid stacking (default true): block l keeps only the most recent ⌊L_S (N-1-l) / N⌋ sequence tokens as
   * queries, so the last block outputs the NS-tokens alone. false: every block keeps all tokens but the last.
   */
  pyramid?: boolean;
  /** Task tower on the final NS-tokens (default { dims: [256, 128] }). */
  mlp?: MlpConfig;
}

/**
 * OneTrans (Zhang et al., WWW 2026): one transformer for both sequence modelling and feature interaction.
 * Unified tokens: every behaviour sequence's items (right-aligned, each plus a learned recency embedding) are the
 * S-tokens; each non-sequence feature f becomes an NS-token e_f W_f + b_f (or, tokenizer 'split', one projection
 * of all of them is split into tokens):
 *   X_0 = [e_1 + p_n, ..., e_n + p_1 (per sequence);  e_1 W_1 + b_1, ..., e_F W_F + b_F]
 *   X_l = OneTransBlock_l(X_{l-1})   (causal, mixed parameters: S-tokens share weights, each NS-token has its own)
 *   y = MLP(flat(X_N))               (X_N: the NS-tokens)
 * Without sequence features it is a transformer over feature tokens alone.
 */
export class OneTrans extends BaseModel {
  static readonly modelName = 'OneTrans';
  private readonly input: FeatureInput;
  private readonly numNs: number;
  private readonly dim: number;
  private readonly splitTokenizer: Dense | null = null;
  private readonly fieldTokenizer: MixedDense | null = null;
  private readonly recency: RecencyEmbedding[] = [];
  private readonly blocks: OneTransBlock[] = [];
  private readonly queriesPerBlock: number[] = [];
  private readonly mlp: Mlp;

  constructor(config: OneTransConfig) {
    super(config);
    const tokenizer = config.tokenizer ?? 'fields';
    if (tokenizer !== 'fields' && tokenizer !== 'split') throw new Error(`OneTrans: tokenizer must be 'fields' or 'split' (got '${String(tokenizer)}')`);
    if (tokenizer === 'fields' && config.numNsTokens !== undefined) throw new Error("OneTrans: numNsTokens applies to tokenizer 'split' only ('fields' makes one token per feature)");
    const fields = tokenizer === 'fields' && this.sparseFeatures.length > 0;
    this.input = this.addFeatureInput({ sequences: 'raw', fields, numericEmbedding: fields });
    this.numNs = fields ? this.input.numFields : (config.numNsTokens ?? 4);
    if (!Number.isInteger(this.numNs) || this.numNs < 1) throw new Error(`OneTrans: numNsTokens must be a positive integer (got ${config.numNsTokens})`);
    const numBlocks = config.numBlocks ?? 2;
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new Error(`OneTrans: numBlocks must be a positive integer (got ${config.numBlocks})`);
    if (this.input.flatWidth === 0) throw new Error('OneTrans: needs at least one sparse or dense feature besides the sequences to form the NS-tokens');
    const seqDims = new Set(this.sequenceFeatures.map((s) => s.embeddingDim));
    if (seqDims.size > 1) {
      const list = this.sequenceFeatures.map((s) => `${s.name}=${s.embeddingDim}`).join(', ');
      throw new Error(`OneTrans: every sequence feature must share one embeddingDim, the token width (got ${list}); give them the same embeddingDim`);
    }
    if (seqDims.size === 1 && config.tokenDim !== undefined && !seqDims.has(config.tokenDim)) {
      throw new Error(`OneTrans: tokenDim ${config.tokenDim} differs from the sequence features' embeddingDim ${[...seqDims][0]}; leave tokenDim out (the S-tokens set the width)`);
    }
    this.dim = seqDims.size === 1 ? [...seqDims][0] : (config.tokenDim ?? 16);
    if (!Number.isInteger(this.dim) || this.dim < 1) throw new Error(`OneTrans: tokenDim must be a positive integer (got ${config.tokenDim})`);
    if (fields) this.fieldTokenizer = this.addChild('tokenizer', new MixedDense(this.input.fieldDim, this.dim, this.numNs, this.initRng));
    else this.splitTokenizer = this.addChild('tokenizer', new Dense(this.input.flatWidth, this.numNs * this.dim, this.initRng));
    this.sequenceFeatures.forEach((s) => this.recency.push(this.addChild(`recency/${s.name}`, new RecencyEmbedding(s.maxLen, this.dim, this.initRng))));
    const numSeqTokens = this.sequenceFeatures.reduce((n, s) => n + s.maxLen, 0);
    const pyramid = config.pyramid ?? true;
    for (let l = 0; l < numBlocks; l++) {
      this.blocks.push(this.addChild(`block/${l}`, new OneTransBlock(this.dim, this.numNs, config.block ?? {}, this.initRng, 'OneTrans')));
      const keptSeq = l === numBlocks - 1 ? 0 : pyramid ? Math.floor((numSeqTokens * (numBlocks - 1 - l)) / numBlocks) : numSeqTokens;
      this.queriesPerBlock.push(keptSeq + this.numNs);
    }
    this.mlp = this.addChild('mlp', new Mlp(this.numNs * this.dim, { ...(config.mlp ?? { dims: [256, 128] }), outputDim: this.targets.length }, this.initRng, 'OneTrans'));
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const B = inputs.batchSize;
    const tokens: tf.Tensor3D[] = [];
    const masks: tf.Tensor2D[] = [];
    this.sequenceFeatures.forEach((s, i) => {
      const { items, mask } = this.input.sequence(inputs, s.name);
      const withRecency = tf.add(items, tf.transpose(this.recency[i].forHistories(mask), [1, 0, 2])) as tf.Tensor3D;
      const aligned = rightAlign(withRecency, mask);
      tokens.push(tf.transpose(aligned.items, [1, 0, 2]) as tf.Tensor3D);
      masks.push(tf.transpose(aligned.mask) as tf.Tensor2D);
    });
    if (this.fieldTokenizer) tokens.push(this.fieldTokenizer.apply(tf.transpose(this.input.fields(inputs), [1, 0, 2]) as tf.Tensor3D));
    else tokens.push(tf.transpose(this.splitTokenizer!.apply(this.input.flat(inputs)).reshape([B, this.numNs, this.dim]), [1, 0, 2]) as tf.Tensor3D);
    masks.push(tf.ones([this.numNs, B]));
    let x = tokens.length === 1 ? tokens[0] : (tf.concat(tokens, 0) as tf.Tensor3D);
    let keyMask: tf.Tensor2D | null = masks.length === 1 ? null : (tf.concat(masks, 0) as tf.Tensor2D);
    this.blocks.forEach((block, l) => {
      const keep = Math.min(this.queriesPerBlock[l], x.shape[0]);
      x = block.apply(x, ctx, keyMask, keep);
      if (keyMask) keyMask = keep === keyMask.shape[0] ? keyMask : (keyMask.slice([keyMask.shape[0] - keep, 0], [keep, -1]) as tf.Tensor2D);
    });
    const out = tf.transpose(x, [1, 0, 2]).reshape([B, this.numNs * this.dim]) as tf.Tensor2D;
    return this.mlp.apply(out, ctx);
  }
}

models.register(OneTrans.modelName, OneTrans);
