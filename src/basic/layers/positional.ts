import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { customOp } from './custom-op';
import { init, Module } from './module';

/**
 * Bucket of a relative position `distance = query position - key position` (T5-style): one bucket per distance
 * below numBuckets / 2, then log-spaced buckets up to `maxDistance`, everything further in the last bucket.
 * Keys after the query (distance < 0) are masked by causality, so they share bucket 0.
 */
export function positionBucket(distance: number, numBuckets: number, maxDistance: number): number {
  if (distance <= 0) return 0;
  const exact = Math.max(1, numBuckets >> 1);
  if (distance < exact) return distance;
  if (maxDistance <= exact) return numBuckets - 1;
  const b = exact + Math.floor((Math.log(distance / exact) / Math.log(maxDistance / exact)) * (numBuckets - exact));
  return Math.min(numBuckets - 1, b);
}

/**
 * Bucket of a time gap in seconds on a log2 scale: floor(log2(1 + |gap|)), capped at numBuckets - 1. Gaps of a
 * second, a minute, a day and a year fall into buckets 1, 5, 16 and 24, so 32 buckets cover any realistic gap.
 */
export function timeBucket(gapSeconds: number, numBuckets: number): number {
  const g = Math.abs(gapSeconds);
  if (!(g >= 1)) return 0;
  const b = g < 2147483647 ? 31 - Math.clz32(Math.floor(g) + 1) : Math.floor(Math.log2(1 + g));
  return Math.min(numBuckets - 1, b);
}

/**
 * `weights[buckets[i]]` shaped `shape`, differentiable in `weights`. The lookup and the scatter-add of its gradient
 * run on the host: tf.gather's gradient (UnsortedSegmentSum) is missing on wasm and a one-hot matMul would cost
 * O(entries x buckets); the table is tiny, so reading it back costs nothing noticeable.
 */
export function bucketBias(weights: tf.Tensor1D, buckets: Int32Array, shape: number[]): tf.Tensor {
  const K = weights.shape[0];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== buckets.length) throw new Error(`bucketBias: shape [${shape}] holds ${size} entries, got ${buckets.length} buckets`);
  const op = customOp(([w]) => {
    const table = w.dataSync() as Float32Array;
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = table[buckets[i]];
    return {
      value: tf.tensor(out, shape, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const acc = new Float32Array(K);
        for (let i = 0; i < size; i++) acc[buckets[i]] += g[i];
        return tf.tensor1d(acc);
      },
    };
  });
  return op(weights);
}

/** Learned absolute position embeddings (SASRec): row t is added to the token at position t (0 = oldest). */
export class PositionalEmbedding extends Module {
  readonly table: tf.Variable;

  constructor(
    readonly maxLen: number,
    readonly dim: number,
    rng: Rng,
  ) {
    super();
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`PositionalEmbedding: maxLen must be a positive integer (got ${maxLen})`);
    this.table = this.addParam('table', [maxLen, dim], init.normal(rng, [maxLen, dim], 0.02), { regularize: false });
  }

  /** Rows 0..length-1 as [length, 1, dim], ready to broadcast over the batch axis of time-major [length, B, dim] tokens. */
  first(length: number): tf.Tensor3D {
    if (length > this.maxLen) throw new Error(`PositionalEmbedding: sequence of ${length} positions exceeds maxLen ${this.maxLen}`);
    const rows = length === this.maxLen ? this.table : tf.slice(this.table, [0, 0], [length, this.dim]);
    return rows.reshape([length, 1, this.dim]) as tf.Tensor3D;
  }
}

/** Settings of {@link RelativeBias}. */
export interface RelativeBiasConfig {
  /** Number of relative-position buckets (default 64; 0 disables the positional bias). */
  positionBuckets?: number;
  /** Distance beyond which positions share the last bucket (default 1024). */
  maxDistance?: number;
  /** Number of log2 time-gap buckets (default 32; 0 disables the temporal bias). */
  timeBuckets?: number;
}

/** Bucket indices of one batch, as produced by `SequenceBatch` (see attention.ts). */
export interface RelativeBuckets {
  /** Position buckets among prefix tokens, key-major [Lk, Lq] (shared by all rows). */
  prefixPosition: Int32Array;
  /** Time buckets among prefix tokens, key-major [Lk, B, Lq], or null without timestamps. */
  prefixTime: Int32Array | null;
  /** Position buckets from each row's target tokens to its prefix keys, [Lk, B] (targets share one position). */
  targetPosition: Int32Array | null;
  /** Time buckets from each row's target tokens to its prefix keys, [Lk, B], or null. */
  targetTime: Int32Array | null;
}

/**
 * Learned relative attention bias (HSTU's rab^{p,t}): one scalar per relative-position bucket plus one per
 * time-gap bucket, shared by all heads of a layer. The tables are dense tfjs variables since they are tiny.
 */
export class RelativeBias extends Module {
  readonly positionBuckets: number;
  readonly maxDistance: number;
  readonly timeBuckets: number;
  private readonly position: tf.Variable | null;
  private readonly time: tf.Variable | null;

  constructor(config: RelativeBiasConfig = {}) {
    super();
    this.positionBuckets = config.positionBuckets ?? 64;
    this.maxDistance = config.maxDistance ?? 1024;
    this.timeBuckets = config.timeBuckets ?? 32;
    for (const [name, v] of [
      ['positionBuckets', this.positionBuckets],
      ['timeBuckets', this.timeBuckets],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`RelativeBias: ${name} must be a non-negative integer (got ${v})`);
    }
    if (!(this.maxDistance >= 1)) throw new Error(`RelativeBias: maxDistance must be >= 1 (got ${this.maxDistance})`);
    // zero start: attention is initially driven by content alone, and the bias only grows where it helps
    this.position = this.positionBuckets > 0 ? this.addParam('position', [this.positionBuckets], init.constant([this.positionBuckets], 0), { regularize: false }) : null;
    this.time = this.timeBuckets > 0 ? this.addParam('time', [this.timeBuckets], init.constant([this.timeBuckets], 0), { regularize: false }) : null;
  }

  /** Bias among prefix tokens, broadcastable to key-major scores [Lk, B, heads, Lq]; null when there is none. */
  prefix(b: RelativeBuckets, Lk: number, B: number, Lq: number): tf.Tensor | null {
    const parts: tf.Tensor[] = [];
    if (this.position) parts.push(bucketBias(this.position as tf.Tensor1D, b.prefixPosition, [Lk, 1, 1, Lq]));
    if (this.time && b.prefixTime) parts.push(bucketBias(this.time as tf.Tensor1D, b.prefixTime, [Lk, B, 1, Lq]));
    return sum(parts);
  }

  /** Bias from target tokens to prefix keys, broadcastable to [Lk, B, heads, C]; null when there is none. */
  targetToPrefix(b: RelativeBuckets, Lk: number, B: number): tf.Tensor | null {
    const parts: tf.Tensor[] = [];
    if (this.position && b.targetPosition) parts.push(bucketBias(this.position as tf.Tensor1D, b.targetPosition, [Lk, B, 1, 1]));
    if (this.time && b.targetTime) parts.push(bucketBias(this.time as tf.Tensor1D, b.targetTime, [Lk, B, 1, 1]));
    return sum(parts);
  }

  /** Bias of a target token attending to itself (distance 0, gap 0), a scalar; null when there is none. */
  self(b: RelativeBuckets): tf.Tensor | null {
    const parts: tf.Tensor[] = [];
    if (this.position) parts.push(bucketBias(this.position as tf.Tensor1D, new Int32Array(1), [1]));
    // only with timestamps: without them the prefix keys get no time bias either
    if (this.time && b.targetTime) parts.push(bucketBias(this.time as tf.Tensor1D, new Int32Array(1), [1]));
    return sum(parts);
  }
}

function sum(parts: tf.Tensor[]): tf.Tensor | null {
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0] : tf.add(parts[0], parts[1]);
}
