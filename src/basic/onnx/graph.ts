/**
 * An ONNX graph under construction: nodes, initializers and names for traced tfjs tensors. A tensor is known
 * by (dataId, shape, dtype): tfjs kernels such as Reshape hand back the input's dataId with a new shape, and
 * two tensors with the same data, shape and dtype are the same value.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { OnnxAttribute, OnnxAttributeType, OnnxDataType, OnnxNode, OnnxTensor } from './onnx-proto';

export type Attr = number | number[] | string | { floats: number[] } | { float: number };

/** Raised when a model uses something the exporter cannot express; names the kernel or input. */
export class OnnxExportError extends Error {
  constructor(message: string) {
    super(`ONNX export: ${message}`);
    this.name = 'OnnxExportError';
  }
}

export function tensorKey(info: { shape: readonly number[]; dtype: string }): string {
  return `${info.shape.join('x')}:${info.dtype}`;
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Map<object, Map<string, string>>();
  private counter = 0;
  /** The traced batch size; dims equal to it (or multiples) are batch-dependent. */
  constructor(readonly batch: number, private readonly batchSource: () => string) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  bind(info: tf.TensorInfo, name: string): void {
    let byShape = this.names.get(info.dataId);
    if (!byShape) this.names.set(info.dataId, (byShape = new Map()));
    byShape.set(tensorKey(info), name);
  }

  lookup(info: tf.TensorInfo): string | undefined {
    return this.names.get(info.dataId)?.get(tensorKey(info));
  }

  /** Whether this dataId is known at all (some view of it is graph-dependent). */
  knowsData(dataId: object): boolean {
    return this.names.has(dataId);
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs?: string[]): string[] {
    const outs = outputs ?? [this.fresh(opType.toLowerCase())];
    const attribute: OnnxAttribute[] = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
      if (typeof v === 'number') return { name, type: OnnxAttributeType.INT, i: v };
      if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: v };
      if ('floats' in v) return { name, type: OnnxAttributeType.FLOATS, floats: v.floats };
      return { name, type: OnnxAttributeType.FLOAT, f: v.float };
    });
    this.nodes.push({ input: inputs, output: outs, name: this.fresh(`n_${opType}`), opType, attribute });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  initializer(name: string, dims: number[], dataType: number, bytes: Uint8Array): string {
    this.initializers.push({ name, dims, dataType, rawData: bytes });
    return name;
  }

  floatConst(values: ArrayLike<number>, dims: number[], prefix = 'const'): string {
    const f = Float32Array.from(values);
    return this.initializer(this.fresh(prefix), dims, OnnxDataType.FLOAT, new Uint8Array(f.buffer));
  }

  doubleConst(values: ArrayLike<number>, dims: number[]): string {
    const f = Float64Array.from(values);
    return this.initializer(this.fresh('f64'), dims, OnnxDataType.DOUBLE, new Uint8Array(f.buffer));
  }

  int64Const(values: number[], prefix = 'i64'): string {
    const a = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer(this.fresh(prefix), [values.length], OnnxDataType.INT64, new Uint8Array(a.buffer));
  }

  int32Const(values: ArrayLike<number>, dims: number[]): string {
    const a = Int32Array.from(values);
    return this.initializer(this.fresh('i32'), dims, OnnxDataType.INT32, new Uint8Array(a.buffer));
  }

  boolConst(values: ArrayLike<number>, dims: number[]): string {
    return this.initializer(this.fresh('bool'), dims, OnnxDataType.BOOL, Uint8Array.from(values, (v) => (v ? 1 : 0)));
  }

  private batchDim: string | null = null;

  /** The run-time batch size as a 1-element int64 tensor. */
  batchSize(): string {
    if (!this.batchDim) {
      const shape = this.op('Shape', [this.batchSource()]);
      this.batchDim = this.op('Slice', [shape, this.int64Const([0]), this.int64Const([1])]);
    }
    return this.batchDim;
  }

  /** Whether a traced dimension scales with the batch (the traced batch size is chosen so this is unambiguous). */
  isBatchDim(d: number): boolean {
    return d >= this.batch && d % this.batch === 0;
  }

  /** A shape as an int64 tensor; batch-dependent dims become k x the run-time batch size. */
  shapeTensor(dims: readonly number[]): string {
    if (!dims.some((d) => this.isBatchDim(d))) return this.int64Const([...dims], 'shape');
    const parts = dims.map((d) => {
      if (!this.isBatchDim(d)) return this.int64Const([d], 'dim');
      const k = d / this.batch;
      return k === 1 ? this.batchSize() : this.op('Mul', [this.batchSize(), this.int64Const([k])]);
    });
    return this.op('Concat', parts, { axis: 0 });
  }
}
