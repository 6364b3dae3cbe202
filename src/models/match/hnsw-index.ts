import { TopK } from '../../basic/retrieval-metrics';
import { checksum, ModelStore } from '../../basic/store';
import { drainHeaps, IndexHits, IndexQuery, ItemIndex, ItemVectors } from './item-index';

/** Settings of the HNSW graph (usearch). Larger values: better recall, slower build / search. */
export interface HnswOptions {
  /** Neighbours per node (M; default 16). */
  connectivity?: number;
  /** Candidate list while inserting (efConstruction; default 128). */
  expansionAdd?: number;
  /** Candidate list while searching (ef; default 64, recall@10 0.99 on 20k low-rank dim-64 vectors, see benchmarks/ann-index.ts; raised to the number of results asked for when smaller). */
  expansionSearch?: number;
  /** Threads used to build the graph (default 1: a single thread builds the same graph on every run). */
  buildThreads?: number;
}

/** Resolved HNSW settings, saved with the model. */
export interface HnswParams {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  buildThreads: number;
}

/** The parts of the usearch Index this adapter uses. */
interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vectors: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  size(): number;
  save(path: string): void;
  load(path: string): void;
}
type UsearchModule = { Index: new (config: { dimensions: number; metric: string; quantization: string; connectivity: number; expansion_add: number; expansion_search: number; multi: boolean }) => UsearchIndex };

/**
 * usearch is a native (Node) package: it is required here, on first use, so the model core stays loadable in
 * browsers, where only the exact index exists.
 */
function usearch(): UsearchModule {
  let mod: Partial<UsearchModule>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require('usearch') as UsearchModule;
  } catch (e) {
    throw new Error(`index 'hnsw' needs the usearch package (Node only; npm install usearch): ${(e as Error).message}. Use index: 'exact' otherwise.`);
  }
  // browser bundles map usearch to an empty module (package.json "browser" field)
  if (typeof mod.Index !== 'function') throw new Error("index 'hnsw' needs the native usearch package, which exists in Node only; use index: 'exact' in a browser");
  return mod as UsearchModule;
}

export function resolveHnswParams(opts: HnswOptions = {}): HnswParams {
  const p: HnswParams = {
    connectivity: opts.connectivity ?? 16,
    expansionAdd: opts.expansionAdd ?? 128,
    expansionSearch: opts.expansionSearch ?? 64,
    buildThreads: opts.buildThreads ?? 1,
  };
  for (const [key, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`hnsw index: ${key} must be a positive integer (got ${v})`);
  }
  if (p.connectivity < 2) throw new Error(`hnsw index: connectivity must be >= 2 (got ${p.connectivity})`);
  return p;
}

/**
 * Approximate top-K by inner product over an HNSW graph (usearch, metric 'ip': distance = 1 - u.v, so scores are
 * exact for the items it returns; which items come back is approximate). Keys are catalogue positions.
 * Multi-interest users search each active interest and keep each item's best score; excluded items are skipped
 * by asking for k plus the exclusion count.
 */
export class HnswItemIndex implements ItemIndex {
  readonly kind = 'hnsw' as const;
  readonly size: number;
  readonly dim: number;
  private readonly ids: Int32Array;
  private native: UsearchIndex | null;

  private constructor(ids: Int32Array, dim: number, native: UsearchIndex, readonly params: HnswParams) {
    this.ids = ids;
    this.size = ids.length;
    this.dim = dim;
    this.native = native;
  }

  private static create(dim: number, params: HnswParams): UsearchIndex {
    return new (usearch().Index)({
      dimensions: dim,
      metric: 'ip',
      quantization: 'f32',
      connectivity: params.connectivity,
      expansion_add: params.expansionAdd,
      expansion_search: params.expansionSearch,
      multi: false,
    });
  }

  /** Build the graph over the item vectors. */
  static build(items: ItemVectors, opts: HnswOptions = {}): HnswItemIndex {
    const params = resolveHnswParams(opts);
    const native = HnswItemIndex.create(items.dim, params);
    if (items.ids.length) native.add(BigUint64Array.from({ length: items.ids.length }, (_, i) => BigInt(i)), items.matrix, params.buildThreads);
    return new HnswItemIndex(items.ids, items.dim, native, params);
  }

  /** The graph as bytes (usearch's file format), for saving with the model. */
  toBytes(): Uint8Array {
    return viaTempFile((file, fs) => {
      this.requireNative().save(file);
      return new Uint8Array(fs.readFileSync(file));
    });
  }

  /** A graph saved with toBytes, over the same catalogue ids. */
  static fromBytes(bytes: Uint8Array, ids: Int32Array, dim: number, params: HnswParams): HnswItemIndex {
    const native = HnswItemIndex.create(dim, params);
    viaTempFile((file, fs) => {
      fs.writeFileSync(file, bytes);
      native.load(file);
    });
    if (native.size() !== ids.length) throw new Error(`hnsw index: the saved graph holds ${native.size()} items but the catalogue has ${ids.length}`);
    return new HnswItemIndex(ids, dim, native, params);
  }

  search(query: IndexQuery, k: number, exclude: Array<Set<number> | null>, scale: number): IndexHits {
    const native = this.requireNative();
    const b = query.rows;
    const K = query.interests;
    const vectors = query.vectors.dataSync() as Float32Array;
    const mask = query.interestMask ? (query.interestMask.dataSync() as Float32Array) : null;
    const heaps = Array.from({ length: b }, () => new TopK(k));
    const seen = new Set<number>();
    for (let i = 0; i < b; i++) {
      const ex = exclude[i];
      const want = Math.min(this.size, k + (ex ? ex.size : 0));
      if (want === 0) continue;
      seen.clear();
      for (let q = 0; q < K; q++) {
        if (mask && mask[i * K + q] === 0) continue;
        const row = i * K + q;
        const hits = native.search(vectors.subarray(row * this.dim, (row + 1) * this.dim), want, 1);
        for (let j = 0; j < hits.keys.length; j++) {
          const pos = Number(hits.keys[j]);
          if (pos >= this.size) continue; // padding when fewer were found
          const id = this.ids[pos];
          if (ex && ex.has(id)) continue;
          const s = (1 - hits.distances[j]) * scale;
          // another interest may already hold this item; the heap keeps one entry per id, so keep the best
          if (seen.has(id)) {
            if (K === 1) continue;
            replaceIfBetter(heaps[i], id, s);
            continue;
          }
          seen.add(id);
          heaps[i].push(s, id);
        }
      }
    }
    return drainHeaps(heaps, k);
  }

  dispose(): void {
    this.native = null;
  }

  private requireNative(): UsearchIndex {
    if (!this.native) throw new Error('hnsw index: used after dispose()');
    return this.native;
  }
}

/** Re-offer an item with a better score: drain, swap, refill (rare: only when two interests return one item). */
function replaceIfBetter(heap: TopK, id: number, s: number): void {
  const ids = new Int32Array(heap.k);
  const scores = new Float32Array(heap.k);
  const n = heap.drainInto(ids, scores, 0);
  heap.clear();
  let found = false;
  for (let j = 0; j < n; j++) {
    if (ids[j] === id) {
      found = true;
      heap.push(Math.max(s, scores[j]), id);
    } else heap.push(scores[j], ids[j]);
  }
  if (!found) heap.push(s, id);
}

/** `item-index.json`: how the saved graph was built and over which items. */
export interface HnswManifest {
  kind: 'hnsw';
  params: HnswParams;
  size: number;
  dim: number;
  file: string;
  checksum: string;
}

/** Save the graph next to the model weights (`item-index.usearch`, `item-index.json`). */
export async function saveHnsw(store: ModelStore, index: HnswItemIndex): Promise<void> {
  const bytes = index.toBytes();
  const file = 'item-index.usearch';
  await store.writeBytes(file, bytes);
  await store.writeJson('item-index.json', { kind: 'hnsw', params: index.params, size: index.size, dim: index.dim, file, checksum: checksum(bytes) } satisfies HnswManifest);
}

/** The saved index manifest, or null when the model was saved without an HNSW graph. */
export async function readHnswManifest(store: ModelStore): Promise<HnswManifest | null> {
  try {
    return await store.readJson<HnswManifest>('item-index.json');
  } catch {
    return null;
  }
}

/** Load a saved graph over the restored model's item vectors (checksum, size and width verified). */
export async function loadHnsw(store: ModelStore, saved: HnswManifest, items: ItemVectors): Promise<HnswItemIndex> {
  if (saved.size !== items.ids.length || saved.dim !== items.dim) {
    throw new Error(`${store.describe(saved.file)}: the saved HNSW graph covers ${saved.size} items of width ${saved.dim}, but the model's catalogue has ${items.ids.length} of width ${items.dim}`);
  }
  const bytes = await store.readBytes(saved.file);
  const got = checksum(bytes);
  if (got !== saved.checksum) throw new Error(`${store.describe(saved.file)} is corrupted (checksum ${got}, manifest says ${saved.checksum})`);
  return HnswItemIndex.fromBytes(bytes, items.ids, items.dim, saved.params);
}

type Fs = typeof import('fs');

/** usearch saves and loads files only; bytes pass through a private temporary file. */
function viaTempFile<T>(body: (file: string, fs: Fs) => T): T {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fs = require('fs') as Fs;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const os = require('os') as typeof import('os');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const path = require('path') as typeof import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nextrec-hnsw-'));
  try {
    return body(path.join(dir, 'index.usearch'), fs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
