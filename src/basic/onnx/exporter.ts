/**
 * The exporter's shared state: graph inputs, embedding tables as initializers, traced tensors bound to ONNX names,
 * and constants folded from weights. Used by the ranking / match export (export.ts) and the sequence export
 * (sequence-export.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaseModel, ModelInputs } from '../model/base-model';
import type { OnnxExport, OnnxExportOptions } from '../model/onnx-hook';
import type { ForwardContext } from '../layers/module';
import type { EmbeddingBlock, EmbeddingRequest } from '../embedding/embedding-collection';
import type { SparseTable } from '../embedding/sparse-table';
import type { Dataset } from '../dataset/dataset';
import { OnnxDataType, OnnxValueInfo, valueInfo } from './onnx-proto';
import { OnnxExportError, OnnxGraphBuilder } from './graph';
import { traceBackend, TracedKernel } from './trace';
import { Uint32Ops } from './hash-ops';
import { hashBucket } from '../embedding/hashing';
import { translateKernel } from './translate';

/** A prime no layer size is likely to be a multiple of: dims that are multiples of it scale with the batch. */
export const TRACE_BATCH = 37;

/** What an exported graph takes and returns. */
export type OnnxSignature = OnnxExport['signature'];

/** Model internals the exporter drives (protected / private members of BaseModel, by name). */
export interface ModelInternals {
  requests: EmbeddingRequest[];
  sparseFeatures: Array<{ name: string; vocabSize: number; hashing?: boolean; numHashes: number }>;
  sequenceFeatures: Array<{ name: string; vocabSize: number; maxLen: number; hashing?: boolean; numHashes: number }>;
  denseFeatures: Array<{ name: string; dim: number }>;
  targets: Array<{ name: string }>;
  /** WideDeep's crossed pairs (blocks 'wide:NAME' of hashed crossKey(a, b) ids). */
  crosses?: Array<{ name: string; a: string; b: string }>;
  trainRng: unknown;
  bindData(data: Record<string, ArrayLike<number>>, withLabels: boolean): Dataset;
  buildInputs(data: Dataset, indices: Int32Array, blockTensors: tf.Tensor[], blocks: EmbeddingBlock[], owned: tf.Tensor[]): ModelInputs;
  inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[];
  forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D;
  outputTransform(raw: tf.Tensor2D): tf.Tensor2D;
}

export function internals(model: BaseModel): ModelInternals {
  return model as unknown as ModelInternals;
}

/**
 * Deterministic trace rows: ids spread over each vocabulary (no zeros in sparse columns), sequences padded at the
 * tail. Each sequence feature gets its own pattern of lengths (so a per-batch layout built from lengths names its
 * feature unambiguously), and its last row is full, so models that truncate to the longest row trace at maxLen.
 */
export function traceColumns(m: ModelInternals, B: number, aligned: Record<string, string> = {}): Record<string, ArrayLike<number>> {
  const cols: Record<string, ArrayLike<number>> = {};
  for (const f of m.sparseFeatures) cols[f.name] = Int32Array.from({ length: B }, (_, i) => 1 + ((i * 7919) % Math.max(1, f.vocabSize - 1)));
  // `aligned` names features whose rows must have another feature's lengths (HSTURanker's actions and items)
  const pattern = (name: string) => {
    const lead = aligned[name] ?? name;
    return Math.max(0, m.sequenceFeatures.findIndex((x) => x.name === lead));
  };
  m.sequenceFeatures.forEach((f) => {
    const k = pattern(f.name);
    const a = new Int32Array(B * f.maxLen);
    for (let i = 0; i < B; i++) {
      const len = i === B - 1 ? f.maxLen : 1 + ((i * 7 + k * 3) % f.maxLen);
      for (let j = 0; j < len; j++) a[i * f.maxLen + j] = 1 + ((i * 31 + j * 17) % Math.max(1, f.vocabSize - 1));
    }
    cols[f.name] = a;
  });
  for (const f of m.denseFeatures) cols[f.name] = Float32Array.from({ length: B * f.dim }, (_, i) => Math.sin(i + 1));
  return cols;
}

export class Exporter {
  readonly g: OnnxGraphBuilder;
  private readonly inputs = new Map<string, OnnxValueInfo>();
  readonly signature: OnnxSignature = { inputs: [], outputs: [] };
  private readonly tables = new Map<string, string>();
  private firstInput: string | null = null;

  constructor(readonly m: ModelInternals, private readonly opts: OnnxExportOptions) {
    this.g = new OnnxGraphBuilder(TRACE_BATCH, () => {
      if (!this.firstInput) throw new OnnxExportError('the graph needs the batch size but has no inputs');
      return this.firstInput;
    });
  }

  get graphInputs(): OnnxValueInfo[] {
    return [...this.inputs.values()];
  }

  /** The graph input of a column (declared on first use). */
  input(name: string, dtype: 'int32' | 'float32' | 'float64', width: number | null): string {
    if (!this.inputs.has(name)) {
      const shape: Array<number | 'batch'> = width === null ? ['batch'] : ['batch', width];
      this.inputs.set(name, valueInfo(name, dtype === 'int32' ? OnnxDataType.INT32 : dtype === 'float64' ? OnnxDataType.DOUBLE : OnnxDataType.FLOAT, shape));
      this.signature.inputs.push({ name, dtype, shape });
      this.firstInput ??= name;
    }
    return name;
  }

  /** The full table as an initializer (every row materialised; row 0 = zeros). */
  private table(t: SparseTable): string {
    const known = this.tables.get(t.name);
    if (known) return known;
    const w = new Float32Array(t.rows * t.dim);
    for (let r = 1; r < t.rows; r++) t.copyRowTo(r, w, r * t.dim);
    const name = `table:${t.name}`;
    if (this.opts.float16Tables) {
      const half = new Uint16Array(w.length);
      for (let i = 0; i < w.length; i++) half[i] = toHalf(w[i]);
      this.g.initializer(`${name}:f16`, [t.rows, t.dim], OnnxDataType.FLOAT16, new Uint8Array(half.buffer));
      this.g.node('Cast', [`${name}:f16`], { to: OnnxDataType.FLOAT }, [name]);
    } else {
      this.g.initializer(name, [t.rows, t.dim], OnnxDataType.FLOAT, new Uint8Array(w.buffer));
    }
    this.tables.set(t.name, name);
    return name;
  }

  private hashOps: Uint32Ops | null = null;

  /** Bit-exact uint32 arithmetic for the id hashes (created on first use). */
  get hashes(): Uint32Ops {
    return (this.hashOps ??= new Uint32Ops(this.g));
  }

  /**
   * Rows of a feature's table(s) for the ONNX integer ids `ids` (any shape; ids of 0 give the zero padding row):
   * hashed features hash in the graph exactly as the host lookup does (hashBucket per hash function), and the
   * rows of several hash tables are summed as in the embedding block.
   */
  embed(feature: { name: string; hashing?: boolean }, slots: ReadonlyArray<{ table: SparseTable }>, ids: string): string {
    if (!slots.length) throw new OnnxExportError(`feature '${feature.name}' has no embedding table`);
    const raw = feature.hashing ? this.g.op('Cast', [ids], { to: OnnxDataType.INT64 }) : ids;
    const parts = slots.map((slot, h) => this.g.op('Gather', [this.table(slot.table), feature.hashing ? this.hashes.bucket(raw, h, slot.table.rows) : ids], { axis: 0 }));
    return parts.reduce((acc, x) => this.g.op('Add', [acc, x]));
  }

  /** ONNX value of one embedding block, [B, F, D] or [B, L, D], and of its mask. */
  bindBlock(block: EmbeddingBlock, tensor: tf.Tensor, mask: tf.Tensor | undefined): void {
    const request = this.m.requests.find((r) => r.key === block.key);
    const cross = this.m.crosses?.find((c) => block.key === `wide:${c.name}`);
    if (!request && cross) {
      // WideDeep's hashed cross features: the pair's crossed raw id, hashed into the cross table, [B, 1, 1]
      const key = this.hashes.crossKey(this.input(cross.a, 'int32', null), this.input(cross.b, 'int32', null));
      const ids = this.g.op('Unsqueeze', [key, this.g.int64Const([1])]);
      this.g.bind(tensor, this.embed({ name: cross.name, hashing: true }, block.fields[0], ids));
      return;
    }
    const view = request ? null : this.timeMajorView(block);
    if (view) {
      this.g.bind(tensor, view);
      return;
    }
    if (!request) throw new OnnxExportError(`embedding block '${block.key}' is built from ids outside the declared feature columns (e.g. sampled or candidate ids); this model family is not exportable this way`);
    if (request.kind === 'stack') {
      const fields = request.features.map((fname, f) => {
        const feature = this.m.sparseFeatures.find((x) => x.name === fname);
        if (!feature) throw new OnnxExportError(`stacked feature '${fname}' is not a sparse feature`);
        const rows = this.embed(feature, block.fields[f], this.input(fname, 'int32', null));
        return this.g.op('Unsqueeze', [rows, this.g.int64Const([1])]);
      });
      this.g.bind(tensor, fields.length === 1 ? fields[0] : this.g.op('Concat', fields, { axis: 1 }));
      return;
    }
    const feature = this.m.sequenceFeatures.find((x) => x.name === request.feature);
    if (!feature) throw new OnnxExportError(`sequence feature '${request.feature}' is not declared`);
    const ids = this.input(feature.name, 'int32', feature.maxLen);
    this.g.bind(tensor, this.embed(feature, block.fields[0], ids));
    if (mask) {
      const real = this.g.op('Not', [this.g.op('Equal', [ids, this.g.int32Const([0], [])])]);
      this.g.bind(mask, this.g.op('Cast', [real], { to: OnnxDataType.FLOAT }));
    }
  }

  /**
   * A block of time-major ids [W, B] that is a sequence input column transposed (next-item histories, HSTURanker's
   * history and candidates), as a Gather from that input; null when it is none.
   */
  private timeMajorView(block: EmbeddingBlock): string | null {
    const [W, B] = block.shape;
    if (block.shape.length !== 3 || B !== this.g.batch || block.fields.length !== 1) return null;
    const slot = block.fields[0][0];
    for (const f of this.m.sequenceFeatures) {
      const col = this.columns[f.name];
      if (!col || f.maxLen !== W || col.length !== W * B) continue;
      const row = (v: number) => (f.hashing ? hashBucket(v, 0, slot.table.rows) : v);
      let same = true;
      for (let t = 0; t < W && same; t++) for (let b = 0; b < B && same; b++) same = slot.ids[t * B + b] === row(col[b * W + t]);
      if (!same) continue;
      const ids = this.g.op('Transpose', [this.input(f.name, 'int32', f.maxLen)], { perm: [1, 0] });
      return this.embed(f, block.fields[0], ids);
    }
    return null;
  }

  bindDense(inputs: ModelInputs): void {
    const parts = this.m.denseFeatures.map((f) => this.input(f.name, 'float32', f.dim));
    if (inputs.dense) this.g.bind(inputs.dense, parts.length === 1 ? parts[0] : this.g.op('Concat', parts, { axis: 1 }));
    const original = inputs.denseFeature;
    inputs.denseFeature = (name: string) => {
      const t = original(name);
      const f = this.m.denseFeatures.find((x) => x.name === name)!;
      this.g.bind(t, this.input(name, 'float32', f.dim));
      return t;
    };
  }

  private readonly constants = new Map<object, Map<string, string>>();

  /** A traced tensor that does not depend on the inputs: its values become an initializer. */
  constant(info: tf.TensorInfo): string {
    const key = `${info.shape.join('x')}:${info.dtype}`;
    const known = this.constants.get(info.dataId)?.get(key);
    if (known) return known;
    const values = traceBackend().readSync(info.dataId) as Float32Array | Int32Array | Uint8Array;
    let name: string;
    if (info.shape.some((d) => this.g.isBatchDim(d))) {
      const view = this.hostViews.find((h) => h.dtype === info.dtype && h.shape.join() === info.shape.join() && h.values.length === values.length && h.values.every((v, i) => v === values[i]));
      if (view) return this.remember(info, key, view.name);
      // e.g. tf.zeros([B, H]) for a recurrent state: only a constant fill can follow the run-time batch
      const fromColumn = values.some((v) => v !== values[0]) ? this.hostColumnView(info, values) : null;
      if (fromColumn) return this.remember(info, key, fromColumn);
      if (values.some((v) => v !== values[0])) throw new OnnxExportError(`a per-batch tensor of shape [${info.shape}] is computed on the host inside forward (not from the inputs); not exportable`);
      const scalar = info.dtype === 'float32' ? this.g.floatConst([values[0]], []) : info.dtype === 'int32' ? this.g.int32Const([values[0]], []) : this.g.boolConst([values[0]], []);
      name = this.g.op('Expand', [scalar, this.g.shapeTensor(info.shape)]);
    } else if (info.dtype === 'float32') {
      name = this.g.floatConst(values, [...info.shape], 'w');
    } else if (info.dtype === 'int32') {
      name = this.g.int32Const(values, [...info.shape]);
    } else if (info.dtype === 'bool') {
      name = this.g.boolConst(values, [...info.shape]);
    } else {
      throw new OnnxExportError(`constant of dtype ${info.dtype} is not supported`);
    }
    return this.remember(info, key, name);
  }

  private readonly hostViews: Array<{ shape: number[]; dtype: string; values: number[]; name: string }> = [];

  /**
   * Declare the graph form `name` of a per-batch tensor that the traced forward builds on the host from the inputs
   * (e.g. TIGER's code tokens): a traced tensor of this shape, dtype and trace values is bound to it.
   */
  hostView(shape: number[], dtype: 'int32' | 'float32', values: ArrayLike<number>, name: string): void {
    this.hostViews.push({ shape, dtype, values: Array.from(values), name });
  }

  private remember(info: tf.TensorInfo, key: string, name: string): string {
    let byKey = this.constants.get(info.dataId);
    if (!byKey) this.constants.set(info.dataId, (byKey = new Map()));
    byKey.set(key, name);
    return name;
  }

  /** Trace rows, by column, to recognise host tensors that are plain views of an input column. */
  columns: Record<string, ArrayLike<number>> = {};
  /** Lists of dense features a model may concatenate on the host (e.g. a match model's user dense features). */
  denseGroups: Array<Array<{ name: string; dim: number }>> = [];

  /**
   * A per-batch host tensor that is a sparse input column itself or its one-hot encoding (models that read raw
   * ids from inputs.data, e.g. POSO's group indicators), as graph ops on that input; null when it is neither.
   */
  private hostColumnView(info: tf.TensorInfo, values: ArrayLike<number>): string | null {
    const B = this.g.batch;
    const same = (expected: ArrayLike<number>) => expected.length === values.length && Array.from(values).every((v, i) => v === expected[i]);
    if (info.dtype === 'float32' && info.shape.length === 2 && info.shape[0] === B) {
      for (const f of this.m.sequenceFeatures) {
        const col = this.columns[f.name];
        if (col && info.shape[1] === f.maxLen && same(Array.from(col, (v) => (v !== 0 ? 1 : 0)))) {
          const ids = this.input(f.name, 'int32', f.maxLen);
          return this.g.op('Cast', [this.g.op('Not', [this.g.op('Equal', [ids, this.g.int32Const([0], [])])])], { to: OnnxDataType.FLOAT });
        }
      }
      // dense features gathered on the host, concatenated in declaration order (match towers)
      for (const group of this.denseGroups) {
        const width = group.reduce((s2, f) => s2 + f.dim, 0);
        if (!group.length || info.shape[1] !== width) continue;
        const expected = new Float32Array(B * width);
        let off = 0;
        for (const f of group) {
          const col = this.columns[f.name];
          for (let i = 0; i < B; i++) for (let j = 0; j < f.dim; j++) expected[i * width + off + j] = col[i * f.dim + j];
          off += f.dim;
        }
        if (same(expected)) {
          const parts = group.map((f) => this.input(f.name, 'float32', f.dim));
          return parts.length === 1 ? parts[0] : this.g.op('Concat', parts, { axis: 1 });
        }
      }
    }
    // a sequence column's ids flattened time-major [maxLen x B] (HLLM gathers its item content by them), or their
    // non-padding indicator, with any trailing unit axes
    for (const f of this.m.sequenceFeatures) {
      const col = this.columns[f.name];
      const W = f.maxLen;
      if (!col || col.length !== W * B || info.shape[0] !== W * B || info.shape.slice(1).some((d) => d !== 1)) continue;
      const at = (i: number) => col[(i % B) * W + Math.floor(i / B)];
      const timeMajor = () => this.g.op('Transpose', [this.input(f.name, 'int32', W)], { perm: [1, 0] });
      if (info.dtype === 'int32' && Array.from(values).every((v, i) => v === at(i))) return this.g.op('Reshape', [timeMajor(), this.g.shapeTensor(info.shape)]);
      if (info.dtype === 'float32' && Array.from(values).every((v, i) => v === (at(i) !== 0 ? 1 : 0))) {
        const real = this.g.op('Cast', [this.g.op('Not', [this.g.op('Equal', [timeMajor(), this.g.int32Const([0], [])])])], { to: OnnxDataType.FLOAT });
        return this.g.op('Reshape', [real, this.g.shapeTensor(info.shape)]);
      }
    }
    for (const f of this.m.sparseFeatures) {
      const col = this.columns[f.name];
      if (!col || col.length !== B) continue;
      if (info.shape.length === 1 && info.shape[0] === B && Array.from(values).every((v, i) => v === col[i])) {
        const ids = this.input(f.name, 'int32', null);
        return info.dtype === 'int32' ? ids : this.g.op('Cast', [ids], { to: info.dtype === 'float32' ? OnnxDataType.FLOAT : OnnxDataType.BOOL });
      }
      if (info.shape.length === 2 && info.shape[0] === B && info.dtype === 'float32') {
        const V = info.shape[1];
        let oneHot = true;
        for (let i = 0; i < B && oneHot; i++) {
          for (let j = 0; j < V; j++) if (values[i * V + j] !== (j === col[i] ? 1 : 0)) oneHot = false;
        }
        if (oneHot) {
          const ids = this.g.op('Unsqueeze', [this.input(f.name, 'int32', null), this.g.int64Const([1])]);
          const range = this.g.int32Const(Array.from({ length: V }, (_, j) => j), [1, V]);
          return this.g.op('Cast', [this.g.op('Equal', [ids, range])], { to: OnnxDataType.FLOAT });
        }
      }
    }
    return null;
  }
}

/** Round a float32 to IEEE half precision (round to nearest even). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half;
  return sign | e;
}


/** Translate one traced kernel whose inputs depend on the graph inputs (or on the batch); weight-only kernels fold. */
export function recordKernel(ex: Exporter, k: TracedKernel): void {
  const known = k.inputs.map((x) => ex.g.lookup(x.info));
  // a kernel over weights only is folded into a constant where it is used; one over a per-batch tensor
  // (e.g. a zero recurrent state) or one that makes a per-batch tensor from weights (a learned query tiled over the
  // batch) must stay in the graph, or its value would be tied to the traced batch
  const hasBatch = (x: tf.TensorInfo) => x.shape.some((d) => ex.g.isBatchDim(d));
  const perBatch = k.inputs.some((x) => hasBatch(x.info)) || ((k.kernelName === 'Tile' || k.kernelName === 'BroadcastTo') && k.outputs.some(hasBatch));
  if (known.every((n) => n === undefined) && !perBatch) return;
  const names = k.inputs.map((x, i) => known[i] ?? ex.constant(x.info));
  const outs = translateKernel(ex.g, k, names);
  k.outputs.forEach((o, i) => ex.g.bind(o, outs[i]));
}
