/**
 * ONNX export of next-item models (SequentialRecommender: HSTU, SASRec, GRU4Rec): one graph from the padded item
 * history [batch, maxLen] (int32, oldest first, zeros after the last item) to the next-item representation
 * `user_vectors` [batch, D], plus the item matrix `item_embeddings` [items, D] and its `item_ids`, so that
 * scores = user_vectors x item_embeddings^T / temperature, as the model's own recommend() ranks.
 *
 * The model's own inference forward is traced at L = maxLen (the trace's longest row is full); the history block
 * is a Gather from the time-major ids, and the per-batch masks come from the lengths in the graph
 * (sequence-masks.ts). A model with a timestampColumn takes it as a further input [batch, maxLen] (double, aligned
 * with the history), and its targetTimeColumn, if any, as [batch] (double); the time bias is computed from them in
 * the graph (time-bias.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaseModel } from '../model/base-model';
import type { OnnxExportOptions } from '../model/onnx-hook';
import type { ForwardContext } from '../layers/module';
import { OnnxDataType, encodeOnnxModel, valueInfo } from './onnx-proto';
import { OnnxExportError } from './graph';
import { traceKernels } from './trace';
import { OPSET } from './translate';
import { Exporter, ModelInternals, OnnxSignature, TRACE_BATCH, recordKernel, traceColumns } from './exporter';
import { withSequenceMasks } from './sequence-masks';
import { historyTimes, traceTimeColumns, TimeColumns, TokenTimes } from './time-bias';

/** Members of a SequentialRecommender the export drives (by name: src/basic never imports src/models). */
interface NextItemInternals extends ModelInternals {
  history: { name: string; maxLen: number; vocabSize: number; hashing?: boolean; numHashes: number };
  temperature: number;
  timestampColumn: string | null;
  targetTimeColumn: string | null;
  itemEmbeddings(): Promise<Float32Array>;
}

export async function nextItemModelToOnnx(model: BaseModel, opts: OnnxExportOptions): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  const m = model as unknown as NextItemInternals;
  const hist = m.history;
  const ex = new Exporter(m, opts);
  const B = TRACE_BATCH;
  const traceCols = traceColumns(m, B);
  ex.columns = traceCols;
  // with timestamps, the temporal bias reads them (and the request times, if the model has a column for them)
  const timeCols: TimeColumns | null = m.timestampColumn ? { timestamps: m.timestampColumn, request: m.targetTimeColumn } : null;
  let tokenTimes: TokenTimes | undefined;
  if (timeCols) traceTimeColumns(traceCols, timeCols, hist, B);
  const times = timeCols
    ? () => {
        if (!tokenTimes) {
          const { rel, request } = historyTimes(ex, timeCols, hist);
          tokenTimes = { tokens: rel, request };
        }
        return tokenTimes;
      }
    : undefined;
  const data = m.bindData(traceCols, false);
  const indices = Int32Array.from({ length: B }, (_, i) => i);
  const ctx: ForwardContext = { training: false, rng: m.trainRng as ForwardContext['rng'], deferred: [] };
  let vectors: string | undefined;
  let D = 0;
  await traceKernels(
    () =>
      withSequenceMasks(ex, () => {
        const owned: tf.Tensor[] = [];
        try {
          tf.tidy(() => {
            const blocks = m.inferenceBlocks(data, indices);
            const tensors = blocks.map((b) => b.tensor());
            blocks.forEach((block, i) => {
              if (block.key !== 'history' || tensors[i].shape[0] !== hist.maxLen) throw new OnnxExportError(`unexpected embedding block '${block.key}' [${tensors[i].shape}] (expected the time-major history [${hist.maxLen}, batch, D])`);
              // the blocks are time-major [L, B, D]: gather from the transposed id input
              const timeMajor = ex.g.op('Transpose', [ex.input(hist.name, 'int32', hist.maxLen)], { perm: [1, 0] });
              ex.g.bind(tensors[i], ex.embed(hist, block.fields[0], timeMajor));
            });
            const inputs = m.buildInputs(data, indices, tensors, blocks, owned);
            const out = m.forward(inputs, ctx);
            vectors = ex.g.lookup(out);
            D = out.shape[1];
          });
        } finally {
          tf.dispose(owned);
        }
      }, times),
    (k) => recordKernel(ex, k),
  );
  if (!vectors) throw new OnnxExportError('the next-item representation does not depend on the history input');
  ex.g.node('Identity', [vectors], {}, ['user_vectors']);
  const V = hist.vocabSize - 1;
  const items = await m.itemEmbeddings();
  ex.g.node('Identity', [ex.g.floatConst(items, [V, D], 'items')], {}, ['item_embeddings']);
  ex.g.node('Identity', [ex.g.int32Const(Int32Array.from({ length: V }, (_, i) => i + 1), [V])], {}, ['item_ids']);
  ex.signature.outputs.push({ name: 'user_vectors', shape: ['batch', D] }, { name: 'item_embeddings', shape: [V, D] }, { name: 'item_ids', shape: [V] });
  const outputs = [valueInfo('user_vectors', OnnxDataType.FLOAT, ['batch', D]), valueInfo('item_embeddings', OnnxDataType.FLOAT, [V, D]), valueInfo('item_ids', OnnxDataType.INT32, [V])];
  const doc = `nextrec-ts ${model.modelName()}: history '${hist.name}' [batch, ${hist.maxLen}] (oldest first, zero-padded) -> user_vectors; scores = user_vectors . item_embeddings / ${m.temperature} (row r = item item_ids[r])`;
  const bytes = encodeOnnxModel({ name: model.modelName(), node: ex.g.nodes, initializer: ex.g.initializers, input: ex.graphInputs, output: outputs, docString: doc }, OPSET, '0.1.0');
  return { bytes, signature: ex.signature };
}
