/**
 * A `SequenceBatch` (layers/attention.ts) builds its masks on the host from the rows' lengths, once per batch, for
 * speed. Traced, those tensors would be constants of the traced batch. While a graph is recorded, each mask the
 * batch hands out is bound instead to ONNX ops that compute it from the padded id input it was made from: the
 * lengths are the number of non-zero ids per row, and every mask is a comparison of position ranges with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SequenceBatch } from '../layers/attention';
import type { RelativeBiasConfig, RelativeBuckets } from '../layers/positional';
import { OnnxDataType } from './onnx-proto';
import { OnnxExportError } from './graph';
import type { Exporter } from './exporter';

/** Real lengths of the trace rows of a padded id column (non-zero ids per row, as the binding counts them). */
function traceLengths(col: ArrayLike<number>, width: number): Int32Array {
  const rows = col.length / width;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) if (col[i * width + j] !== 0) out[i]++;
  return out;
}

/** ONNX values shared by the masks of one sequence input. */
class LengthOps {
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
export function withSequenceMasks<T>(ex: Exporter, fn: () => T): T {
  const proto = SequenceBatch.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const methods = Object.keys(BUILDERS) as MaskMethod[];
  const originals = new Map<string, (...args: unknown[]) => unknown>([...methods, 'buckets'].map((m) => [m, proto[m]]));
  const byInput = new Map<string, LengthOps>();
  const opsFor = (batch: SequenceBatch): LengthOps => {
    const matches = ex.m.sequenceFeatures.filter((f) => {
      const col = ex.columns[f.name];
      if (!col || f.maxLen !== batch.L) return false;
      const lens = traceLengths(col, f.maxLen);
      return lens.length === batch.B && lens.every((v, i) => v === batch.lengths[i]);
    });
    if (matches.length !== 1) {
      throw new OnnxExportError(
        matches.length === 0
          ? `a sequence layout of ${batch.B} rows x ${batch.L} positions is not the layout of any sequence input (${ex.m.sequenceFeatures.map((f) => `${f.name}: maxLen ${f.maxLen}`).join(', ')}); its masks cannot be computed in the graph`
          : `a sequence layout matches several sequence inputs (${matches.map((f) => f.name).join(', ')}); not exportable`,
      );
    }
    const f = matches[0];
    let ops = byInput.get(f.name);
    if (!ops) {
      const ids = ex.input(f.name, 'int32', f.maxLen);
      const real = ex.g.op('Cast', [ex.g.op('Not', [ex.g.op('Equal', [ids, ex.g.int32Const([0], [])])])], { to: OnnxDataType.FLOAT });
      const len = ex.g.op('ReduceSum', [real, ex.g.int64Const([1])], { keepdims: 0 });
      byInput.set(f.name, (ops = new LengthOps(ex, len, f.maxLen)));
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
  proto.buckets = function (this: SequenceBatch, config: unknown) {
    const r = buckets.call(this, config) as RelativeBuckets;
    // prefix position buckets depend on positions only (a constant); the others depend on each row
    if (r.prefixTime && (config as Required<RelativeBiasConfig>).timeBuckets > 0) {
      throw new OnnxExportError("the temporal attention bias (timestampColumn) buckets time gaps on the host; its export is not implemented yet: export a model trained without timestampColumn, or set layer.timeBuckets to 0");
    }
    if (r.targetPosition) throw new OnnxExportError('target tokens after the history (HSTURanker) bucket their positions on the host per row; their export is not implemented yet');
    return r;
  };
  try {
    return fn();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
}
