import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import { channelMatMul } from './channel-matmul';
import { customOp } from './custom-op';
import { dropoutMultiplier, trainingDropout } from './dropout';
import { fusedAttention } from './fused-attention';
import { fusedOpsEnabled } from './fused-mode';
import { ForwardContext, Module } from './module';
import { positionBucket, RelativeBiasConfig, RelativeBuckets, timeBucket } from './positional';

export { BatchedMatMulMode, setBatchedMatMulMode } from './channel-matmul';

/*
 * Sequence layers here work on time-major tokens [L, B, D] and keep attention scores key-major,
 * [Lk, B, heads, Lq]. tfjs-backend-wasm 4.22 runs a batched matMul (batch > 1) in a naive C loop, ~10x slower than
 * XNNPACK; a depthwise convolution whose channels are the batch rows computes the same products through XNNPACK.
 * Its natural layouts are batch-innermost, and with time-major tokens and key-major scores every big
 * [Lk, B, Lq] tensor is consumed in place: only the backward pass transposes two of them per layer
 * (measured at B=128, L=200, d=50, fwd+bwd of QK^T and AV: 0.9 s versus 4.4 s with tf.matMul).
 */

const scoresOp = customOp(([q, k], save) => {
  save([q, k]);
  const value = channelMatMul(tf.transpose(k, [0, 2, 1]) as tf.Tensor3D, tf.transpose(q, [2, 1, 0]) as tf.Tensor3D);
  return {
    value,
    gradFunc: (g: tf.Tensor, saved: tf.Tensor[]) => {
      const [qs, ks] = saved;
      const dq = tf.transpose(channelMatMul(tf.transpose(ks, [2, 0, 1]) as tf.Tensor3D, g as tf.Tensor3D), [2, 1, 0]);
      const dk = channelMatMul(tf.transpose(g, [0, 2, 1]) as tf.Tensor3D, qs as tf.Tensor3D);
      return [dq, dk];
    },
  };
});

const applyOp = customOp(([a, v], save) => {
  save([a, v]);
  const value = tf.transpose(channelMatMul(tf.transpose(v, [2, 0, 1]) as tf.Tensor3D, a as tf.Tensor3D), [2, 1, 0]);
  return {
    value,
    gradFunc: (g: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, vs] = saved;
      const da = channelMatMul(tf.transpose(vs, [0, 2, 1]) as tf.Tensor3D, tf.transpose(g, [2, 1, 0]) as tf.Tensor3D);
      const dv = channelMatMul(tf.transpose(as, [0, 2, 1]) as tf.Tensor3D, g as tf.Tensor3D);
      return [da, dv];
    },
  };
});

/**
 * Key-major attention scores: for time-major queries q [Lq, N, d] and keys k [Lk, N, d] (N = batch x heads),
 * s[j, n, i] = <k[j, n], q[i, n]>, shaped [Lk, N, Lq].
 */
export function keyMajorScores(q: tf.Tensor3D, k: tf.Tensor3D): tf.Tensor3D {
  if (q.shape[1] !== k.shape[1] || q.shape[2] !== k.shape[2]) throw new Error(`keyMajorScores: q [${q.shape}] and k [${k.shape}] do not match`);
  return scoresOp(q, k) as tf.Tensor3D;
}

/** Weighted values: for key-major weights a [Lk, N, Lq] and values v [Lk, N, e], o[i, n] = sum_j a[j, n, i] v[j, n], shaped [Lq, N, e]. */
export function keyMajorApply(a: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  if (a.shape[0] !== v.shape[0] || a.shape[1] !== v.shape[1]) throw new Error(`keyMajorApply: weights [${a.shape}] and values [${v.shape}] do not match`);
  return applyOp(a, v) as tf.Tensor3D;
}

/**
 * max(x, axis) with keepDims and a zero gradient, for shifts that cancel mathematically (the max in a softmax or
 * log-sum-exp). Taking the max inside the custom op keeps it off the gradient tape: differentiating tf.max would
 * build a broadcast tf.equal mask of x's size, which is slow on wasm (~0.1 us per element).
 */
export function detachedMax(x: tf.Tensor, axis: number): tf.Tensor {
  const shape = x.shape;
  const op = customOp(([t]) => ({ value: tf.max(t, axis, true), gradFunc: () => tf.zeros(shape) }));
  return op(x);
}

/** Layout of one batch of sequences. */
export interface SequenceBatchInit {
  /** Padded number of prefix (history) tokens L; row b's real tokens are positions 0..lengths[b]-1. */
  length: number;
  /** Real prefix tokens per row. */
  lengths: Int32Array;
  /** Target tokens per row appended after the prefix: each sees its row's real prefix and itself, nothing else (default 0). */
  targets?: number;
  /** Timestamps in seconds of prefix tokens, row-major [B x length] (b * length + t); enables the temporal bias. */
  timestamps?: Float64Array | null;
  /**
   * Time of each row's request: the time of its target tokens and of the query at its last real prefix token
   * (default: the row's last real prefix timestamp).
   */
  targetTimes?: Float64Array | null;
}

/**
 * Masks and relative-position buckets of one batch, built on the host once and shared by all layers. Every
 * mask excludes padded keys, so no output at a real position (or of a target token) can depend on padding.
 */
export class SequenceBatch {
  /** Padded prefix length. */
  readonly L: number;
  /** Rows in the batch. */
  readonly B: number;
  /** Target tokens per row. */
  readonly C: number;
  /** Real prefix tokens per row. */
  readonly lengths: Int32Array;
  /** Prefix timestamps [B x L], or null. */
  readonly timestamps: Float64Array | null;
  /** Target times [B], or null. */
  readonly targetTimes: Float64Array | null;
  private readonly bucketCache = new Map<string, RelativeBuckets>();
  private readonly tensorCache = new Map<string, tf.Tensor>();

  constructor(init: SequenceBatchInit) {
    this.L = init.length;
    this.lengths = init.lengths;
    this.B = init.lengths.length;
    this.C = init.targets ?? 0;
    this.timestamps = init.timestamps ?? null;
    this.targetTimes = init.targetTimes ?? null;
    if (!Number.isInteger(this.L) || this.L < 1) throw new Error(`SequenceBatch: length must be a positive integer (got ${this.L})`);
    for (let b = 0; b < this.B; b++) {
      if (this.lengths[b] < 0 || this.lengths[b] > this.L) throw new Error(`SequenceBatch: row ${b} has length ${this.lengths[b]}, outside [0, ${this.L}]`);
    }
    if (this.timestamps && this.timestamps.length !== this.B * this.L) throw new Error(`SequenceBatch: timestamps must hold B x length = ${this.B * this.L} values (got ${this.timestamps.length})`);
  }

  /** Tensors are created inside the caller's tidy / gradient scope on first use and reused by later layers. */
  private cached(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.tensorCache.get(key);
    if (!t || t.isDisposed) {
      t = make();
      this.tensorCache.set(key, t);
    }
    return t;
  }

  /**
   * HSTU's pointwise attention normaliser for prefix queries, key-major [L, B, 1, L]: 1 / n(b, i) where causal and
   * the key is real, else 0; n(b, i) = number of real keys the query sees.
   */
  prefixWeights(): tf.Tensor4D {
    return this.cached('prefixWeights', () => {
      const { L, B } = this;
      const out = new Float32Array(L * B * L);
      const w = new Float32Array(L);
      // key j of row b is visible to queries i >= j when j < len: one contiguous run of the query axis per key
      for (let b = 0; b < B; b++) {
        const len = this.lengths[b];
        for (let i = 0; i < L; i++) w[i] = 1 / Math.min(i + 1, len);
        for (let j = 0; j < len; j++) out.set(w.subarray(j), (j * B + b) * L + j);
      }
      return tf.tensor4d(out, [L, B, 1, L]);
    }) as tf.Tensor4D;
  }

  /** Additive softmax mask for prefix queries, key-major [L, B, 1, L]: 0 where causal and the key is real, -1e9 elsewhere. */
  prefixSoftmaxMask(): tf.Tensor4D {
    return this.cached('prefixSoftmaxMask', () => {
      const { L, B } = this;
      const out = new Float32Array(L * B * L).fill(-1e9);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < this.lengths[b]; j++) out.fill(0, (j * B + b) * L + j, (j * B + b + 1) * L);
      }
      return tf.tensor4d(out, [L, B, 1, L]);
    }) as tf.Tensor4D;
  }

  /** Normaliser of target queries over prefix keys, [L, B, 1, 1]: 1 / (len_b + 1) on real keys (the +1 is the target itself). */
  targetWeights(): tf.Tensor4D {
    return this.cached('targetWeights', () => {
      const { L, B } = this;
      const out = new Float32Array(L * B);
      for (let b = 0; b < B; b++) for (let j = 0; j < this.lengths[b]; j++) out[j * B + b] = 1 / (this.lengths[b] + 1);
      return tf.tensor4d(out, [L, B, 1, 1]);
    }) as tf.Tensor4D;
  }

  /** Normaliser of a target attending to itself, [1, B, 1]. */
  selfWeights(): tf.Tensor3D {
    return this.cached('selfWeights', () => tf.tensor3d(Float32Array.from(this.lengths, (n) => 1 / (n + 1)), [1, this.B, 1])) as tf.Tensor3D;
  }

  /** Relative position and time buckets for a bias configuration (computed once per configuration). */
  buckets(config: Required<RelativeBiasConfig>): RelativeBuckets {
    const key = `${config.positionBuckets}/${config.maxDistance}/${config.timeBuckets}`;
    let r = this.bucketCache.get(key);
    if (r) return r;
    const { L, B } = this;
    const prefixPosition = new Int32Array(L * L);
    for (let j = 0; j < L; j++) for (let i = j; i < L; i++) prefixPosition[j * L + i] = positionBucket(i - j, config.positionBuckets, config.maxDistance);
    let targetPosition: Int32Array | null = null;
    if (this.C > 0) {
      targetPosition = new Int32Array(L * B);
      for (let b = 0; b < B; b++) for (let j = 0; j < this.lengths[b]; j++) targetPosition[j * B + b] = positionBucket(this.lengths[b] - j, config.positionBuckets, config.maxDistance);
    }
    let prefixTime: Int32Array | null = null;
    let targetTime: Int32Array | null = null;
    const ts = this.timestamps;
    if (ts && config.timeBuckets > 0) {
      // query i is the request for token i + 1, so its time is that token's timestamp (the row's target time
      // after its last real token): the gap since the latest token is then what tells a new session from a
      // continuing one, as in the HSTU reference formulation
      prefixTime = new Int32Array(L * B * L);
      for (let b = 0; b < B; b++) {
        const len = this.lengths[b];
        const request = this.requestTime(b);
        for (let j = 0; j < len; j++) {
          const tj = ts[b * L + j];
          for (let i = j; i < len; i++) prefixTime[(j * B + b) * L + i] = timeBucket((i + 1 < len ? ts[b * L + i + 1] : request) - tj, config.timeBuckets);
        }
      }
      if (this.C > 0) {
        targetTime = new Int32Array(L * B);
        for (let b = 0; b < B; b++) {
          const len = this.lengths[b];
          const request = this.requestTime(b);
          for (let j = 0; j < len; j++) targetTime[j * B + b] = timeBucket(request - ts[b * L + j], config.timeBuckets);
        }
      }
    }
    r = { prefixPosition, prefixTime, targetPosition, targetTime };
    this.bucketCache.set(key, r);
    return r;
  }

  /** Time of row b's request: its target time, else its last real timestamp (0 for an empty row). */
  private requestTime(b: number): number {
    if (this.targetTimes) return this.targetTimes[b];
    const len = this.lengths[b];
    return len > 0 && this.timestamps ? this.timestamps[b * this.L + len - 1] : 0;
  }

  /** One-hot selector [L, B, 1] of each row's last real token (rows of length 0 select nothing). */
  lastTokenSelector(): tf.Tensor3D {
    return this.cached('lastToken', () => {
      const out = new Float32Array(this.L * this.B);
      for (let b = 0; b < this.B; b++) if (this.lengths[b] > 0) out[(this.lengths[b] - 1) * this.B + b] = 1;
      return tf.tensor3d(out, [this.L, this.B, 1]);
    }) as tf.Tensor3D;
  }
}

/** Settings of a {@link SasRecBlock}. */
export interface SasRecBlockConfig {
  /** Number of attention heads (must divide the model width; default 1). */
  heads?: number;
  /** Width of the point-wise feed-forward layer (default: the model width). */
  ffnDim?: number;
  /** Dropout on the attention weights and on both residual branches (default 0.2). */
  dropout?: number;
  /**
   * Where the layer norms and residuals sit. 'pre-norm' (default), as the paper's equations read:
   * x + Dropout(SA(LN(x))), then x' + Dropout(FFN(LN(x'))). 'reference', as the authors' released code computes it:
   * queries from LN(x) but keys and values from x, the attention output (no output projection, dropout on the
   * weights only) added to LN(x); then y + Dropout(FFN(y)) with y = LN of that sum.
   */
  layout?: SasRecBlockLayout;
}

/** Residual / layer-norm arrangement of a {@link SasRecBlock}. */
export type SasRecBlockLayout = 'pre-norm' | 'reference';

/**
 * One SASRec block (Kang & McAuley, ICDM 2018): causal multi-head softmax self-attention and a point-wise
 * two-layer feed-forward network, each a residual branch with dropout; see {@link SasRecBlockConfig.layout} for
 * the two arrangements of layer norms and residuals.
 */
export class SasRecBlock extends Module {
  readonly heads: number;
  readonly dropout: number;
  readonly layout: SasRecBlockLayout;
  private readonly ln1: LayerNorm;
  private readonly ln2: LayerNorm;
  /** pre-norm: queries, keys and values from one product; reference: queries only (keys and values read x). */
  private readonly qkv: Dense;
  private readonly keyValue: Dense | null = null;
  private readonly proj: Dense | null = null;
  private readonly ffn1: Dense;
  private readonly ffn2: Dense;

  constructor(
    readonly dim: number,
    config: SasRecBlockConfig,
    rng: Rng,
  ) {
    super();
    this.heads = config.heads ?? 1;
    this.dropout = config.dropout ?? 0.2;
    if (!Number.isInteger(this.heads) || this.heads < 1 || dim % this.heads !== 0) throw new Error(`SasRecBlock: heads must be a positive divisor of the width ${dim} (got ${config.heads})`);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`SasRecBlock: dropout must be in [0, 1) (got ${config.dropout})`);
    this.layout = config.layout ?? 'pre-norm';
    if (this.layout !== 'pre-norm' && this.layout !== 'reference') throw new Error(`SasRecBlock: layout must be 'pre-norm' or 'reference' (got '${String(config.layout)}')`);
    const ffnDim = config.ffnDim ?? dim;
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    if (this.layout === 'pre-norm') {
      this.qkv = this.addChild('qkv', new Dense(dim, 3 * dim, rng));
      this.proj = this.addChild('proj', new Dense(dim, dim, rng));
    } else {
      this.qkv = this.addChild('query', new Dense(dim, dim, rng));
      this.keyValue = this.addChild('key_value', new Dense(dim, 2 * dim, rng));
    }
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
    this.ffn1 = this.addChild('ffn1', new Dense(dim, ffnDim, rng, 'relu'));
    this.ffn2 = this.addChild('ffn2', new Dense(ffnDim, dim, rng));
  }

  /** Time-major tokens [L, B, D] -> [L, B, D]; position i attends to real positions j <= i of its row. */
  apply(x: tf.Tensor3D, batch: SequenceBatch, ctx: ForwardContext): tf.Tensor3D {
    const [L, B, D] = x.shape;
    const H = this.heads;
    const dh = D / H;
    const drop = (t: tf.Tensor) => trainingDropout(t, this.dropout, ctx);
    const h = this.ln1.apply(x).reshape([L * B, D]);
    const heads = (t: tf.Tensor) => t.reshape([L, B * H, dh]) as tf.Tensor3D;
    const [q, k, v] = this.keyValue
      ? [heads(this.qkv.apply(h)), ...this.keyValue.applyParts(x.reshape([L * B, D]), [D, D]).map(heads)]
      : this.qkv.applyParts(h as tf.Tensor2D, [D, D, D]).map(heads);
    let attended: tf.Tensor;
    if (fusedOpsEnabled()) {
      const dropout = ctx.training && this.dropout > 0 ? dropoutMultiplier([L, B, H, L], this.dropout, ctx.rng.seed()) : null;
      attended = fusedAttention(q, k, v, { nonlinearity: 'softmax', heads: H, mask: batch.prefixSoftmaxMask(), scale: 1 / Math.sqrt(dh), dropout });
    } else {
      const scores = tf.add(tf.mul(keyMajorScores(q, k).reshape([L, B, H, L]), 1 / Math.sqrt(dh)), batch.prefixSoftmaxMask());
      // softmax over keys, i.e. axis 0 of the key-major layout; the shift only guards exp against overflow
      const e = tf.exp(tf.sub(scores, detachedMax(scores, 0)));
      const weights = drop(tf.div(e, tf.sum(e, 0, true)));
      attended = keyMajorApply(weights.reshape([L, B * H, L]) as tf.Tensor3D, v);
    }
    attended = attended.reshape([L * B, D]);
    const ffn = (t: tf.Tensor) => drop(this.ffn2.apply(drop(this.ffn1.apply(t))));
    if (!this.proj) {
      const y = this.ln2.apply(tf.add(h, attended));
      return tf.add(y, ffn(y)).reshape([L, B, D]) as tf.Tensor3D;
    }
    const x1 = tf.add(x, drop(this.proj.apply(attended)).reshape([L, B, D]));
    return tf.add(x1, ffn(this.ln2.apply(x1).reshape([L * B, D])).reshape([L, B, D])) as tf.Tensor3D;
  }
}
