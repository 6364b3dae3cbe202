/**
 * tfjs kernel -> ONNX nodes (opset 17). Each handler receives the ONNX names of the kernel's inputs (in the
 * kernel's order) and returns the names of its outputs. Batch-dependent shapes in attributes (Reshape,
 * Slice, Tile, BroadcastTo) are rebuilt from the run-time batch size, so the graph takes any batch size.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { OnnxDataType } from './onnx-proto';
import { OnnxExportError, OnnxGraphBuilder } from './graph';
import type { TracedKernel } from './trace';

export const OPSET = 17;

type Handler = (g: OnnxGraphBuilder, ins: string[], k: TracedKernel) => string[];

const INT64_MAX = 9007199254740991; // 2^53 - 1: "to the end" for Slice ends, exact in a JS number

function axes(value: unknown, rank: number): number[] {
  const list = Array.isArray(value) ? (value as number[]) : value == null ? [...Array(rank).keys()] : [value as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

const unary = (op: string, attrs: Record<string, number | { float: number }> = {}): Handler => (g, ins) => [g.op(op, [ins[0]], attrs)];
const binary = (op: string): Handler => (g, ins) => [g.op(op, [ins[0], ins[1]])];

function reduce(op: string, attrAxes: boolean): Handler {
  return (g, ins, k) => {
    const rank = k.inputs[0].info.shape.length;
    // tfjs names the axes 'axis' (Sum, Mean, Prod) or 'reductionIndices' (Max, Min)
    const ax = axes(k.attrs.axis ?? k.attrs.reductionIndices, rank);
    const keepdims = k.attrs.keepDims ? 1 : 0;
    if (attrAxes) return [g.op(op, [ins[0]], { axes: ax, keepdims })];
    return [g.op(op, [ins[0], g.int64Const(ax)], { keepdims })];
  };
}

function onnxDtype(dtype: string): number {
  if (dtype === 'float32') return OnnxDataType.FLOAT;
  if (dtype === 'int32') return OnnxDataType.INT32;
  if (dtype === 'bool') return OnnxDataType.BOOL;
  throw new OnnxExportError(`dtype '${dtype}' has no ONNX mapping here`);
}

/**
 * atan2(y, x) (ONNX has no Atan2): atan(y / x), shifted by ±π where x < 0 (by the sign of y), and ±π/2 or 0 where
 * x = 0; the ratio divides by 1 there so no NaN reaches the Where.
 */
function atan2(g: OnnxGraphBuilder, y: string, x: string): string {
  const zero = g.floatConst([0], []);
  const xIsZero = g.op('Equal', [x, zero]);
  const safeX = g.op('Where', [xIsZero, g.floatConst([1], []), x]);
  const base = g.op('Atan', [g.op('Div', [y, safeX])]);
  const halfTurn = g.op('Where', [g.op('Less', [y, zero]), g.floatConst([-Math.PI], []), g.floatConst([Math.PI], [])]);
  const shifted = g.op('Where', [g.op('Less', [x, zero]), g.op('Add', [base, halfTurn]), base]);
  return g.op('Where', [xIsZero, g.op('Mul', [g.op('Sign', [y]), g.floatConst([Math.PI / 2], [])]), shifted]);
}

/** tfjs activation names of fused kernels. */
function activation(g: OnnxGraphBuilder, x: string, act: unknown, alpha: unknown, prelu: string | undefined): string {
  switch (act ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'elu':
      return g.op('Elu', [x], { alpha: { float: 1 } });
    case 'relu6':
      return g.op('Clip', [x, g.floatConst([0], []), g.floatConst([6], [])]);
    case 'leakyrelu':
      return g.op('LeakyRelu', [x], { alpha: { float: Number(alpha ?? 0.2) } });
    case 'prelu':
      if (!prelu) throw new OnnxExportError('prelu activation without its weights');
      return g.op('PRelu', [x, prelu]);
    default:
      throw new OnnxExportError(`fused activation '${String(act)}' is not supported`);
  }
}

function swapLast(g: OnnxGraphBuilder, x: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.op('Transpose', [x], { perm });
}

function matMul(g: OnnxGraphBuilder, ins: string[], k: TracedKernel): string {
  const ra = k.inputs[0].info.shape.length;
  const rb = k.inputs[1].info.shape.length;
  const a = k.attrs.transposeA ? swapLast(g, ins[0], ra) : ins[0];
  const b = k.attrs.transposeB ? swapLast(g, ins[1], rb) : ins[1];
  return g.op('MatMul', [a, b]);
}

function inputNamed(k: TracedKernel, ins: string[], name: string): string | undefined {
  const i = k.inputs.findIndex((x) => x.name === name);
  return i >= 0 ? ins[i] : undefined;
}

const HANDLERS: Record<string, Handler> = {
  Identity: (_g, ins) => [ins[0]],
  Add: binary('Add'),
  AddN: (g, ins) => [ins.slice(1).reduce((acc, x) => g.op('Add', [acc, x]), ins[0])],
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  SquaredDifference: (g, ins) => {
    const d = g.op('Sub', [ins[0], ins[1]]);
    return [g.op('Mul', [d, d])];
  },
  Square: (g, ins) => [g.op('Mul', [ins[0], ins[0]])],
  Relu: unary('Relu'),
  Relu6: (g, ins) => [g.op('Clip', [ins[0], g.floatConst([0], []), g.floatConst([6], [])])],
  Elu: unary('Elu', { alpha: { float: 1 } }),
  LeakyRelu: (g, ins, k) => [g.op('LeakyRelu', [ins[0]], { alpha: { float: Number(k.attrs.alpha ?? 0.2) } })],
  Prelu: binary('PRelu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Log1p: (g, ins) => [g.op('Log', [g.op('Add', [ins[0], g.floatConst([1], [])])])],
  Sqrt: unary('Sqrt'),
  Rsqrt: (g, ins) => [g.op('Reciprocal', [g.op('Sqrt', [ins[0]])])],
  Reciprocal: unary('Reciprocal'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Softplus: unary('Softplus'),
  Erf: unary('Erf'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Atan: unary('Atan'),
  Atan2: (g, ins) => [atan2(g, ins[0], ins[1])],
  Sign: unary('Sign'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  ClipByValue: (g, ins, k) => [g.op('Clip', [ins[0], g.floatConst([Number(k.attrs.clipValueMin)], []), g.floatConst([Number(k.attrs.clipValueMax)], [])])],
  Step: (g, ins, k) => {
    // tfjs Step: x > 0 ? 1 : alpha
    const pos = g.op('Greater', [ins[0], g.floatConst([0], [])]);
    return [g.op('Where', [pos, g.floatConst([1], []), g.floatConst([Number(k.attrs.alpha ?? 0)], [])])];
  },
  Equal: binary('Equal'),
  NotEqual: (g, ins) => [g.op('Not', [g.op('Equal', [ins[0], ins[1]])])],
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  LogicalNot: unary('Not'),
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  Select: (g, ins) => [g.op('Where', [ins[0], ins[1], ins[2]])],
  Cast: (g, ins, k) => [g.op('Cast', [ins[0]], { to: onnxDtype(String(k.attrs.dtype)) })],
  Sum: reduce('ReduceSum', false),
  Mean: reduce('ReduceMean', true),
  Max: reduce('ReduceMax', true),
  Min: reduce('ReduceMin', true),
  Prod: reduce('ReduceProd', true),
  Softmax: (g, ins, k) => [g.op('Softmax', [ins[0]], { axis: Number(k.attrs.dim ?? -1) })],
  BatchMatMul: (g, ins, k) => [matMul(g, ins, k)],
  _FusedMatMul: (g, ins, k) => {
    let y = matMul(g, ins, k);
    const bias = inputNamed(k, ins, 'bias');
    if (bias) y = g.op('Add', [y, bias]);
    return [activation(g, y, k.attrs.activation, k.attrs.leakyreluAlpha, inputNamed(k, ins, 'preluActivationWeights'))];
  },
  FusedBatchNorm: (g, ins, k) => {
    // (x - mean) * scale / sqrt(variance + eps) + offset, broadcasting over the last axis like tfjs
    const [x, mean, variance] = [ins[0], inputNamed(k, ins, 'mean')!, inputNamed(k, ins, 'variance')!];
    const eps = g.floatConst([Number(k.attrs.varianceEpsilon ?? 0.001)], []);
    let y = g.op('Div', [g.op('Sub', [x, mean]), g.op('Sqrt', [g.op('Add', [variance, eps])])]);
    const scale = inputNamed(k, ins, 'scale');
    const offset = inputNamed(k, ins, 'offset');
    if (scale) y = g.op('Mul', [y, scale]);
    if (offset) y = g.op('Add', [y, offset]);
    return [y];
  },
  Transpose: (g, ins, k) => [g.op('Transpose', [ins[0]], { perm: k.attrs.perm as number[] })],
  Reshape: (g, ins, k) => [g.op('Reshape', [ins[0], g.shapeTensor(k.outputs[0].shape)])],
  ExpandDims: (g, ins, k) => {
    const rank = k.inputs[0].info.shape.length + 1;
    return [g.op('Unsqueeze', [ins[0], g.int64Const(axes(k.attrs.dim, rank))])];
  },
  Squeeze: (g, ins, k) => [g.op('Reshape', [ins[0], g.shapeTensor(k.outputs[0].shape)])],
  Concat: (g, ins, k) => {
    const rank = k.inputs[0].info.shape.length;
    return [g.op('Concat', ins, { axis: axes(k.attrs.axis, rank)[0] })];
  },
  Pack: (g, ins, k) => {
    const rank = k.inputs[0].info.shape.length + 1;
    const axis = axes(k.attrs.axis, rank)[0];
    const ax = g.int64Const([axis]);
    return [g.op('Concat', ins.map((x) => g.op('Unsqueeze', [x, ax])), { axis })];
  },
  Unpack: (g, ins, k) => {
    const shape = k.inputs[0].info.shape;
    const axis = axes(k.attrs.axis, shape.length)[0];
    const parts = g.node('Split', [ins[0], g.int64Const(Array(shape[axis]).fill(1))], { axis }, k.outputs.map(() => g.fresh('split')));
    return parts.map((p) => g.op('Squeeze', [p, g.int64Const([axis])]));
  },
  SplitV: (g, ins, k) => {
    const shape = k.inputs[0].info.shape;
    const axis = axes(k.attrs.axis, shape.length)[0];
    const sizes = k.outputs.map((o) => o.shape[axis]);
    if (g.isBatchDim(shape[axis])) throw new OnnxExportError('SplitV along the batch axis is not supported');
    return g.node('Split', [ins[0], g.int64Const(sizes)], { axis }, k.outputs.map(() => g.fresh('split')));
  },
  Slice: (g, ins, k) => {
    const shape = k.inputs[0].info.shape;
    const begin = k.attrs.begin as number[];
    const size = k.attrs.size as number[];
    const starts: number[] = [];
    const ends: number[] = [];
    shape.forEach((d, i) => {
      const b = begin[i] ?? 0;
      const s = size[i] === -1 || size[i] === undefined ? d - b : size[i];
      if (g.isBatchDim(d) && !(b === 0 && s === d)) throw new OnnxExportError(`Slice of part of the batch axis (begin ${b}, size ${s}) is not supported`);
      starts.push(b);
      ends.push(b + s === d ? INT64_MAX : b + s);
    });
    return [g.op('Slice', [ins[0], g.int64Const(starts), g.int64Const(ends), g.int64Const([...shape.keys()])])];
  },
  StridedSlice: (g, ins, k) => {
    const { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask } = k.attrs as Record<string, number[] | number>;
    if (ellipsisMask || newAxisMask) throw new OnnxExportError('StridedSlice with ellipsis or new-axis masks is not supported');
    const shape = k.inputs[0].info.shape;
    const starts: number[] = [];
    const ends: number[] = [];
    const steps: number[] = [];
    shape.forEach((d, i) => {
      const st = (strides as number[])[i] ?? 1;
      const b = (Number(beginMask) >> i) & 1 ? (st > 0 ? 0 : d - 1) : (begin as number[])[i] ?? 0;
      const e = (Number(endMask) >> i) & 1 || (end as number[])[i] === undefined ? (st > 0 ? INT64_MAX : -INT64_MAX) : (end as number[])[i];
      const full = st === 1 && b === 0 && (e === INT64_MAX || e >= d);
      if (g.isBatchDim(d) && !full) throw new OnnxExportError('StridedSlice of part of the batch axis is not supported');
      starts.push(b);
      ends.push(full ? INT64_MAX : e);
      steps.push(st);
    });
    const sliced = g.op('Slice', [ins[0], g.int64Const(starts), g.int64Const(ends), g.int64Const([...shape.keys()]), g.int64Const(steps)]);
    return [shrinkAxisMask ? g.op('Reshape', [sliced, g.shapeTensor(k.outputs[0].shape)]) : sliced];
  },
  Tile: (g, ins, k) => {
    const reps = k.attrs.reps as number[];
    const shape = k.inputs[0].info.shape;
    const creates = reps.map((r, i) => g.isBatchDim(r * shape[i]) && !g.isBatchDim(shape[i]));
    if (!creates.some(Boolean)) return [g.op('Tile', [ins[0], g.int64Const(reps)])];
    // e.g. a learned query tiled to [B, d]: the repeats follow the run-time batch
    if (creates.some((c, i) => c && shape[i] !== 1)) throw new OnnxExportError(`Tile of a dimension other than 1 into the batch axis is not supported (shape [${shape}], reps [${reps}])`);
    const parts = reps.map((r, i) => (!creates[i] ? g.int64Const([r]) : r === g.batch ? g.batchSize() : g.op('Mul', [g.batchSize(), g.int64Const([r / g.batch])])));
    return [g.op('Tile', [ins[0], g.op('Concat', parts, { axis: 0 })])];
  },
  BroadcastTo: (g, ins, k) => [g.op('Expand', [ins[0], g.shapeTensor(k.outputs[0].shape)])],
  GatherV2: (g, ins, k) => {
    if (Number(k.attrs.batchDims ?? 0) !== 0) throw new OnnxExportError('GatherV2 with batchDims is not supported');
    const axis = axes(k.attrs.axis ?? 0, k.inputs[0].info.shape.length)[0];
    return [g.op('Gather', [ins[0], ins[1]], { axis })];
  },
  OneHot: (g, ins, k) => {
    // indices equal to each of 0..depth-1 (out-of-range indices give all off values, as in tfjs)
    const depth = Number(k.attrs.depth);
    const value = (v: number) => (k.outputs[0].dtype === 'float32' ? g.floatConst([v], []) : g.int32Const([v], []));
    const hit = g.op('Equal', [g.op('Unsqueeze', [ins[0], g.int64Const([-1])]), g.int32Const(Array.from({ length: depth }, (_, i) => i), [depth])]);
    return [g.op('Where', [hit, value(Number(k.attrs.onValue ?? 1)), value(Number(k.attrs.offValue ?? 0))])];
  },
  OnesLike: (g, ins, k) => [g.op('Expand', [k.outputs[0].dtype === 'float32' ? g.floatConst([1], []) : g.int32Const([1], []), g.op('Shape', [ins[0]])])],
  ZerosLike: (g, ins, k) => [g.op('Expand', [k.outputs[0].dtype === 'float32' ? g.floatConst([0], []) : g.int32Const([0], []), g.op('Shape', [ins[0]])])],
  ArgMax: (g, ins, k) => [g.op('Cast', [g.op('ArgMax', [ins[0]], { axis: axes(k.attrs.axis, k.inputs[0].info.shape.length)[0], keepdims: 0 })], { to: OnnxDataType.INT32 })],
};

/** Translate one recorded kernel whose inputs have ONNX names `ins`; returns the output names. */
export function translateKernel(g: OnnxGraphBuilder, k: TracedKernel, ins: string[]): string[] {
  const h = HANDLERS[k.kernelName];
  if (!h) throw new OnnxExportError(`tfjs kernel '${k.kernelName}' has no ONNX translation yet (attrs ${JSON.stringify(k.attrs)})`);
  return h(g, ins, k);
}

export type { tf };
