import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { LayerNorm } from './layer-norm';
import { MixedDense } from './mixed-dense';
import { ForwardContext, Module } from './module';
import { multiHeadAttend } from './self-attention';

/** Settings of {@link OneTransBlock}. */
export interface OneTransBlockConfig {
  /** Attention heads (default 2). */
  heads?: number;
  /** Width of each head (default: the token width / heads). */
  headDim?: number;
  /** Hidden width of the feed-forward network (default 4 x the token width). */
  ffnDim?: number;
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
}

/**
 * One OneTrans block (Zhang et al., 2025): a pre-norm causal transformer block over the unified token row
 * [S-tokens; NS-tokens] whose Q/K/V, output and feed-forward weights are mixed (`MixedDense`: shared by the
 * sequence tokens, one set per non-sequence token):
 *   Z = X_q + MixedAttn(LN(X)),   out = Z + MixedFFN(LN(Z))
 * where X_q are the last `lastQueries` tokens (the pyramid keeps only the most recent sequence tokens and every
 * NS-token as queries, all tokens as keys). Causal: token i reads tokens j <= i, so the NS-tokens, placed last,
 * read the whole sequence, and a sequence token never reads the features of the request.
 * Time-major [T, B, D] -> [lastQueries, B, D].
 */
export class OneTransBlock extends Module {
  readonly heads: number;
  private readonly ln1: LayerNorm;
  private readonly qkv: MixedDense;
  private readonly out: MixedDense;
  private readonly ln2: LayerNorm;
  private readonly ffn1: MixedDense;
  private readonly ffn2: MixedDense;
  private readonly dropout: number;

  constructor(
    readonly dim: number,
    readonly numNsTokens: number,
    config: OneTransBlockConfig,
    rng: Rng,
    owner = 'OneTransBlock',
  ) {
    super();
    this.heads = config.heads ?? 2;
    if (!Number.isInteger(this.heads) || this.heads < 1) throw new Error(`${owner}: heads must be a positive integer (got ${config.heads})`);
    const headDim = config.headDim ?? dim / this.heads;
    if (!Number.isInteger(headDim) || headDim < 1) {
      throw new Error(`${owner}: headDim must be a positive integer (got ${config.headDim ?? `${dim} / ${this.heads} heads`}); set headDim or make heads divide the token width`);
    }
    const ffnDim = config.ffnDim ?? 4 * dim;
    if (!Number.isInteger(ffnDim) || ffnDim < 1) throw new Error(`${owner}: ffnDim must be a positive integer (got ${config.ffnDim})`);
    this.dropout = config.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${owner}: dropout must be in [0, 1) (got ${config.dropout})`);
    const width = this.heads * headDim;
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    this.qkv = this.addChild('qkv', new MixedDense(dim, 3 * width, numNsTokens, rng, 'linear', false));
    this.out = this.addChild('out', new MixedDense(width, dim, numNsTokens, rng, 'linear', true, true));
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
    this.ffn1 = this.addChild('ffn1', new MixedDense(dim, ffnDim, numNsTokens, rng, 'relu'));
    this.ffn2 = this.addChild('ffn2', new MixedDense(ffnDim, dim, numNsTokens, rng, 'linear', true, true));
  }

  /**
   * @param keyMask [T, B], 1 for a real token (padded sequence slots 0)
   * @param lastQueries tokens kept as queries and outputs (>= the NS-token count; default all)
   */
  apply(x: tf.Tensor3D, ctx: ForwardContext, keyMask: tf.Tensor2D | null, lastQueries = x.shape[0]): tf.Tensor3D {
    const [T, B, D] = x.shape;
    if (D !== this.dim) throw new Error(`OneTransBlock: expected width ${this.dim}, got [${x.shape}]`);
    if (!Number.isInteger(lastQueries) || lastQueries < this.numNsTokens || lastQueries > T) {
      throw new Error(`OneTransBlock: lastQueries must be in [${this.numNsTokens}, ${T}] (got ${lastQueries})`);
    }
    const [q, k, v] = tf.split(this.qkv.apply(this.ln1.apply(x) as tf.Tensor3D), 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const attended = multiHeadAttend(q, k, v, this.heads, { keyMask, causal: true, lastQueries }, ctx, this.dropout);
    const kept = lastQueries === T ? x : (x.slice([T - lastQueries, 0, 0], [lastQueries, -1, -1]) as tf.Tensor3D);
    const z = tf.add(kept, this.out.apply(attended)) as tf.Tensor3D;
    return tf.add(z, this.ffn2.apply(this.ffn1.apply(this.ln2.apply(z) as tf.Tensor3D))) as tf.Tensor3D;
  }
}
