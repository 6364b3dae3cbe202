import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import { detachedMax, keyMajorApply, keyMajorScores } from './attention';
import { ForwardContext, Module } from './module';
import { trainingDropout } from './dropout';

/*
 * Bidirectional (optionally causal) multi-head self-attention over a short token set: the fields of a CTR row
 * (AutoInt), a behaviour sequence plus its target (BST), or sequence and feature tokens together (OneTrans).
 * Tokens are time-major [L, B, D] and scores key-major [Lk, B, H, Lq], so the batched products run through
 * keyMajorScores / keyMajorApply (XNNPACK on wasm; see attention.ts).
 */

/** Settings of {@link MultiHeadSelfAttention}. */
export interface SelfAttentionConfig {
  /** Number of heads (default 2). */
  heads?: number;
  /** Width of each head (default: the input width / heads). */
  headDim?: number;
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
}

/** Which keys a query may see, and which queries to compute. */
export interface AttentionMasking {
  /** [L, B] time-major, 1 for a real token, 0 for padding (padded keys get weight exactly 0). */
  keyMask?: tf.Tensor2D | null;
  /** Query i sees keys j <= i only. */
  causal?: boolean;
  /** Compute only the last `lastQueries` tokens' outputs (OneTrans' pyramid); default all. */
  lastQueries?: number;
}

const MASKED = -1e9;

/** Head layout of a multi-head attention: heads, their width, the output width and the dropout on the weights. */
export interface HeadLayout {
  heads: number;
  headDim: number;
  outputDim: number;
  dropout: number;
}

/** Check and default the head settings for inputs of width `inputDim`; errors name `owner` and the fix. */
export function resolveHeads(config: SelfAttentionConfig, inputDim: number, owner: string): HeadLayout {
  const heads = config.heads ?? 2;
  if (!Number.isInteger(heads) || heads < 1) throw new Error(`${owner}: heads must be a positive integer (got ${config.heads})`);
  const headDim = config.headDim ?? inputDim / heads;
  if (!Number.isInteger(headDim) || headDim < 1) {
    throw new Error(`${owner}: headDim must be a positive integer (got ${config.headDim ?? `${inputDim} / ${heads} heads`}); set headDim or make heads divide the width`);
  }
  const dropout = config.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`${owner}: dropout must be in [0, 1) (got ${config.dropout})`);
  return { heads, headDim, outputDim: heads * headDim, dropout };
}

/** Additive score mask [Lk, B, 1, Lq] (or broadcastable) from a key mask and causality. */
export function scoreMask(L: number, B: number, Lq: number, m: AttentionMasking): tf.Tensor | null {
  let out: tf.Tensor | null = null;
  if (m.keyMask) out = tf.mul(tf.sub(1, m.keyMask), MASKED).reshape([L, B, 1, 1]);
  if (m.causal) {
    const c = new Float32Array(L * Lq);
    const offset = L - Lq;
    for (let j = 0; j < L; j++) for (let i = 0; i < Lq; i++) if (j > i + offset) c[j * Lq + i] = MASKED;
    const causal = tf.tensor4d(c, [L, 1, 1, Lq]);
    out = out ? tf.add(out, causal) : causal;
  }
  return out;
}

/**
 * Scaled dot-product multi-head self-attention (Vaswani et al., 2017):
 *   head_h(X) = softmax( (X W_Q^h)(X W_K^h)^T / sqrt(d_h) ) X W_V^h,   out = [head_1; ...; head_H]
 * Input time-major [L, B, D], output [Lq, B, H * d_h] (no output projection: callers add their own).
 */
export class MultiHeadSelfAttention extends Module {
  readonly heads: number;
  readonly headDim: number;
  readonly outputDim: number;
  private readonly qkv: Dense;
  private readonly dropout: number;

  constructor(
    readonly inputDim: number,
    config: SelfAttentionConfig,
    rng: Rng,
    owner = 'MultiHeadSelfAttention',
  ) {
    super();
    ({ heads: this.heads, headDim: this.headDim, outputDim: this.outputDim, dropout: this.dropout } = resolveHeads(config, inputDim, owner));
    this.qkv = this.addChild('qkv', new Dense(inputDim, 3 * this.outputDim, rng, 'linear', false));
  }

  apply(x: tf.Tensor3D, ctx: ForwardContext, masking: AttentionMasking = {}): tf.Tensor3D {
    const [L, B, D] = x.shape;
    if (D !== this.inputDim) throw new Error(`MultiHeadSelfAttention: expected width ${this.inputDim}, got [${x.shape}]`);
    const Lq = masking.lastQueries ?? L;
    if (!Number.isInteger(Lq) || Lq < 1 || Lq > L) throw new Error(`MultiHeadSelfAttention: lastQueries must be in [1, ${L}] (got ${masking.lastQueries})`);
    const H = this.heads;
    const E = this.outputDim;
    const [q, k, v] = this.qkv.applyParts(x.reshape([L * B, D]), [E, E, E]);
    return multiHeadAttend(q.reshape([L, B, -1]), k.reshape([L, B, -1]), v.reshape([L, B, -1]), H, masking, ctx, this.dropout);
  }
}

/**
 * The attention step itself, for callers that project Q, K and V their own way (OneTrans' mixed parameters,
 * cross-attention to an encoder's memory): time-major projections, queries [Lq, B, H * d_h] and keys / values
 * [L, B, H * d_h] (heads side by side) -> [Lq', B, H * d_h], with softmax(Q K^T / sqrt(d_h)) V per head, masked as
 * `masking` says (`lastQueries` keeps the last Lq' queries); `dropout` on the weights while training.
 */
export function multiHeadAttend(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number, masking: AttentionMasking, ctx: ForwardContext, dropout = 0): tf.Tensor3D {
  const [L, B, E] = k.shape;
  const H = heads;
  const dh = E / H;
  const Lq = masking.lastQueries ?? q.shape[0];
  const split = (t: tf.Tensor3D) => t.reshape([t.shape[0], B * H, dh]) as tf.Tensor3D;
  const queries = Lq === q.shape[0] ? q : (q.slice([q.shape[0] - Lq, 0, 0], [Lq, -1, -1]) as tf.Tensor3D);
  let scores: tf.Tensor = tf.mul(keyMajorScores(split(queries), split(k)).reshape([L, B, H, Lq]), 1 / Math.sqrt(dh));
  const mask = scoreMask(L, B, Lq, masking);
  if (mask) scores = tf.add(scores, mask);
  // softmax over keys (axis 0); the shift only guards exp against overflow
  const e = tf.exp(tf.sub(scores, detachedMax(scores, 0)));
  let weights = tf.div(e, tf.sum(e, 0, true));
  weights = trainingDropout(weights, dropout, ctx);
  return keyMajorApply(weights.reshape([L, B * H, Lq]) as tf.Tensor3D, split(v)).reshape([Lq, B, E]) as tf.Tensor3D;
}

/** Settings of {@link TransformerBlock}. */
export interface TransformerBlockConfig extends SelfAttentionConfig {
  /** Hidden width of the point-wise feed-forward network (default 4 x the width). */
  ffnDim?: number;
  /** Dropout on both residual branches while training (default 0). */
  residualDropout?: number;
}

/** Feed-forward width (default 4 x `dim`) and residual dropout of a transformer block, checked; errors name `owner`. */
export function resolveBlockSizes(config: TransformerBlockConfig, dim: number, owner: string): { ffnDim: number; residualDropout: number } {
  const ffnDim = config.ffnDim ?? 4 * dim;
  if (!Number.isInteger(ffnDim) || ffnDim < 1) throw new Error(`${owner}: ffnDim must be a positive integer (got ${config.ffnDim})`);
  const residualDropout = config.residualDropout ?? 0;
  if (!(residualDropout >= 0 && residualDropout < 1)) throw new Error(`${owner}: residualDropout must be in [0, 1) (got ${config.residualDropout})`);
  return { ffnDim, residualDropout };
}

/**
 * A post-layer-norm transformer encoder block (as used by BST, Chen et al., 2019):
 *   S = LayerNorm(X + Dropout(MultiHead(X) W_O)),   F = LayerNorm(S + Dropout(ReLU(S W_1 + b_1) W_2 + b_2))
 * Time-major [L, B, D] -> [Lq, B, D].
 */
export class TransformerBlock extends Module {
  private readonly attention: MultiHeadSelfAttention;
  private readonly proj: Dense;
  private readonly ln1: LayerNorm;
  private readonly ffn1: Dense;
  private readonly ffn2: Dense;
  private readonly ln2: LayerNorm;
  private readonly residualDropout: number;

  constructor(
    readonly dim: number,
    config: TransformerBlockConfig,
    rng: Rng,
    owner = 'TransformerBlock',
  ) {
    super();
    this.attention = this.addChild('attention', new MultiHeadSelfAttention(dim, config, rng, owner));
    this.proj = this.addChild('proj', new Dense(this.attention.outputDim, dim, rng));
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    const { ffnDim, residualDropout } = resolveBlockSizes(config, dim, owner);
    this.residualDropout = residualDropout;
    this.ffn1 = this.addChild('ffn1', new Dense(dim, ffnDim, rng, 'relu'));
    this.ffn2 = this.addChild('ffn2', new Dense(ffnDim, dim, rng));
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
  }

  apply(x: tf.Tensor3D, ctx: ForwardContext, masking: AttentionMasking = {}): tf.Tensor3D {
    const [L, B, D] = x.shape;
    const Lq = masking.lastQueries ?? L;
    const drop = (t: tf.Tensor) => trainingDropout(t, this.residualDropout, ctx);
    const attended = this.proj.apply(this.attention.apply(x, ctx, masking).reshape([Lq * B, -1]));
    const residual = Lq === L ? x : x.slice([L - Lq, 0, 0], [Lq, -1, -1]);
    const s = this.ln1.apply(tf.add(residual.reshape([Lq * B, D]), drop(attended)));
    const f = this.ffn2.apply(this.ffn1.apply(s));
    return this.ln2.apply(tf.add(s, drop(f))).reshape([Lq, B, D]) as tf.Tensor3D;
  }
}
