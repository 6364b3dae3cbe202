import * as tf from '@tensorflow/tfjs-core';
import type { BaseModel, ModelClass } from './base-model';
import { bytesToFloats, checksum, floatBytes, ModelStore, readFileInto } from '../store';
import { decodeConfig } from './config-codec';
import { SparseOptimizerConfig } from '../embedding/sparse-optimizer';
import { models } from './model-registry';
import { CompileOptions } from './types';
import type { RngState } from '../random';
import type { ScheduleState } from '../optim/schedules';

const FORMAT = 'nextrec-ts-model';
const FORMAT_VERSION = 1;

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

interface TableEntry {
  name: string;
  rows: number;
  dim: number;
  stride: number;
  step: number;
  optimizer: SparseOptimizerConfig;
  file: string;
  checksum: string;
  initFile: string;
  initChecksum: string;
}

/** The JSON manifest written next to the weight files. */
export interface ModelManifest {
  format: string;
  formatVersion: number;
  modelName: string;
  config: unknown;
  globalStep: number;
  /** Position of the training random stream (shuffling, dropout, sampled negatives); absent in older saves. */
  trainRng?: RngState;
  /** Compile options when they are plain data (named losses), so training can resume after load. */
  compile: CompileOptions | null;
  /** What a learning-rate schedule has learnt (plateau factor, resolved cosine length); absent without one. */
  schedule?: ScheduleState;
  dense: { file: string; checksum: string; entries: TensorEntry[] };
  optimizer: { file: string; checksum: string; entries: TensorEntry[] } | null;
  tables: TableEntry[];
}

function tableFile(name: string): string {
  return `tables/${encodeURIComponent(name)}`;
}

async function packTensors(list: { name: string; tensor: tf.Tensor }[]): Promise<{ bytes: Uint8Array; entries: TensorEntry[] }> {
  const total = list.reduce((s, x) => s + x.tensor.size, 0);
  const out = new Float32Array(total);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const { name, tensor } of list) {
    out.set(await tensor.data<'float32'>(), offset);
    entries.push({ name, shape: tensor.shape, offset });
    offset += tensor.size;
  }
  return { bytes: floatBytes(out), entries };
}

function serializableCompile(opts: CompileOptions | undefined): CompileOptions | null {
  if (!opts) return null;
  const losses = Array.isArray(opts.loss) ? opts.loss : [opts.loss];
  if (losses.some((l) => l !== undefined && typeof l !== 'string')) return null;
  return JSON.parse(JSON.stringify(opts)) as CompileOptions;
}

/** Options of `model.save`. */
export interface SaveOptions {
  /**
   * Write only what scoring needs (for serving, e.g. to a browser): no optimizer state, no compile options,
   * embedding tables without their per-row optimizer slots (a third of an Adam table). The model loads
   * uncompiled; compile it again to continue training (optimizer state then starts fresh).
   */
  weightsOnly?: boolean;
}

/** Only the weight columns of each row (drops interleaved optimizer slots). */
function weightColumns(data: Float32Array, rows: number, dim: number, stride: number): Float32Array {
  if (stride === dim) return data;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * stride, r * stride + dim), r * dim);
  return out;
}

/** Write a model's manifest, dense weights, optimizer state and embedding tables. */
export async function saveModelState(model: BaseModel, store: ModelStore, opts: SaveOptions = {}): Promise<void> {
  const weightsOnly = opts.weightsOnly ?? false;
  const internals = model.internals();
  const params = model.namedParams();
  const dense = await packTensors(params.map(([name, p]) => ({ name, tensor: p.variable })));
  await store.writeBytes('dense.bin', dense.bytes);
  let optimizer: ModelManifest['optimizer'] = null;
  if (internals.compiled && !weightsOnly) {
    const weights = await internals.compiled.dense.getWeights();
    const packed = await packTensors(weights.map((w) => ({ name: w.name, tensor: w.tensor })));
    await store.writeBytes('optimizer.bin', packed.bytes);
    optimizer = { file: 'optimizer.bin', checksum: checksum(packed.bytes), entries: packed.entries };
  }
  const tables: TableEntry[] = [];
  for (const table of model.embeddings.tables.values()) {
    const file = `${tableFile(table.name)}.bin`;
    const initFile = `${tableFile(table.name)}.init`;
    // weights-only tables are saved as plain SGD tables (stride = dim), which the loader already understands
    // weights-only files hold weights as read: rows under catch-up Adam first replay the steps they missed
    if (weightsOnly) table.syncAll();
    const bytes = floatBytes(weightsOnly ? weightColumns(table.data, table.rows, table.dim, table.stride) : table.data);
    await store.writeBytes(file, bytes);
    await store.writeBytes(initFile, table.initialized);
    tables.push({
      name: table.name,
      rows: table.rows,
      dim: table.dim,
      stride: weightsOnly ? table.dim : table.stride,
      step: weightsOnly ? 0 : table.step,
      optimizer: weightsOnly ? { kind: 'sgd', lr: 0 } : table.optimizerConfig,
      file,
      checksum: checksum(bytes),
      initFile,
      initChecksum: checksum(table.initialized),
    });
  }
  const manifest: ModelManifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    modelName: model.modelName(),
    config: model.configForSave(),
    globalStep: internals.globalStep,
    trainRng: internals.trainRngState.getState(),
    compile: weightsOnly ? null : serializableCompile(internals.compiled?.options),
    schedule: weightsOnly ? undefined : internals.compiled?.controls.schedule?.getState(),
    dense: { file: 'dense.bin', checksum: checksum(dense.bytes), entries: dense.entries },
    optimizer,
    tables,
  };
  await store.writeJson('manifest.json', manifest);
}

async function readChecked(store: ModelStore, file: string, expected: string): Promise<Uint8Array> {
  const bytes = await store.readBytes(file);
  const got = checksum(bytes);
  if (got !== expected) throw new Error(`${store.describe(file)} is corrupted (checksum ${got}, manifest says ${expected})`);
  return bytes;
}

function unpack(floats: Float32Array, e: TensorEntry): tf.Tensor {
  const size = e.shape.reduce((a, b) => a * b, 1);
  return tf.tensor(floats.subarray(e.offset, e.offset + size), e.shape, 'float32');
}

/** Rebuild a model from a store. `expectedName` (when calling e.g. DeepFM.load) must match the saved class. */
export async function restoreModelState(store: ModelStore, expectedName: string | null): Promise<BaseModel> {
  const manifest = await store.readJson<ModelManifest>('manifest.json');
  if (manifest.format !== FORMAT) throw new Error(`${store.describe('manifest.json')} is not a nextrec-ts model (format '${manifest.format}')`);
  if (manifest.formatVersion > FORMAT_VERSION) throw new Error(`model format version ${manifest.formatVersion} is newer than this library supports (${FORMAT_VERSION})`);
  if (expectedName && manifest.modelName !== expectedName) throw new Error(`saved model is a ${manifest.modelName}, not a ${expectedName}`);
  const Cls: ModelClass = models.resolve(manifest.modelName);
  const model = new Cls({ ...(Cls.legacyConfigDefaults ?? {}), ...(decodeConfig(manifest.config) as object) });
  if (manifest.compile) model.compile(manifest.compile);

  const denseFloats = bytesToFloats(await readChecked(store, manifest.dense.file, manifest.dense.checksum));
  const params = new Map(model.namedParams());
  if (params.size !== manifest.dense.entries.length) throw new Error(`saved model has ${manifest.dense.entries.length} dense tensors, the rebuilt ${manifest.modelName} has ${params.size}`);
  for (const e of manifest.dense.entries) {
    const p = params.get(e.name);
    if (!p) throw new Error(`saved tensor '${e.name}' does not exist in the rebuilt ${manifest.modelName}`);
    if (p.variable.shape.join(',') !== e.shape.join(',')) throw new Error(`saved tensor '${e.name}' has shape [${e.shape}], model expects [${p.variable.shape}]`);
    const t = unpack(denseFloats, e);
    p.variable.assign(t);
    t.dispose();
  }

  for (const e of manifest.tables) {
    const table = model.embeddings.tables.get(e.name);
    if (!table) throw new Error(`saved table '${e.name}' does not exist in the rebuilt ${manifest.modelName}`);
    if (table.rows !== e.rows || table.dim !== e.dim) throw new Error(`saved table '${e.name}' is ${e.rows}x${e.dim}, model expects ${table.rows}x${table.dim}`);
    table.setOptimizer(e.optimizer);
    if (table.stride !== e.stride) throw new Error(`table file ${store.describe(e.file)} has ${e.stride} floats per row, the ${e.optimizer.kind} optimizer uses ${table.stride}`);
    // read straight into the table's own buffer, in chunks: no 2 GiB single-read limit and no second copy
    const data = table.data;
    await readFileInto(store, e.file, floatBytes(data));
    const got = checksum(floatBytes(data));
    if (got !== e.checksum) throw new Error(`${store.describe(e.file)} is corrupted (checksum ${got}, manifest says ${e.checksum})`);
    table.initialized = (await readChecked(store, e.initFile, e.initChecksum)).slice();
    table.step = e.step;
  }

  const internals = model.internals();
  if (manifest.optimizer && internals.compiled) {
    const floats = bytesToFloats(await readChecked(store, manifest.optimizer.file, manifest.optimizer.checksum));
    await internals.compiled.dense.setWeights(manifest.optimizer.entries.map((e) => ({ name: e.name, tensor: unpack(floats, e) })));
  }
  if (manifest.schedule && internals.compiled?.controls.schedule) internals.compiled.controls.schedule.setState(manifest.schedule);
  internals.setGlobalStep(manifest.globalStep);
  if (manifest.trainRng) internals.trainRngState.setState(manifest.trainRng);
  return model;
}

/** In-memory copy of all weights (dense and tables), for restoring the best epoch. */
export interface ModelSnapshot {
  dense: Map<string, Float32Array>;
  tables: Map<string, { data: Float32Array; initialized: Uint8Array; step: number }>;
}

export function snapshotState(model: BaseModel): ModelSnapshot {
  const dense = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParams()) dense.set(name, p.variable.dataSync<'float32'>().slice());
  const tables = new Map<string, { data: Float32Array; initialized: Uint8Array; step: number }>();
  for (const t of model.embeddings.tables.values()) tables.set(t.name, { data: t.data.slice(), initialized: t.initialized.slice(), step: t.step });
  return { dense, tables };
}

export function restoreSnapshot(model: BaseModel, snap: ModelSnapshot): void {
  for (const [name, p] of model.namedParams()) {
    const values = snap.dense.get(name);
    if (values) {
      const t = tf.tensor(values, p.variable.shape, 'float32');
      p.variable.assign(t);
      t.dispose();
    }
  }
  for (const t of model.embeddings.tables.values()) {
    const s = snap.tables.get(t.name);
    if (s && s.data.length === t.data.length) {
      t.data = s.data;
      t.initialized = s.initialized;
      t.step = s.step;
    }
  }
}
