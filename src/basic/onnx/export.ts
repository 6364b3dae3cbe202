/**
 * ONNX export of ranking and multi-task models (one graph from the raw feature columns, int32 ids and float
 * dense values, to the model's predictions, with a dynamic batch size) and of match models (user tower + item
 * embedding matrix).
 *
 * How: the model's own inference forward runs once, on a tracing backend (trace.ts), over a batch of
 * TRACE_BATCH rows; every kernel that depends on the inputs is translated to ONNX nodes (translate.ts), every
 * tensor that does not (weights, and anything computed from weights only) becomes an initializer. The
 * embedding blocks, built on the host in tfjs, enter the graph as Gather over the full tables from the id
 * inputs (row 0 is padding and exports as zeros, as the host lookup skips it).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaseModel, ModelInputs } from '../model/base-model';
import type { OnnxExport, OnnxExportOptions } from '../model/onnx-hook';
import type { ForwardContext } from '../layers/module';
import type { EmbeddingBlock, EmbeddingRequest } from '../embedding/embedding-collection';
import type { SparseTable } from '../embedding/sparse-table';
import type { Dataset } from '../dataset/dataset';
import { OnnxDataType, OnnxValueInfo, encodeOnnxModel, valueInfo } from './onnx-proto';
import { OnnxExportError, OnnxGraphBuilder } from './graph';
import { traceBackend, traceKernels, TracedKernel } from './trace';
import { OPSET, translateKernel } from './translate';

/** A prime no layer size is likely to be a multiple of: dims that are multiples of it scale with the batch. */
const TRACE_BATCH = 37;

export type { OnnxExportOptions } from '../model/base-model';
/** What an exported graph takes and returns. */
export type OnnxSignature = OnnxExport['signature'];

/** Model internals the exporter drives (protected / private members of BaseModel, by name). */
interface ModelInternals {
  requests: EmbeddingRequest[];
  sparseFeatures: Array<{ name: string; vocabSize: number; hashing?: boolean; numHashes: number }>;
  sequenceFeatures: Array<{ name: string; vocabSize: number; maxLen: number; hashing?: boolean; numHashes: number }>;
  denseFeatures: Array<{ name: string; dim: number }>;
  targets: Array<{ name: string }>;
  trainRng: unknown;
  bindData(data: Record<string, ArrayLike<number>>, withLabels: boolean): Dataset;
  buildInputs(data: Dataset, indices: Int32Array, blockTensors: tf.Tensor[], blocks: EmbeddingBlock[], owned: tf.Tensor[]): ModelInputs;
  inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[];
  forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D;
  outputTransform(raw: tf.Tensor2D): tf.Tensor2D;
}

function internals(model: BaseModel): ModelInternals {
  return model as unknown as ModelInternals;
}

/** Deterministic trace rows: ids spread over each vocabulary (no zeros in sparse columns), sequences padded at the tail. */
function traceColumns(m: ModelInternals, B: number): Record<string, ArrayLike<number>> {
  const cols: Record<string, ArrayLike<number>> = {};
  for (const f of m.sparseFeatures) cols[f.name] = Int32Array.from({ length: B }, (_, i) => 1 + ((i * 7919) % Math.max(1, f.vocabSize - 1)));
  for (const f of m.sequenceFeatures) {
    const a = new Int32Array(B * f.maxLen);
    for (let i = 0; i < B; i++) {
      const len = 1 + (i % f.maxLen);
      for (let j = 0; j < len; j++) a[i * f.maxLen + j] = 1 + ((i * 31 + j * 17) % Math.max(1, f.vocabSize - 1));
    }
    cols[f.name] = a;
  }
  for (const f of m.denseFeatures) cols[f.name] = Float32Array.from({ length: B * f.dim }, (_, i) => Math.sin(i + 1));
  return cols;
}

class Exporter {
  readonly g: OnnxGraphBuilder;
  private readonly inputs = new Map<string, OnnxValueInfo>();
  readonly signature: OnnxSignature = { inputs: [], outputs: [] };
  private readonly tables = new Map<string, string>();
  private firstInput: string | null = null;

  constructor(private readonly m: ModelInternals, private readonly opts: OnnxExportOptions) {
    this.g = new OnnxGraphBuilder(TRACE_BATCH, () => {
      if (!this.firstInput) throw new OnnxExportError('the graph needs the batch size but has no inputs');
      return this.firstInput;
    });
  }

  get graphInputs(): OnnxValueInfo[] {
    return [...this.inputs.values()];
  }

  private input(name: string, dtype: 'int32' | 'float32', width: number | null): string {
    if (!this.inputs.has(name)) {
      const shape: Array<number | 'batch'> = width === null ? ['batch'] : ['batch', width];
      this.inputs.set(name, valueInfo(name, dtype === 'int32' ? OnnxDataType.INT32 : OnnxDataType.FLOAT, shape));
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

  private checkPlainIds(block: EmbeddingBlock, feature: { name: string; hashing?: boolean; numHashes: number }): void {
    if (feature.hashing || feature.numHashes > 1) {
      throw new OnnxExportError(`feature '${feature.name}' uses hashing${feature.numHashes > 1 ? ` with ${feature.numHashes} hash functions` : ''}; hash the ids before the graph (hashBucket) is not exported yet: map ids to table rows on the caller's side or use a plain vocabulary`);
    }
    if (block.fields.some((slots) => slots.length !== 1)) throw new OnnxExportError(`embedding block '${block.key}' sums several tables per field; not supported`);
  }

  /** ONNX value of one embedding block, [B, F, D] or [B, L, D], and of its mask. */
  bindBlock(block: EmbeddingBlock, tensor: tf.Tensor, mask: tf.Tensor | undefined): void {
    const request = this.m.requests.find((r) => r.key === block.key);
    if (!request) throw new OnnxExportError(`embedding block '${block.key}' is built from ids outside the declared feature columns (e.g. sampled or candidate ids); this model family is not exportable this way`);
    if (request.kind === 'stack') {
      const fields = request.features.map((fname, f) => {
        const feature = this.m.sparseFeatures.find((x) => x.name === fname);
        if (!feature) throw new OnnxExportError(`stacked feature '${fname}' is not a sparse feature`);
        this.checkPlainIds(block, feature);
        const rows = this.g.op('Gather', [this.table(block.fields[f][0].table), this.input(fname, 'int32', null)], { axis: 0 });
        return this.g.op('Unsqueeze', [rows, this.g.int64Const([1])]);
      });
      this.g.bind(tensor, fields.length === 1 ? fields[0] : this.g.op('Concat', fields, { axis: 1 }));
      return;
    }
    const feature = this.m.sequenceFeatures.find((x) => x.name === request.feature);
    if (!feature) throw new OnnxExportError(`sequence feature '${request.feature}' is not declared`);
    this.checkPlainIds(block, feature);
    const ids = this.input(feature.name, 'int32', feature.maxLen);
    this.g.bind(tensor, this.g.op('Gather', [this.table(block.fields[0][0].table), ids], { axis: 0 }));
    if (mask) {
      const real = this.g.op('Not', [this.g.op('Equal', [ids, this.g.int32Const([0], [])])]);
      this.g.bind(mask, this.g.op('Cast', [real], { to: OnnxDataType.FLOAT }));
    }
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
function toHalf(x: number): number {
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

/** Class names up the prototype chain (no imports of src/models: basic never imports models). */
function lineage(model: BaseModel): string[] {
  const names: string[] = [];
  for (let p = Object.getPrototypeOf(model); p && p.constructor && p.constructor.name !== 'Object'; p = Object.getPrototypeOf(p)) names.push(p.constructor.name);
  return names;
}

function refuseUnsupportedFamily(model: BaseModel): void {
  const chain = lineage(model);
  const name = chain[0];
  if (chain.includes('SequentialRecommender')) {
    throw new OnnxExportError(`${name} is a generative model; exporting history -> next-item representation is not implemented yet (ranking and multi-task models are)`);
  }
  if (name === 'HSTURanker') {
    throw new OnnxExportError('HSTURanker builds its history blocks outside the declared embedding requests (with timestamps); its export is not implemented yet');
  }
  if (name === 'SDM') {
    throw new OnnxExportError("SDM's session self-attention builds its causal and length mask on the host from the session lengths (as the generative models do); its export is not implemented yet");
  }
  if (name === 'OneTrans' && model.sequenceFeatures.length > 0) {
    throw new OnnxExportError('OneTrans with sequence features (right-aligned S-tokens) does not export correctly yet (its ONNX scores differ from tfjs); OneTrans over non-sequence features exports');
  }
  if (name === 'WideDeep' && ((model as unknown as { crosses?: unknown[] }).crosses?.length ?? 0) > 0) {
    throw new OnnxExportError('WideDeep hashes its crossFeatures pairs into buckets on the host, and that hash is not exported yet; WideDeep without crossFeatures exports (or compute the cross ids on the caller\'s side as a sparse feature)');
  }
}

/** Model members a match model export drives (MatchModel, by name). */
interface MatchInternals extends ModelInternals {
  userSparse: Array<{ name: string; vocabSize: number; hashing?: boolean; numHashes: number }>;
  userSequences: Array<{ name: string; vocabSize: number; maxLen: number; hashing?: boolean; numHashes: number }>;
  userDense: Array<{ name: string; dim: number }>;
  userFeatures: unknown[];
  embeddings: { lookup(request: EmbeddingRequest, data: Dataset, indices: Int32Array): EmbeddingBlock };
  userRepresentation(ds: Dataset, rows: Int32Array): { vectors: tf.Tensor; interestMask?: tf.Tensor };
  itemEmbeddings(): { values: Float32Array; shape: number[]; ids?: Int32Array };
}

/**
 * Match models: the user tower as a graph (user columns -> user vectors [batch, D], or interests
 * [batch, K, D] plus their mask) and the item embedding matrix [items, D] with its `item_ids` as further outputs,
 * so a server scores candidates with one matrix product.
 */
async function matchModelToOnnx(model: BaseModel, opts: OnnxExportOptions): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  const m = model as unknown as MatchInternals;
  const userView: ModelInternals = { ...m, sparseFeatures: m.userSparse, sequenceFeatures: m.userSequences, denseFeatures: m.userDense } as ModelInternals;
  Object.setPrototypeOf(userView, Object.getPrototypeOf(model));
  const ex = new Exporter(userView, opts);
  const B = TRACE_BATCH;
  const traceCols = traceColumns(userView, B);
  ex.columns = traceCols;
  ex.denseGroups = [m.userDense];
  const ds = (m as unknown as { bindUsers(d: unknown): Dataset }).bindUsers(traceCols);
  const rows = Int32Array.from({ length: B }, (_, i) => i);
  const lookup = m.embeddings.lookup;
  let vectors: string | undefined;
  let interestMask: string | undefined;
  let vecShape: number[] = [];
  m.embeddings.lookup = (request, data, indices) => {
    const block = lookup.call(m.embeddings, request, data, indices);
    const make = block.tensor.bind(block);
    block.tensor = () => {
      const t = make();
      ex.bindBlock(block, t, undefined);
      return t;
    };
    return block;
  };
  try {
    await traceKernels(
      () =>
        tf.tidy(() => {
          const rep = m.userRepresentation(ds, rows);
          vectors = ex.g.lookup(rep.vectors);
          vecShape = rep.vectors.shape;
          if (rep.interestMask) interestMask = ex.g.lookup(rep.interestMask) ?? ex.constant(rep.interestMask);
        }),
      (k) => recordKernel(ex, k),
    );
  } finally {
    m.embeddings.lookup = lookup;
  }
  if (!vectors) throw new OnnxExportError('the user representation does not depend on the user inputs');
  const dims: Array<number | string> = ['batch', ...vecShape.slice(1)];
  ex.g.node('Identity', [vectors], {}, ['user_vectors']);
  const outputs = [valueInfo('user_vectors', OnnxDataType.FLOAT, dims)];
  ex.signature.outputs.push({ name: 'user_vectors', shape: dims as Array<number | 'batch'> });
  if (interestMask) {
    ex.g.node('Identity', [interestMask], {}, ['interest_mask']);
    outputs.push(valueInfo('interest_mask', OnnxDataType.FLOAT, ['batch', vecShape[1]]));
    ex.signature.outputs.push({ name: 'interest_mask', shape: ['batch', vecShape[1]] });
  }
  const items = m.itemEmbeddings();
  ex.g.floatConst(items.values, items.shape, 'items');
  const itemsName = ex.g.initializers[ex.g.initializers.length - 1].name;
  ex.g.node('Identity', [itemsName], {}, ['item_embeddings']);
  outputs.push(valueInfo('item_embeddings', OnnxDataType.FLOAT, items.shape));
  ex.signature.outputs.push({ name: 'item_embeddings', shape: items.shape });
  if (items.ids) {
    // row r of item_embeddings is catalogue item item_ids[r]
    ex.g.node('Identity', [ex.g.int32Const(items.ids, [items.ids.length])], {}, ['item_ids']);
    outputs.push(valueInfo('item_ids', OnnxDataType.INT32, [items.ids.length]));
    ex.signature.outputs.push({ name: 'item_ids', shape: [items.ids.length] });
  }
  const bytes = encodeOnnxModel({ name: model.modelName(), node: ex.g.nodes, initializer: ex.g.initializers, input: ex.graphInputs, output: outputs, docString: `nextrec-ts ${model.modelName()} user tower + item matrix` }, OPSET, '0.1.0');
  return { bytes, signature: ex.signature };
}

function recordKernel(ex: Exporter, k: TracedKernel): void {
  const known = k.inputs.map((x) => ex.g.lookup(x.info));
  // a kernel over weights only is folded into a constant where it is used; one over a per-batch tensor
  // (e.g. a zero recurrent state) must stay in the graph, or its value would be tied to the traced batch
  const perBatch = k.inputs.some((x) => x.info.shape.some((d) => ex.g.isBatchDim(d)));
  if (known.every((n) => n === undefined) && !perBatch) return;
  const names = k.inputs.map((x, i) => known[i] ?? ex.constant(x.info));
  const outs = translateKernel(ex.g, k, names);
  k.outputs.forEach((o, i) => ex.g.bind(o, outs[i]));
}

/** Build the ONNX bytes of a ranking or multi-task model (raw columns -> predictions [batch, targets]). */
export async function rankingModelToOnnx(model: BaseModel, opts: OnnxExportOptions = {}): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  refuseUnsupportedFamily(model);
  for (const key of Object.keys(opts ?? {})) {
    if (key !== 'float16Tables') throw new OnnxExportError(`unknown option '${key}' (known: float16Tables)`);
  }
  if (lineage(model).includes('MatchModel')) return matchModelToOnnx(model, opts);
  const m = internals(model);
  const ex = new Exporter(m, opts);
  const B = TRACE_BATCH;
  const traceCols = traceColumns(m, B);
  ex.columns = traceCols;
  const data = m.bindData(traceCols, false);
  const indices = Int32Array.from({ length: B }, (_, i) => i);
  const ctx: ForwardContext = { training: false, rng: m.trainRng as ForwardContext['rng'], deferred: [] };
  let outputName: string | undefined;
  let outShape: number[] = [];
  await traceKernels(
    () => {
      const owned: tf.Tensor[] = [];
      try {
        tf.tidy(() => {
          const blocks = m.inferenceBlocks(data, indices);
          const tensors = blocks.map((b) => b.tensor());
          const inputs = m.buildInputs(data, indices, tensors, blocks, owned);
          blocks.forEach((b, i) => ex.bindBlock(b, tensors[i], inputs.masks[b.key]));
          ex.bindDense(inputs);
          const out = m.outputTransform(m.forward(inputs, ctx));
          outputName = ex.g.lookup(out);
          outShape = out.shape;
        });
      } finally {
        tf.dispose(owned);
      }
    },
    (k) => {
      const known = k.inputs.map((x) => ex.g.lookup(x.info));
      // a kernel over weights only is folded into a constant where it is used; one over a per-batch tensor
      // (e.g. a zero recurrent state) must stay in the graph, or its value would be tied to the traced batch
      const perBatch = k.inputs.some((x) => x.info.shape.some((d) => ex.g.isBatchDim(d)));
      if (known.every((n) => n === undefined) && !perBatch) return;
      const names = k.inputs.map((x, i) => known[i] ?? ex.constant(x.info));
      const outs = translateKernel(ex.g, k, names);
      k.outputs.forEach((o, i) => ex.g.bind(o, outs[i]));
    },
  );
  if (!outputName) throw new OnnxExportError('the model output does not depend on its inputs');
  const T = outShape[1];
  ex.g.node('Identity', [outputName], {}, ['predictions']);
  const columns = m.targets.map((t) => t.name);
  ex.signature.outputs.push({ name: 'predictions', shape: ['batch', T], columns: columns.length === T ? columns : undefined });
  const bytes = encodeOnnxModel(
    {
      name: model.modelName(),
      node: ex.g.nodes,
      initializer: ex.g.initializers,
      input: ex.graphInputs,
      output: [valueInfo('predictions', OnnxDataType.FLOAT, ['batch', T])],
      docString: `nextrec-ts ${model.modelName()}: columns ${columns.join(', ')}`,
    },
    OPSET,
    '0.1.0',
  );
  return { bytes, signature: ex.signature };
}
