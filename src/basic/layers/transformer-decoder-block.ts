import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import { ForwardContext, Module } from './module';
import { MultiHeadSelfAttention, resolveBlockSizes, TransformerBlockConfig } from './self-attention';
import { MultiHeadCrossAttention } from './cross-attention';
import { trainingDropout } from './dropout';

/**
 * A post-layer-norm transformer decoder block (Vaswani et al., 2017):
 *   S = LN(Y + Drop(CausalSelfAttn(Y) W_O)),  C = LN(S + Drop(CrossAttn(S, M) W_C)),  F = LN(C + Drop(FFN(C)))
 * Time-major targets Y [Lq, B, D] and encoder memory M [Lk, B, D] -> [Lq, B, D]; output t depends on Y_0..Y_t only.
 */
export class TransformerDecoderBlock extends Module {
  private readonly selfAttention: MultiHeadSelfAttention;
  private readonly selfProj: Dense;
  private readonly ln1: LayerNorm;
  private readonly crossAttention: MultiHeadCrossAttention;
  private readonly crossProj: Dense;
  private readonly ln2: LayerNorm;
  private readonly ffn1: Dense;
  private readonly ffn2: Dense;
  private readonly ln3: LayerNorm;
  private readonly residualDropout: number;

  constructor(
    readonly dim: number,
    config: TransformerBlockConfig,
    rng: Rng,
    owner = 'TransformerDecoderBlock',
  ) {
    super();
    this.selfAttention = this.addChild('selfAttention', new MultiHeadSelfAttention(dim, config, rng, owner));
    this.selfProj = this.addChild('selfProj', new Dense(this.selfAttention.outputDim, dim, rng));
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    this.crossAttention = this.addChild('crossAttention', new MultiHeadCrossAttention(dim, dim, config, rng, owner));
    this.crossProj = this.addChild('crossProj', new Dense(this.crossAttention.outputDim, dim, rng));
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
    const { ffnDim, residualDropout } = resolveBlockSizes(config, dim, owner);
    this.residualDropout = residualDropout;
    this.ffn1 = this.addChild('ffn1', new Dense(dim, ffnDim, rng, 'relu'));
    this.ffn2 = this.addChild('ffn2', new Dense(ffnDim, dim, rng));
    this.ln3 = this.addChild('ln3', new LayerNorm(dim));
  }

  /** `memoryMask` [Lk, B]: 1 for a real memory token, 0 for padding. */
  apply(y: tf.Tensor3D, memory: tf.Tensor3D, ctx: ForwardContext, memoryMask: tf.Tensor2D | null = null): tf.Tensor3D {
    const [L, B, D] = y.shape;
    const drop = (t: tf.Tensor) => trainingDropout(t, this.residualDropout, ctx);
    const attended = this.selfProj.apply(this.selfAttention.apply(y, ctx, { causal: true }).reshape([L * B, -1]));
    const s = this.ln1.apply(tf.add(y.reshape([L * B, D]), drop(attended)));
    const crossed = this.crossProj.apply(this.crossAttention.apply(s.reshape([L, B, D]) as tf.Tensor3D, memory, ctx, memoryMask).reshape([L * B, -1]));
    const c = this.ln2.apply(tf.add(s, drop(crossed)));
    const f = this.ffn2.apply(this.ffn1.apply(c));
    return this.ln3.apply(tf.add(c, drop(f))).reshape([L, B, D]) as tf.Tensor3D;
  }
}
