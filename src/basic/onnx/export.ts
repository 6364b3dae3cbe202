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
import type { BaseModel } from '../model/base-model';
import type { OnnxExportOptions } from '../model/onnx-hook';
import type { ForwardContext } from '../layers/module';
import type { EmbeddingBlock, EmbeddingRequest } from '../embedding/embedding-collection';
import type { Dataset } from '../dataset/dataset';
import { OnnxDataType, encodeOnnxModel, valueInfo } from './onnx-proto';
import { OnnxExportError } from './graph';
import { traceKernels } from './trace';
import { OPSET, translateKernel } from './translate';
import { nextItemModelToOnnx } from './sequence-export';
import { generativeRetrievalToOnnx } from './generative-retrieval-export';
import { withSequenceMasks } from './sequence-masks';
import { historyTimes, rankerTokenTimes, traceTimeColumns, TimeColumns, TokenTimes } from './time-bias';
import { Exporter, ModelInternals, OnnxSignature, TRACE_BATCH, internals, recordKernel, traceColumns } from './exporter';

export type { OnnxExportOptions } from '../model/base-model';
export type { OnnxSignature } from './exporter';

/** Class names up the prototype chain (no imports of src/models: basic never imports models). */
function lineage(model: BaseModel): string[] {
  const names: string[] = [];
  for (let p = Object.getPrototypeOf(model); p && p.constructor && p.constructor.name !== 'Object'; p = Object.getPrototypeOf(p)) names.push(p.constructor.name);
  return names;
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
        withSequenceMasks(ex, () => tf.tidy(() => {
          const rep = m.userRepresentation(ds, rows);
          vectors = ex.g.lookup(rep.vectors);
          vecShape = rep.vectors.shape;
          if (rep.interestMask) interestMask = ex.g.lookup(rep.interestMask) ?? ex.constant(rep.interestMask);
        })),
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


/** Build the ONNX bytes of a ranking or multi-task model (raw columns -> predictions [batch, targets]). */
export async function rankingModelToOnnx(model: BaseModel, opts: OnnxExportOptions = {}): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  for (const key of Object.keys(opts ?? {})) {
    if (key !== 'float16Tables') throw new OnnxExportError(`unknown option '${key}' (known: float16Tables)`);
  }
  if (lineage(model).includes('MatchModel')) return matchModelToOnnx(model, opts);
  // generative retrieval: the beam search is host logic; the graph gives it next-code log-probabilities
  if (lineage(model)[0] === 'TIGER') return generativeRetrievalToOnnx(model, opts);
  if (lineage(model).includes('SequentialRecommender')) return nextItemModelToOnnx(model, opts);
  const m = internals(model);
  const ex = new Exporter(m, opts);
  const B = TRACE_BATCH;
  // HSTURanker: one action per history item, so the action column's rows have the items' lengths
  const ranker = model as unknown as {
    history?: { name: string; maxLen: number };
    actions?: { name: string };
    candidates?: { name: string; maxLen: number };
    timestampColumn?: string | null;
    requestTimeColumn?: string | null;
    contextTokens?: number;
  };
  const traceCols = traceColumns(m, B, ranker.actions && ranker.history ? { [ranker.actions.name]: ranker.history.name } : {});
  ex.columns = traceCols;
  // HSTURanker with timestamps: the temporal bias reads them (and the request times) as graph inputs
  let times: (() => TokenTimes) | undefined;
  if (ranker.timestampColumn && ranker.history) {
    const hist = ranker.history;
    const cols: TimeColumns = { timestamps: ranker.timestampColumn, request: ranker.requestTimeColumn ?? null };
    traceTimeColumns(traceCols, cols, hist, B);
    let tokens: TokenTimes | undefined;
    times = () => (tokens ??= rankerTokenTimes(ex, historyTimes(ex, cols, hist), ranker.contextTokens ?? 0, hist.maxLen));
  }
  const data = m.bindData(traceCols, false);
  const indices = Int32Array.from({ length: B }, (_, i) => i);
  const ctx: ForwardContext = { training: false, rng: m.trainRng as ForwardContext['rng'], deferred: [] };
  let outputName: string | undefined;
  let outShape: number[] = [];
  await traceKernels(
    () => {
      const owned: tf.Tensor[] = [];
      try {
        withSequenceMasks(ex, () => tf.tidy(() => {
          const blocks = m.inferenceBlocks(data, indices);
          const tensors = blocks.map((b) => b.tensor());
          const inputs = m.buildInputs(data, indices, tensors, blocks, owned);
          blocks.forEach((b, i) => ex.bindBlock(b, tensors[i], inputs.masks[b.key]));
          ex.bindDense(inputs);
          const out = m.outputTransform(m.forward(inputs, ctx));
          outputName = ex.g.lookup(out);
          outShape = out.shape;
        }), times);
      } finally {
        tf.dispose(owned);
      }
    },
    (k) => recordKernel(ex, k),
  );
  if (!outputName) throw new OnnxExportError('the model output does not depend on its inputs');
  const T = outShape[1];
  const columns = m.targets.map((t) => t.name);
  let outDims: Array<number | 'batch'> = ['batch', T];
  if (lineage(model).includes('HSTURanker') && ranker.candidates) {
    // time-major candidate rows [C x batch, T] -> [batch, C, T], zero where a row has no candidate (as predictTargets)
    const C = ranker.candidates.maxLen;
    if (outShape[0] !== C * B) throw new OnnxExportError(`HSTURanker: expected ${C} candidates x ${B} rows of scores, got [${outShape}]`);
    const byRow = ex.g.op('Transpose', [ex.g.op('Reshape', [outputName, ex.g.shapeTensor([C, B, T])])], { perm: [1, 0, 2] });
    const ids = ex.input(ranker.candidates.name, 'int32', C);
    const real = ex.g.op('Cast', [ex.g.op('Not', [ex.g.op('Equal', [ids, ex.g.int32Const([0], [])])])], { to: OnnxDataType.FLOAT });
    outputName = ex.g.op('Mul', [byRow, ex.g.op('Unsqueeze', [real, ex.g.int64Const([2])])]);
    outDims = ['batch', C, T];
  }
  ex.g.node('Identity', [outputName], {}, ['predictions']);
  ex.signature.outputs.push({ name: 'predictions', shape: outDims, columns: columns.length === T ? columns : undefined });
  const bytes = encodeOnnxModel(
    {
      name: model.modelName(),
      node: ex.g.nodes,
      initializer: ex.g.initializers,
      input: ex.graphInputs,
      output: [valueInfo('predictions', OnnxDataType.FLOAT, outDims)],
      docString: `nextrec-ts ${model.modelName()}: columns ${columns.join(', ')}`,
    },
    OPSET,
    '0.1.0',
  );
  return { bytes, signature: ex.signature };
}
