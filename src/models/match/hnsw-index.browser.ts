import type { ModelStore } from '../../basic/store';
import type { ItemIndex } from './item-index';
import type { HnswManifest, HnswOptions, HnswParams } from './hnsw-index';

/*
 * Stands in for the HNSW adapter in browser bundles (package.json "browser" field): usearch is a native Node
 * package, so a browser scores with the exact index. A model saved with an HNSW graph still loads (the graph is an
 * accelerator over the same item vectors, not part of the model), and asking for index 'hnsw' names the way out.
 */
const NODE_ONLY = "index 'hnsw' needs the native usearch package, which exists in Node only; use index: 'exact' in a browser";

export function resolveHnswParams(_opts: HnswOptions = {}): HnswParams {
  throw new Error(NODE_ONLY);
}

export class HnswItemIndex {
  static build(): ItemIndex {
    throw new Error(NODE_ONLY);
  }
}

export async function saveHnsw(): Promise<void> {
  throw new Error(NODE_ONLY);
}

/** In a browser the saved graph is not read: recommend uses the exact index over the same item vectors. */
export async function readHnswManifest(_store: ModelStore): Promise<HnswManifest | null> {
  return null;
}

export async function loadHnsw(): Promise<never> {
  throw new Error(NODE_ONLY);
}
