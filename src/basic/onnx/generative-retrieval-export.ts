/**
 * ONNX export of TIGER (generative retrieval over semantic ids). Its recommendations come from a beam search over a
 * prefix trie of the items' code tuples: host logic, which a server runs in any language. The export gives it what
 * it needs: one graph from the padded item history and the codes decoded so far to the next code's log-probabilities
 * at every position, plus the catalogue's valid tuples.
 *
 * Inputs: the history [batch, maxLen] (int32 item ids, oldest first, zeros after the last item) and `prefix_codes`
 * [batch, P - 1] (int32: codes c_1..c_{P-1} of the tuple being decoded; entries at and after the current step are
 * ignored, so 0 will do). Outputs: `log_probs_p` [batch, K_p] for p = 0..P-1, log p(c_{p+1} = k | history, c_1..c_p)
 * (the decoder is causal, so output p reads only the first p prefix codes); `item_codes` [items, P] (int32, row r =
 * tuple of item `item_ids[r]`) and `item_ids` [items]. Beam search: at step p feed each beam's codes so far, read
 * `log_probs_p`, extend each beam by the codes that continue a valid tuple, keep the best beams; an item's score is
 * the sum of its codes' log-probabilities (what `recommend()` returns).
 *
 * The model's own encode / decode / logProbs are traced once; the code tokens they build on the host from the item
 * ids (a code-table lookup) and the encoder's key mask are declared to the exporter as graph ops on the inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaseModel } from '../model/base-model';
import type { OnnxExportOptions } from '../model/onnx-hook';
import type { ForwardContext } from '../layers/module';
import { OnnxDataType, OnnxValueInfo, encodeOnnxModel, valueInfo } from './onnx-proto';
import { OnnxExportError } from './graph';
import { traceKernels } from './trace';
import { OPSET } from './translate';
import { Exporter, ModelInternals, OnnxSignature, TRACE_BATCH, recordKernel, traceColumns } from './exporter';

/** Members of TIGER the export drives (by name: src/basic never imports src/models). */
interface TigerInternals extends ModelInternals {
  history: { name: string; maxLen: number; vocabSize: number };
  codebookSizes: number[];
  positions: number;
  tokenOffsets: number[];
  dim: number;
  historyAlignment: 'end' | 'start';
  itemCodes(): Int32Array;
  encode(items: Int32Array[], ctx: ForwardContext): { memory: tf.Tensor3D; mask: tf.Tensor2D };
  decode(tokens: Int32Array, S: number, memory: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor3D;
  logProbs(p: number, h: tf.Tensor2D): tf.Tensor2D;
}

/** Token id 1 starts every decoded tuple (TIGER's BOS). */
const BOS = 1;
export const PREFIX_INPUT = 'prefix_codes';

export async function generativeRetrievalToOnnx(model: BaseModel, opts: OnnxExportOptions): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  const m = model as unknown as TigerInternals;
  const hist = m.history;
  const P = m.positions;
  const L = hist.maxLen;
  const T = L * P;
  const V = hist.vocabSize;
  const codes = m.itemCodes(); // throws, naming setSemanticIds, when the model has none
  const ex = new Exporter(m, opts);
  const g = ex.g;
  const B = TRACE_BATCH;
  const traceCols = traceColumns(m, B);
  ex.columns = traceCols;
  const col = traceCols[hist.name];
  const lengths = Int32Array.from({ length: B }, (_, b) => {
    let n = 0;
    while (n < L && col[b * L + n] !== 0) n++;
    return n;
  });
  const items = Array.from({ length: B }, (_, b) => Int32Array.from({ length: lengths[b] }, (_, t) => col[b * L + t]));

  // encoder tokens, time-major [T x B] with T = maxLen x P: token of code p of the item in slot s at (s P + p) B + b;
  // 0 on padding. Right-aligned models ('end') put a row's items in the last slots: slot s holds item s + len - L.
  const fromEnd = m.historyAlignment === 'end';
  const input = ex.input(hist.name, 'int32', L);
  const ids = fromEnd ? rightAligned(g, input, L) : input;
  const tokenOf = (item: number, p: number) => (item === 0 ? 0 : m.tokenOffsets[p] + codes[item * P + p]);
  const tokenTable = g.int32Const(Array.from({ length: V * P }, (_, i) => tokenOf(Math.floor(i / P), i % P)), [V, P]);
  const byRow = g.op('Reshape', [g.op('Gather', [tokenTable, ids], { axis: 0 }), g.int64Const([-1, T])]);
  const timeMajor = g.op('Transpose', [byRow], { perm: [1, 0] });
  const hostTokens = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const shift = fromEnd ? L - lengths[b] : 0;
    for (let t = 0; t < T; t++) hostTokens[t * B + b] = tokenOf(items[b][Math.floor(t / P) - shift] ?? 0, t % P);
  }
  ex.hostView([T * B], 'int32', hostTokens, g.op('Reshape', [timeMajor, g.int64Const([-1])]));
  // key mask [T, B]: real tokens, and for an empty history its first ('start') or last ('end') padding token, which it attends to
  const real = g.op('Not', [g.op('Equal', [timeMajor, g.int32Const([0], [])])]);
  const anyReal = g.op('ReduceMax', [g.op('Cast', [real], { to: OnnxDataType.INT32 })], { axes: [0], keepdims: 1 });
  const empty = g.op('Equal', [anyReal, g.int32Const([0], [])]);
  const emptySlot = fromEnd ? T - 1 : 0;
  const attended = g.boolConst(Array.from({ length: T }, (_, t) => (t === emptySlot ? 1 : 0)), [T, 1]);
  const mask = g.op('Cast', [g.op('Or', [real, g.op('And', [attended, empty])])], { to: OnnxDataType.FLOAT });
  const hostMask = Float32Array.from(hostTokens, (tok, i) => (tok !== 0 || (Math.floor(i / B) === emptySlot && lengths[i % B] === 0) ? 1 : 0));
  ex.hostView([T, B], 'float32', hostMask, mask);

  // decoder tokens, time-major [P x B]: BOS, then the prefix codes as tokens (trace prefixes: tuples of catalogue items)
  const traceItem = (b: number) => 1 + ((b * 13) % (V - 1));
  const hostDecoder = new Int32Array(P * B);
  for (let b = 0; b < B; b++) {
    hostDecoder[b] = BOS;
    for (let s = 1; s < P; s++) hostDecoder[s * B + b] = tokenOf(traceItem(b), s - 1);
  }
  let decoderRows = g.op('Expand', [g.int32Const([BOS], [1, 1]), g.shapeTensor([B, 1])]);
  if (P > 1) {
    ex.columns[PREFIX_INPUT] = Int32Array.from({ length: B * (P - 1) }, (_, i) => codes[traceItem(Math.floor(i / (P - 1))) * P + (i % (P - 1))]);
    const prefix = ex.input(PREFIX_INPUT, 'int32', P - 1);
    const asTokens = g.op('Add', [prefix, g.int32Const(m.tokenOffsets.slice(0, P - 1), [1, P - 1])]);
    decoderRows = g.op('Concat', [decoderRows, asTokens], { axis: 1 });
  }
  ex.hostView([P * B], 'int32', hostDecoder, g.op('Reshape', [g.op('Transpose', [decoderRows], { perm: [1, 0] }), g.int64Const([-1])]));

  const ctx: ForwardContext = { training: false, rng: m.trainRng as ForwardContext['rng'], deferred: [] };
  const logProbs: Array<string | undefined> = [];
  await traceKernels(
    () =>
      tf.tidy(() => {
        const { memory, mask: keyMask } = m.encode(items, ctx);
        if (memory.shape[0] !== T) throw new OnnxExportError(`TIGER: expected ${T} encoder tokens in the trace, got ${memory.shape[0]}`);
        const h = m.decode(hostDecoder, P, memory, keyMask, ctx);
        for (let p = 0; p < P; p++) logProbs.push(g.lookup(m.logProbs(p, tf.slice(h, [p, 0, 0], [1, B, m.dim]).reshape([B, m.dim]) as tf.Tensor2D)));
      }),
    (k) => recordKernel(ex, k),
  );
  const outputs: OnnxValueInfo[] = [];
  logProbs.forEach((name, p) => {
    if (!name) throw new OnnxExportError(`TIGER: the log-probabilities of code ${p} do not depend on the inputs`);
    g.node('Identity', [name], {}, [`log_probs_${p}`]);
    outputs.push(valueInfo(`log_probs_${p}`, OnnxDataType.FLOAT, ['batch', m.codebookSizes[p]]));
    ex.signature.outputs.push({ name: `log_probs_${p}`, shape: ['batch', m.codebookSizes[p]] });
  });
  g.node('Identity', [g.int32Const(codes.subarray(P), [V - 1, P])], {}, ['item_codes']);
  g.node('Identity', [g.int32Const(Int32Array.from({ length: V - 1 }, (_, i) => i + 1), [V - 1])], {}, ['item_ids']);
  outputs.push(valueInfo('item_codes', OnnxDataType.INT32, [V - 1, P]), valueInfo('item_ids', OnnxDataType.INT32, [V - 1]));
  ex.signature.outputs.push({ name: 'item_codes', shape: [V - 1, P] }, { name: 'item_ids', shape: [V - 1] });
  const doc = `nextrec-ts ${model.modelName()}: history '${hist.name}' [batch, ${L}] + ${PREFIX_INPUT} [batch, ${P - 1}] -> log_probs_p [batch, K_p] of code p given codes 0..p-1 (codebook sizes ${m.codebookSizes.join(', ')}); item_codes [items, ${P}] are the valid tuples (row r = item item_ids[r]); decode by beam search over them`;
  const bytes = encodeOnnxModel({ name: model.modelName(), node: g.nodes, initializer: g.initializers, input: ex.graphInputs, output: outputs, docString: doc }, OPSET, '0.1.0');
  return { bytes, signature: ex.signature };
}

/** Left-aligned ids [batch, L] (zeros after the last item) moved to the right end of each row: out[b, s] = ids[b, s + len_b - L]. */
function rightAligned(g: Exporter['g'], ids: string, L: number): string {
  const zero = g.int32Const([0], []);
  const nonPad = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, zero])])], { to: OnnxDataType.INT32 });
  const len = g.op('ReduceSum', [nonPad, g.int64Const([1])], { keepdims: 1 });
  const source = g.op('Sub', [g.op('Add', [g.int32Const(Array.from({ length: L }, (_, s) => s), [1, L]), len]), g.int32Const([L], [])]);
  const inside = g.op('Cast', [g.op('GreaterOrEqual', [source, zero])], { to: OnnxDataType.INT32 });
  return g.op('Mul', [g.op('GatherElements', [ids, g.op('Max', [source, zero])], { axis: 1 }), inside]);
}
