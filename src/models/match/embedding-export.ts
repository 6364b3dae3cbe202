import { bytesToFloats, checksum, floatBytes, ModelStore } from '../../basic/store';

/** Similarity between a user vector and an item vector (before dividing by the temperature). */
export type Similarity = 'dot' | 'cosine';

/** User or item vectors as host arrays. */
export interface EmbeddingMatrix {
  /** Row-major values, shape `shape`. */
  values: Float32Array;
  /** [N, D], or [N, K, D] for multi-interest users. */
  shape: number[];
  /** [N, K] interest mask for multi-interest users. */
  interestMask?: Float32Array;
  /** Item ids of the rows (item exports). */
  ids?: Int32Array;
}

/** JSON manifest written by the embedding exports. */
export interface EmbeddingExportManifest {
  format: 'nextrec-ts-embeddings';
  formatVersion: 1;
  modelName: string;
  kind: 'item' | 'user';
  similarity: Similarity;
  temperature: number;
  /** Whether vectors are already L2-normalised (cosine models), so a plain dot product ranks correctly. */
  normalized: boolean;
  shape: number[];
  values: { file: string; dtype: 'float32'; checksum: string };
  ids?: { file: string; dtype: 'int32'; checksum: string };
  interestMask?: { file: string; dtype: 'float32'; checksum: string };
}

const EXPORT_FORMAT = 'nextrec-ts-embeddings';

/** Scoring settings recorded in the manifest so a serving system can rank like the model. */
export interface ExportScoring {
  modelName: string;
  similarity: Similarity;
  temperature: number;
}

/** Write `m` under `name`: `${name}.bin` (+ `.ids.bin`, `.mask.bin`) and the manifest `${name}.json`. */
export async function writeEmbeddings(store: ModelStore, name: string, kind: 'item' | 'user', m: EmbeddingMatrix, scoring: ExportScoring): Promise<EmbeddingExportManifest> {
  const values = floatBytes(m.values);
  await store.writeBytes(`${name}.bin`, values);
  const manifest: EmbeddingExportManifest = {
    format: EXPORT_FORMAT,
    formatVersion: 1,
    modelName: scoring.modelName,
    kind,
    similarity: scoring.similarity,
    temperature: scoring.temperature,
    normalized: scoring.similarity === 'cosine',
    shape: m.shape,
    values: { file: `${name}.bin`, dtype: 'float32', checksum: checksum(values) },
  };
  if (m.ids) {
    const bytes = new Uint8Array(m.ids.buffer, m.ids.byteOffset, m.ids.byteLength);
    await store.writeBytes(`${name}.ids.bin`, bytes);
    manifest.ids = { file: `${name}.ids.bin`, dtype: 'int32', checksum: checksum(bytes) };
  }
  if (m.interestMask) {
    const bytes = floatBytes(m.interestMask);
    await store.writeBytes(`${name}.mask.bin`, bytes);
    manifest.interestMask = { file: `${name}.mask.bin`, dtype: 'float32', checksum: checksum(bytes) };
  }
  await store.writeJson(`${name}.json`, manifest);
  return manifest;
}

/** Read an export written by writeEmbeddings, verifying checksums. */
export async function readEmbeddingsFrom(store: ModelStore, name: string): Promise<{ manifest: EmbeddingExportManifest } & EmbeddingMatrix> {
  const manifest = await store.readJson<EmbeddingExportManifest>(`${name}.json`);
  if (manifest.format !== EXPORT_FORMAT) throw new Error(`${store.describe(`${name}.json`)} is not an embedding export (format '${manifest.format}')`);
  const read = async (e: { file: string; checksum: string }) => {
    const bytes = await store.readBytes(e.file);
    const got = checksum(bytes);
    if (got !== e.checksum) throw new Error(`${store.describe(e.file)} is corrupted (checksum ${got}, manifest says ${e.checksum})`);
    return bytesToFloats(bytes);
  };
  const values = await read(manifest.values);
  const ids = manifest.ids ? new Int32Array((await read(manifest.ids)).buffer) : undefined;
  const interestMask = manifest.interestMask ? await read(manifest.interestMask) : undefined;
  return { manifest, values, shape: manifest.shape, ids, interestMask };
}
