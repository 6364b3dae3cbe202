/**
 * A `SequenceBatch` (layers/attention.ts) builds its masks on the host from the rows' lengths, once per batch, for
 * speed. Traced, those tensors would be constants of the traced batch. While a graph is recorded, each mask the
 * batch hands out is bound instead to ONNX ops that compute it from the padded id input it was made from: the
 * lengths are the number of non-zero ids per row, and every mask is a comparison of position ranges with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SequenceBatch } from '../layers/attention';
import { bucketBias, positionBucket, RelativeBias } from '../layers/positional';
import type { RelativeBiasConfig, RelativeBuckets } from '../layers/positional';
import { OnnxDataType } from './onnx-proto';
import { OnnxExportError } from './graph';
import type { Exporter } from './exporter';
import { prefixTimeBias, targetTimeBias, TokenTimes } from './time-bias';

/** Real lengths of the trace rows of a padded id column (non-zero ids per row, as the binding counts them). */
function traceLengths(col: ArrayLike<number>, width: number): Int32Array {
  const rows = col.length / width;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) if (col[i * width + j] !== 0) out[i]++;
  return out;
}

/** ONNX values shared by the masks of one sequence input. */
export class LengthOps {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly ex: Exporter,
    /** float lengths [batch] */
    readonly len: string,
    readonly L: number,
  ) {}

  private memo(key: string, make: () => string): string {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = make()));
    return v;
  }

  /** Lengths reshaped so that the batch is axis `axis` of a rank-`rank` tensor (other axes 1). */
  lengthsAt(axis: number, rank: number): string {
    return this.memo(`len${axis}/${rank}`, () => {
      const others = [...Array(rank).keys()].filter((a) => a !== axis);
      return this.ex.g.op('Unsqueeze', [this.len, this.ex.g.int64Const(others)]);
    });
  }

  /** Positions 0..L-1 (plus `offset`) as a float tensor of rank `rank` along axis `axis`. */
  positions(axis: number, rank: number, offset = 0): string {
    return this.memo(`pos${axis}/${rank}/${offset}`, () => {
      const dims = Array(rank).fill(1);
      dims[axis] = this.L;
      return this.ex.g.floatConst(Array.from({ length: this.L }, (_, t) => t + offset), dims);
    });
  }

  /** Key-major [L, B, 1, L]: number of keys query i sees, min(i + 1, len), broadcast as [1, B, 1, L]. */
  visible(): string {
    return this.memo('visible', () => this.ex.g.op('Min', [this.positions(3, 4, 1), this.lengthsAt(1, 4)]));
  }

  /** Key-major [L, B, 1, L] bool: key j is causal for query i and real. */
  prefixKeys(): string {
    return this.memo('prefixKeys', () => this.ex.g.op('Less', [this.positions(0, 4), this.visible()]));
  }
}

type MaskMethod = 'prefixWeights' | 'prefixSoftmaxMask' | 'targetWeights' | 'selfWeights' | 'lastTokenSelector';

/** The ONNX form of each SequenceBatch mask (see its doc comments in layers/attention.ts). */
const BUILDERS: Record<MaskMethod, (ex: Exporter, ops: LengthOps) => string> = {
  prefixWeights: (ex, ops) => {
    const g = ex.g;
    const inverse = g.op('Div', [g.floatConst([1], []), g.op('Max', [ops.visible(), g.floatConst([1], [])])]);
    return g.op('Where', [ops.prefixKeys(), inverse, g.floatConst([0], [])]);
  },
  prefixSoftmaxMask: (ex, ops) => ex.g.op('Where', [ops.prefixKeys(), ex.g.floatConst([0], []), ex.g.floatConst([-1e9], [])]),
  targetWeights: (ex, ops) => {
    const g = ex.g;
    const len = ops.lengthsAt(1, 4);
    const inverse = g.op('Div', [g.floatConst([1], []), g.op('Add', [len, g.floatConst([1], [])])]);
    return g.op('Where', [g.op('Less', [ops.positions(0, 4), len]), inverse, g.floatConst([0], [])]);
  },
  selfWeights: (ex, ops) => {
    const g = ex.g;
    return g.op('Div', [g.floatConst([1], []), g.op('Add', [ops.lengthsAt(1, 3), g.floatConst([1], [])])]);
  },
  lastTokenSelector: (ex, ops) => {
    const g = ex.g;
    const last = g.op('Sub', [ops.lengthsAt(1, 3), g.floatConst([1], [])]);
    return g.op('Cast', [g.op('Equal', [ops.positions(0, 3), last])], { to: OnnxDataType.FLOAT });
  },
};

/**
 * Run `fn` (a traced forward) with every SequenceBatch binding its masks to graph ops. A batch is matched to the
 * sequence input it came from by its padded length and its rows' lengths (the trace gives each sequence feature
 * its own length pattern).
 */
export function withSequenceMasks<T>(ex: Exporter, fn: () => T, times?: () => TokenTimes): T {
  const proto = SequenceBatch.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const methods = Object.keys(BUILDERS) as MaskMethod[];
  const originals = new Map<string, (...args: unknown[]) => unknown>([...methods, 'buckets'].map((m) => [m, proto[m]]));
  const byInput = new Map<string, LengthOps>();
  // a batch's rows hold `offset + scale x len` tokens of a sequence input (scale 2: HSTURanker's item / action
  // pairs after its context tokens); inputs with the same trace lengths (aligned sequences) are interchangeable
  const opsFor = (batch: SequenceBatch): LengthOps => {
    const matches: Array<{ f: (typeof ex.m.sequenceFeatures)[number]; offset: number; scale: number; lens: Int32Array }> = [];
    for (const f of ex.m.sequenceFeatures) {
      const col = ex.columns[f.name];
      if (!col) continue;
      const lens = traceLengths(col, f.maxLen);
      for (const scale of [1, 2]) {
        const offset = batch.L - scale * f.maxLen;
        if (offset >= 0 && lens.length === batch.B && lens.every((v, i) => offset + scale * v === batch.lengths[i])) matches.push({ f, offset, scale, lens });
      }
    }
    if (matches.length === 0) {
      throw new OnnxExportError(
        `a sequence layout of ${batch.B} rows x ${batch.L} positions is not the layout of any sequence input (${ex.m.sequenceFeatures.map((f) => `${f.name}: maxLen ${f.maxLen}`).join(', ')}); its masks cannot be computed in the graph`,
      );
    }
    const first = matches[0];
    if (matches.some((x) => x.offset !== first.offset || x.scale !== first.scale || x.lens.some((v, i) => v !== first.lens[i]))) {
      throw new OnnxExportError(`a sequence layout matches several sequence inputs (${matches.map((x) => x.f.name).join(', ')}); not exportable`);
    }
    const key = `${first.f.name}/${first.offset}/${first.scale}`;
    let ops = byInput.get(key);
    if (!ops) {
      const f = first.f;
      const ids = ex.input(f.name, 'int32', f.maxLen);
      const real = ex.g.op('Cast', [ex.g.op('Not', [ex.g.op('Equal', [ids, ex.g.int32Const([0], [])])])], { to: OnnxDataType.FLOAT });
      let len = ex.g.op('ReduceSum', [real, ex.g.int64Const([1])], { keepdims: 0 });
      if (first.scale !== 1) len = ex.g.op('Mul', [len, ex.g.floatConst([first.scale], [])]);
      if (first.offset !== 0) len = ex.g.op('Add', [len, ex.g.floatConst([first.offset], [])]);
      byInput.set(key, (ops = new LengthOps(ex, len, batch.L)));
    }
    return ops;
  };
  for (const name of methods) {
    const original = originals.get(name)!;
    proto[name] = function (this: SequenceBatch) {
      const t = original.call(this) as tf.Tensor;
      if (!ex.g.lookup(t)) ex.g.bind(t, BUILDERS[name](ex, opsFor(this)));
      return t;
    };
  }
  const buckets = originals.get('buckets')!;
  const owner = new Map<RelativeBuckets, SequenceBatch>();
  proto.buckets = function (this: SequenceBatch, config: unknown) {
    const r = buckets.call(this, config) as RelativeBuckets;
    owner.set(r, this);
    // prefix position buckets depend on positions only (a constant); the others depend on each row
    if (r.prefixTime && (config as Required<RelativeBiasConfig>).timeBuckets > 0 && !times) {
      throw new OnnxExportError('the temporal attention bias reads timestamps that this export does not take as a graph input');
    }
    return r;
  };
  // the time bias is per row: its tensor is bound to the graph's bucketing of the timestamps input (time-bias.ts),
  // the position part as before, and the two are added as RelativeBias adds them
  const timeWeights = (bias: RelativeBias) => (bias as unknown as { time: tf.Tensor1D | null }).time;
  const biasProto = RelativeBias.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const prefixBias = biasProto.prefix;
  biasProto.prefix = function (this: RelativeBias, ...args: unknown[]) {
    const [b, Lk, B, Lq] = args as [RelativeBuckets, number, number, number];
    const time = timeWeights(this);
    const batch = owner.get(b);
    if (!b.prefixTime || !time || !batch || !times) return prefixBias.apply(this, args);
    const position = prefixBias.call(this, { ...b, prefixTime: null }, Lk, B, Lq) as tf.Tensor | null;
    const timePart = bucketBias(time, b.prefixTime, [Lk, B, 1, Lq]);
    ex.g.bind(timePart, prefixTimeBias(ex, opsFor(batch), times(), time.dataSync() as Float32Array));
    return position ? tf.add(position, timePart) : timePart;
  };
  // the bias from target tokens to prefix keys reads per-row position buckets (distance len - j): in the graph,
  // the distance picks its bucket from a table over all distances, and the bucket its learned weight
  const targetToPrefix = biasProto.targetToPrefix;
  biasProto.targetToPrefix = function (this: RelativeBias, ...args: unknown[]) {
    const b = args[0] as RelativeBuckets;
    const batch = owner.get(b);
    const time = timeWeights(this);
    if (b.targetTime && time && batch && times) {
      const [, Lk, B] = args as [RelativeBuckets, number, number];
      const positionOnly = { ...b, targetTime: null };
      owner.set(positionOnly, batch);
      const position = biasProto.targetToPrefix.call(this, positionOnly, Lk, B) as tf.Tensor | null;
      const timePart = bucketBias(time, b.targetTime, [Lk, B, 1, 1]);
      ex.g.bind(timePart, targetTimeBias(ex, opsFor(batch), times(), time.dataSync() as Float32Array));
      return position ? tf.add(position, timePart) : timePart;
    }
    const t = targetToPrefix.apply(this, args) as tf.Tensor | null;
    if (t && b.targetPosition && batch && !ex.g.lookup(t)) {
      const weights = (this as unknown as { position: tf.Tensor | null }).position;
      if (!weights) throw new OnnxExportError('target-to-prefix bias without position weights');
      const ops = opsFor(batch);
      const g = ex.g;
      const len = ops.lengthsAt(1, 2);
      const j = ops.positions(0, 2);
      const distance = g.op('Cast', [g.op('Where', [g.op('Less', [j, len]), g.op('Sub', [len, j]), g.floatConst([0], [])])], { to: OnnxDataType.INT64 });
      const table = g.int64Const(Array.from({ length: batch.L + 1 }, (_, d) => positionBucket(d, this.positionBuckets, this.maxDistance)));
      const bias = g.op('Gather', [g.floatConst(weights.dataSync(), [weights.shape[0]], 'w'), g.op('Gather', [table, distance], { axis: 0 })], { axis: 0 });
      ex.g.bind(t, g.op('Unsqueeze', [bias, g.int64Const([2, 3])]));
    }
    return t;
  };
  try {
    return fn();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
    biasProto.targetToPrefix = targetToPrefix;
    biasProto.prefix = prefixBias;
  }
}
