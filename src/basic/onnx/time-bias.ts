/**
 * HSTU's temporal attention bias (rab^t, layers/positional.ts) in the graph. A SequenceBatch buckets time gaps on
 * the host; exported, the gaps are computed from a timestamps input (double, [batch, maxLen], aligned with the
 * history ids, zeros after the last item) and an optional request-time input (double, [batch]), exactly as the
 * models' bindData and SequenceBatch do it: times relative to each row's first item rounded to float32, gaps in
 * double, bucket floor(log2(1 + |gap|)) capped at timeBuckets - 1, then the bucket's learned weight.
 */
import { OnnxDataType } from './onnx-proto';
import type { OnnxGraphBuilder } from './graph';
import type { Exporter } from './exporter';
import type { LengthOps } from './sequence-masks';

/** Per-token times of one sequence layout in the graph (double): tokens [batch, L], each row's request time [batch]. */
export interface TokenTimes {
  tokens: string;
  request: string;
}

/** The columns a model with timestamps reads, besides its history ids. */
export interface TimeColumns {
  /** Timestamps column, laid out like the history (a graph input [batch, maxLen], double). */
  timestamps: string;
  /** Request-time column (a graph input [batch], double), or null: then the last history item's time. */
  request: string | null;
}

/**
 * The bucket of time gaps `gap` (double, >= 0, any shape) as int64: floor(log2(floor(gap) + 1)) for gap >= 1, else 0,
 * capped at K - 1, which is timeBucket's 31 - clz32(floor(gap) + 1). log2 is estimated with Log and corrected by
 * comparing with exact powers of two, so gaps at bucket edges (2^k - 1) fall as on the host.
 */
export function timeBucketOps(g: OnnxGraphBuilder, gap: string, K: number): string {
  const d = (v: number) => g.doubleConst([v], []);
  const x = g.op('Add', [g.op('Floor', [gap]), d(1)]);
  const estimate = g.op('Floor', [g.op('Div', [g.op('Log', [x]), d(Math.LN2)])]);
  const up = g.op('Cast', [g.op('GreaterOrEqual', [x, g.op('Pow', [d(2), g.op('Add', [estimate, d(1)])])])], { to: OnnxDataType.DOUBLE });
  const down = g.op('Cast', [g.op('Less', [x, g.op('Pow', [d(2), estimate])])], { to: OnnxDataType.DOUBLE });
  const exact = g.op('Sub', [g.op('Add', [estimate, up]), down]);
  const capped = g.op('Where', [g.op('GreaterOrEqual', [gap, d(1)]), g.op('Min', [exact, d(K - 1)]), d(0)]);
  return g.op('Cast', [capped], { to: OnnxDataType.INT64 });
}

/**
 * History times relative to each row's first item ([batch, maxLen], double, as bindData's float32 column) and the
 * request times ([batch], double): the request column minus the first item's time, else the last item's time
 * (0 for an empty history).
 */
export function historyTimes(ex: Exporter, cols: TimeColumns, history: { name: string; maxLen: number }): { rel: string; request: string } {
  const g = ex.g;
  const ts = ex.input(cols.timestamps, 'float64', history.maxLen);
  const base = g.op('Slice', [ts, g.int64Const([0]), g.int64Const([1]), g.int64Const([1])]);
  const toFloat32 = (x: string) => g.op('Cast', [g.op('Cast', [x], { to: OnnxDataType.FLOAT })], { to: OnnxDataType.DOUBLE });
  const rel = toFloat32(g.op('Sub', [ts, base]));
  let request: string;
  if (cols.request) {
    const req = g.op('Unsqueeze', [ex.input(cols.request, 'float64', null), g.int64Const([1])]);
    request = toFloat32(g.op('Sub', [req, base]));
  } else {
    const ids = ex.input(history.name, 'int32', history.maxLen);
    const real = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, g.int32Const([0], [])])])], { to: OnnxDataType.INT64 });
    const len = g.op('ReduceSum', [real, g.int64Const([1])], { keepdims: 1 });
    const last = g.op('GatherElements', [rel, g.op('Max', [g.op('Sub', [len, g.int64Const([1])]), g.int64Const([0])])], { axis: 1 });
    request = g.op('Where', [g.op('Greater', [len, g.int64Const([0])]), last, g.doubleConst([0], [])]);
  }
  return { rel, request: g.op('Squeeze', [request, g.int64Const([1])]) };
}

/**
 * HSTURanker's token times: its F context tokens carry the request time, each history item and its action token
 * the item's time ([batch, F + 2 maxLen]).
 */
export function rankerTokenTimes(ex: Exporter, times: { rel: string; request: string }, contextTokens: number, maxLen: number): TokenTimes {
  const g = ex.g;
  const twice = g.op('Concat', [g.op('Unsqueeze', [times.rel, g.int64Const([2])]), g.op('Unsqueeze', [times.rel, g.int64Const([2])])], { axis: 2 });
  const items = g.op('Reshape', [twice, g.int64Const([-1, 2 * maxLen])]);
  if (contextTokens === 0) return { tokens: items, request: times.request };
  const context = g.op('Mul', [g.op('Unsqueeze', [times.request, g.int64Const([1])]), g.doubleConst(new Array(contextTokens).fill(1), [1, contextTokens])]);
  return { tokens: g.op('Concat', [context, items], { axis: 1 }), request: times.request };
}

/**
 * Time bias among prefix tokens, key-major [L, B, 1, L]: for key j <= query i < len, the bucket of the gap from key j
 * to query i's time (token i + 1's time, or the request time after the last real token); bucket 0 elsewhere.
 */
export function prefixTimeBias(ex: Exporter, ops: LengthOps, times: TokenTimes, weights: Float32Array): string {
  const g = ex.g;
  const L = ops.L;
  const request = g.op('Unsqueeze', [times.request, g.int64Const([1])]);
  const following = g.op('Concat', [g.op('Slice', [times.tokens, g.int64Const([1]), g.int64Const([L]), g.int64Const([1])]), request], { axis: 1 });
  const queryTime = g.op('Where', [g.op('Less', [ops.positions(1, 2, 1), ops.lengthsAt(0, 2)]), following, request]);
  const keyTime = g.op('Unsqueeze', [g.op('Transpose', [times.tokens], { perm: [1, 0] }), g.int64Const([2, 3])]);
  const gap = g.op('Abs', [g.op('Sub', [g.op('Unsqueeze', [queryTime, g.int64Const([0, 2])]), keyTime])]);
  const query = ops.positions(3, 4);
  const valid = g.op('And', [g.op('Not', [g.op('Less', [query, ops.positions(0, 4)])]), g.op('Less', [query, ops.lengthsAt(1, 4)])]);
  const bucket = g.op('Where', [valid, timeBucketOps(g, gap, weights.length), g.int64Const([0])]);
  return g.op('Gather', [g.floatConst(weights, [weights.length], 'w'), bucket], { axis: 0 });
}

/** Time bias from target tokens to prefix keys, [L, B, 1, 1]: the bucket of request - time of key j for real keys. */
export function targetTimeBias(ex: Exporter, ops: LengthOps, times: TokenTimes, weights: Float32Array): string {
  const g = ex.g;
  const gap = g.op('Abs', [g.op('Sub', [g.op('Unsqueeze', [times.request, g.int64Const([0])]), g.op('Transpose', [times.tokens], { perm: [1, 0] })])]);
  const valid = g.op('Less', [ops.positions(0, 2), ops.lengthsAt(1, 2)]);
  const bucket = g.op('Where', [valid, timeBucketOps(g, gap, weights.length), g.int64Const([0])]);
  return g.op('Unsqueeze', [g.op('Gather', [g.floatConst(weights, [weights.length], 'w'), bucket], { axis: 0 }), g.int64Const([2, 3])]);
}

/**
 * Trace columns of a model with timestamps: times a few seconds to months apart per row (every bucket range is
 * exercised) for the history's non-zero ids, and request times after each row's last item.
 */
export function traceTimeColumns(cols: Record<string, ArrayLike<number>>, tc: TimeColumns, history: { name: string; maxLen: number }, rows: number): void {
  const ids = cols[history.name];
  const L = history.maxLen;
  const ts = new Float64Array(rows * L);
  const req = new Float64Array(rows);
  const gaps = [3, 70, 5_000, 90_000, 2_000_000, 1, 600];
  for (let i = 0; i < rows; i++) {
    let t = 1.7e9 + i * 1_000;
    for (let j = 0; j < L && ids[i * L + j] !== 0; j++) {
      ts[i * L + j] = t;
      t += gaps[(i + j) % gaps.length];
    }
    req[i] = t + 30;
  }
  cols[tc.timestamps] = ts;
  if (tc.request) cols[tc.request] = req;
}
