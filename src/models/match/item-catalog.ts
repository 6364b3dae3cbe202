import { ColumnarInput, Dataset } from '../../basic/dataset/dataset';
import { Feature, SparseFeature } from '../../basic/features';
import { bytesToFloats, checksum, ModelStore } from '../../basic/store';

/** The items a model can recommend: raw ids plus, for towers with more than the id, their feature columns. */
export interface ItemCatalog {
  ids: Int32Array;
  /** Bound item feature columns, row = catalogue position; null when the tower reads only the id. */
  data: Dataset | null;
  position: (id: number) => number;
  /** Changes whenever the catalogue is replaced (cached item vectors and indexes key on it). */
  version: number;
}

/** A catalogue from item feature columns, one row per item; ids must be unique. */
export function catalogFromColumns(items: ColumnarInput | Dataset, itemFeatures: Feature[], idFeature: SparseFeature, version: number): ItemCatalog {
  const data = Dataset.bind(items, itemFeatures);
  const ids = Int32Array.from(data.column(idFeature.name).data as Int32Array);
  const pos = new Map<number, number>();
  ids.forEach((id, i) => {
    if (pos.has(id)) throw new Error(`setItemCatalog: item id ${id} appears twice (rows ${pos.get(id)} and ${i})`);
    pos.set(id, i);
  });
  return { ids, data, position: (id) => pos.get(id) ?? -1, version };
}

/** Ids 1..vocabSize-1 of the id feature, when the item tower reads only an unhashed id; otherwise null. */
export function defaultCatalog(idFeature: SparseFeature, idOnly: boolean): ItemCatalog | null {
  if (!idOnly || idFeature.hashing) return null;
  const V = idFeature.vocabSize;
  const ids = Int32Array.from({ length: V - 1 }, (_, i) => i + 1);
  return { ids, data: null, position: (id) => (id >= 1 && id < V ? id - 1 : -1), version: 0 };
}

interface CatalogManifest {
  numRows: number;
  columns: Array<{ name: string; kind: 'int' | 'float'; width: number; file: string; checksum: string }>;
}

/** Write the catalogue's item feature columns (`catalog/<feature>.bin` and `catalog.json`). */
export async function saveCatalog(store: ModelStore, catalog: ItemCatalog, itemFeatures: Feature[]): Promise<void> {
  if (!catalog.data) return;
  const columns: CatalogManifest['columns'] = [];
  for (const f of itemFeatures) {
    const col = catalog.data.column(f.name);
    const bytes = new Uint8Array(col.data.buffer, col.data.byteOffset, col.data.byteLength);
    const file = `catalog/${encodeURIComponent(f.name)}.bin`;
    await store.writeBytes(file, bytes);
    columns.push({ name: f.name, kind: col.kind, width: col.width, file, checksum: checksum(bytes) });
  }
  await store.writeJson('catalog.json', { numRows: catalog.ids.length, columns } satisfies CatalogManifest);
}

/** The saved catalogue columns, or null when the model was saved without one; checksums are verified. */
export async function loadCatalogColumns(store: ModelStore): Promise<ColumnarInput | null> {
  let meta: CatalogManifest | null = null;
  try {
    meta = await store.readJson<CatalogManifest>('catalog.json');
  } catch {
    return null;
  }
  const cols: ColumnarInput = {};
  for (const c of meta.columns) {
    const bytes = await store.readBytes(c.file);
    const got = checksum(bytes);
    if (got !== c.checksum) throw new Error(`${store.describe(c.file)} is corrupted (checksum ${got}, manifest says ${c.checksum})`);
    const floats = bytesToFloats(bytes);
    cols[c.name] = c.kind === 'int' ? new Int32Array(floats.buffer) : floats;
  }
  return cols;
}
