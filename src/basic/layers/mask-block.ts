import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import { Module } from './module';

/**
 * MaskNet's MaskBlock (Wang et al., DLP-KDD 2021). An instance-guided mask computed from the row's embeddings
 * scales the block input element-wise, then a layer-normalised hidden layer follows:
 *   mask = W_2 ReLU(W_1 v_emb + b_1) + b_2            (aggregation width = reductionRatio x |v_emb|)
 *   out  = ReLU(LN(W_h (mask ⊙ x)))
 * x [B, inputDim] (the layer-normalised embeddings or a previous block's output), v_emb [B, embeddingWidth].
 */
export class MaskBlock extends Module {
  private readonly aggregate: Dense;
  private readonly project: Dense;
  private readonly hidden: Dense;
  private readonly norm: LayerNorm;

  constructor(
    readonly inputDim: number,
    readonly embeddingWidth: number,
    readonly outputDim: number,
    reductionRatio: number,
    rng: Rng,
    owner = 'MaskBlock',
  ) {
    super();
    if (!(reductionRatio > 0)) throw new Error(`${owner}: reductionRatio must be > 0 (got ${reductionRatio})`);
    if (!Number.isInteger(outputDim) || outputDim < 1) throw new Error(`${owner}: blockDim must be a positive integer (got ${outputDim})`);
    const aggregation = Math.max(1, Math.round(reductionRatio * embeddingWidth));
    this.aggregate = this.addChild('aggregate', new Dense(embeddingWidth, aggregation, rng, 'relu'));
    this.project = this.addChild('project', new Dense(aggregation, inputDim, rng));
    this.hidden = this.addChild('hidden', new Dense(inputDim, outputDim, rng, 'linear', false));
    this.norm = this.addChild('norm', new LayerNorm(outputDim));
  }

  apply(x: tf.Tensor2D, embeddings: tf.Tensor2D): tf.Tensor2D {
    const mask = this.project.apply(this.aggregate.apply(embeddings));
    return tf.relu(this.norm.apply(this.hidden.apply(tf.mul(mask, x)))) as tf.Tensor2D;
  }
}
