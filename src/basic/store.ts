/**
 * Where a saved model lives. The core only talks to this interface so that the same model code can save and
 * load in Node (files), in a browser (IndexedDB, fetch) or in memory; the Node file store is in src/data.
 */
export interface ModelStore {
  writeJson(path: string, value: unknown): Promise<void>;
  readJson<T = unknown>(path: string): Promise<T>;
  writeBytes(path: string, bytes: Uint8Array): Promise<void>;
  readBytes(path: string): Promise<Uint8Array>;
  /** A human-readable location for messages. */
  describe(path: string): string;
  /**
   * Optional: run `write` so that everything it writes is published at once (a reader, or a process restarted
   * after a crash, sees all of the new files or none of them). Stores without it write file by file.
   */
  atomically?<T>(write: (store: ModelStore) => Promise<T>): Promise<T>;
  /** Optional: read a file in chunks straight into `target` (large embedding tables, no second copy). */
  readInto?(path: string, target: Uint8Array): Promise<void>;
}

/** Run `write` as one transaction where the store supports it, else directly. */
export function writeAtomically<T>(store: ModelStore, write: (store: ModelStore) => Promise<T>): Promise<T> {
  return store.atomically ? store.atomically(write) : write(store);
}

/** Read a file into `target`: in chunks where the store can, else by copying the whole file. */
export async function readFileInto(store: ModelStore, path: string, target: Uint8Array): Promise<void> {
  if (store.readInto) return store.readInto(path, target);
  const bytes = await store.readBytes(path);
  if (bytes.byteLength !== target.byteLength) throw new Error(`${store.describe(path)} has ${bytes.byteLength} bytes, expected ${target.byteLength}`);
  target.set(bytes);
}

/** Keeps files in a Map: for tests, browsers and handing models between workers. */
export class MemoryStore implements ModelStore {
  readonly files = new Map<string, Uint8Array>();

  async writeJson(path: string, value: unknown): Promise<void> {
    this.files.set(path, new TextEncoder().encode(JSON.stringify(value, null, 2)));
  }
  async readJson<T>(path: string): Promise<T> {
    return JSON.parse(new TextDecoder().decode(await this.readBytes(path))) as T;
  }
  async writeBytes(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes.slice());
  }
  async readBytes(path: string): Promise<Uint8Array> {
    const b = this.files.get(path);
    if (!b) throw new Error(`model file '${path}' not found in memory store`);
    return b;
  }
  describe(path: string): string {
    return `memory:${path}`;
  }
}

/** FNV-1a over bytes: detects truncated or corrupted weight files cheaply. */
export function checksum(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** View a float array's bytes without copying. */
export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Copy bytes into a fresh, aligned Float32Array. */
export function bytesToFloats(b: Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new Error(`weight file has ${b.byteLength} bytes, not a multiple of 4`);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
