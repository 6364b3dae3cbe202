import { checksum, ModelStore, writeAtomically } from '../../basic/store';
import { resolveStore } from '../../basic/model/node-adapters';

/**
 * Semantic ids: every item is a tuple of codes (c_1, ..., c_P), code c_p in 0..codebookSizes[p]-1, with no two
 * items sharing a tuple. Row r of `codes` belongs to item id r + 1 (ids 1..numItems, as the item-history
 * feature's table; 0 stays padding).
 */
export interface SemanticIds {
  /** Row-major [numItems x positions] codes; row r is item r + 1. */
  codes: Int32Array;
  numItems: number;
  /** Codes per position (the last position is the deduplicating suffix when built by `withDedupSuffix`). */
  codebookSizes: number[];
}

/** Number of code positions of a semantic id table. */
export function positionsOf(ids: SemanticIds): number {
  return ids.codebookSizes.length;
}

/** Throws unless `ids` is a well-formed table of unique tuples (names the first offending item). */
export function checkSemanticIds(ids: SemanticIds, owner = 'semantic ids'): void {
  const P = ids.codebookSizes.length;
  if (P < 1 || !ids.codebookSizes.every((k) => Number.isInteger(k) && k >= 1)) throw new Error(`${owner}: codebookSizes must be positive integers (got [${ids.codebookSizes}])`);
  if (!Number.isInteger(ids.numItems) || ids.numItems < 1) throw new Error(`${owner}: numItems must be a positive integer (got ${ids.numItems})`);
  if (ids.codes.length !== ids.numItems * P) throw new Error(`${owner}: codes has ${ids.codes.length} entries, expected numItems x positions = ${ids.numItems} x ${P}`);
  const seen = new Map<string, number>();
  for (let r = 0; r < ids.numItems; r++) {
    const tuple = ids.codes.subarray(r * P, (r + 1) * P);
    tuple.forEach((c, p) => {
      if (!Number.isInteger(c) || c < 0 || c >= ids.codebookSizes[p]) throw new Error(`${owner}: item ${r + 1} has code ${c} at position ${p}, outside 0..${ids.codebookSizes[p] - 1}`);
    });
    const key = tuple.join(',');
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`${owner}: items ${other} and ${r + 1} share the tuple (${key}); add a deduplicating code (withDedupSuffix)`);
    seen.set(key, r + 1);
  }
}

/**
 * Append one code position that tells apart items whose tuples collide: the k-th item (in id order) with a given
 * tuple gets suffix k, so every item's tuple becomes unique (TIGER, Rajput et al., 2023, section 3.1). The suffix
 * position has as many codes as the largest collision group.
 */
export function withDedupSuffix(codes: Int32Array, numItems: number, codebookSizes: number[]): SemanticIds {
  const L = codebookSizes.length;
  const counts = new Map<string, number>();
  const suffix = new Int32Array(numItems);
  let largest = 1;
  for (let r = 0; r < numItems; r++) {
    const key = codes.subarray(r * L, (r + 1) * L).join(',');
    const k = counts.get(key) ?? 0;
    suffix[r] = k;
    counts.set(key, k + 1);
    largest = Math.max(largest, k + 1);
  }
  const out = new Int32Array(numItems * (L + 1));
  for (let r = 0; r < numItems; r++) {
    out.set(codes.subarray(r * L, (r + 1) * L), r * (L + 1));
    out[r * (L + 1) + L] = suffix[r];
  }
  return { codes: out, numItems, codebookSizes: [...codebookSizes, largest] };
}

/** A node of the prefix trie: valid next codes, and at the last position the item id. */
export interface TrieNode {
  children: Map<number, TrieNode>;
  /** Item id at a leaf (depth = positions), else 0. */
  item: number;
}

/** Prefix trie of the valid tuples: constrained decoding expands only a node's children, so every result is an item. */
export class PrefixTrie {
  readonly root: TrieNode = { children: new Map(), item: 0 };
  readonly positions: number;

  constructor(ids: SemanticIds) {
    const P = ids.codebookSizes.length;
    this.positions = P;
    for (let r = 0; r < ids.numItems; r++) {
      let node = this.root;
      for (let p = 0; p < P; p++) {
        const c = ids.codes[r * P + p];
        let next = node.children.get(c);
        if (!next) {
          next = { children: new Map(), item: 0 };
          node.children.set(c, next);
        }
        node = next;
      }
      node.item = r + 1;
    }
  }

  /** The node reached by a prefix of codes, or null when the prefix is not valid. */
  find(prefix: ArrayLike<number>): TrieNode | null {
    let node: TrieNode | undefined = this.root;
    for (let i = 0; i < prefix.length && node; i++) node = node.children.get(prefix[i]);
    return node ?? null;
  }
}

/** Usage statistics of one code position over a set of items. */
export interface CodeUsage {
  /** Fraction of the position's codes used by at least one item. */
  used: number;
  /** exp(entropy) of the code distribution: the effective number of codes (at most the codebook size). */
  perplexity: number;
}

/** Per-position codebook usage and perplexity of a code table [n x positions]. */
export function codeUsage(codes: Int32Array, n: number, codebookSizes: number[]): CodeUsage[] {
  const P = codebookSizes.length;
  return codebookSizes.map((K, p) => {
    const counts = new Float64Array(K);
    for (let r = 0; r < n; r++) counts[codes[r * P + p]]++;
    let used = 0;
    let entropy = 0;
    for (const c of counts) {
      if (c === 0) continue;
      used++;
      const q = c / n;
      entropy -= q * Math.log(q);
    }
    return { used: used / K, perplexity: Math.exp(entropy) };
  });
}

interface SemanticIdsFile {
  format: 'nextrec-ts-semantic-ids';
  numItems: number;
  codebookSizes: number[];
  file: string;
  checksum: string;
}

/** Save a semantic id table (`${name}.json` and `${name}.bin`, one atomic write). */
export async function saveSemanticIds(target: string | ModelStore, ids: SemanticIds, name = 'semantic_ids'): Promise<void> {
  checkSemanticIds(ids);
  const bytes = new Uint8Array(Int32Array.from(ids.codes).buffer);
  const manifest: SemanticIdsFile = { format: 'nextrec-ts-semantic-ids', numItems: ids.numItems, codebookSizes: ids.codebookSizes, file: `${name}.bin`, checksum: checksum(bytes) };
  await writeAtomically(await resolveStore(target), async (s) => {
    await s.writeBytes(manifest.file, bytes);
    await s.writeJson(`${name}.json`, manifest);
  });
}

/** Load a table written by {@link saveSemanticIds}, verifying its checksum. */
export async function loadSemanticIds(source: string | ModelStore, name = 'semantic_ids'): Promise<SemanticIds> {
  const store = await resolveStore(source);
  const m = await store.readJson<SemanticIdsFile>(`${name}.json`);
  if (m.format !== 'nextrec-ts-semantic-ids') throw new Error(`${store.describe(`${name}.json`)} is not a semantic id table (format '${m.format}')`);
  const bytes = await store.readBytes(m.file);
  const got = checksum(bytes);
  if (got !== m.checksum) throw new Error(`${store.describe(m.file)} is corrupted (checksum ${got}, manifest says ${m.checksum})`);
  const codes = new Int32Array(bytes.byteLength / 4);
  new Uint8Array(codes.buffer).set(bytes);
  const ids = { codes, numItems: m.numItems, codebookSizes: m.codebookSizes };
  checkSemanticIds(ids, store.describe(`${name}.json`));
  return ids;
}
