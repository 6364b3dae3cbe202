import { ModelStore } from './store';

/** Options of {@link FetchStore}. */
export interface FetchStoreOptions {
  /** The fetch implementation (default the global `fetch`); pass one to add headers, credentials or caching. */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** Extra options for every request (headers, credentials, cache mode). */
  init?: RequestInit;
}

/**
 * Reads a saved model over HTTP(S): `await DeepFM.load(new FetchStore('https://cdn.example.com/models/deepfm/'))`.
 * Serve the directory written by `model.save(dir)` (ideally `model.save(dir, { weightsOnly: true })`) as static
 * files. Read-only: saving needs a writable store (the Node file store, MemoryStore or your own ModelStore).
 *
 * File names inside a saved model may contain '%' (table names are percent-encoded on disk), so every path
 * segment is URL-encoded here: a static server decodes the URL back to the literal file name.
 */
export class FetchStore implements ModelStore {
  private readonly base: string;
  private readonly fetchFn: (url: string, init?: RequestInit) => Promise<Response>;

  constructor(baseUrl: string, private readonly opts: FetchStoreOptions = {}) {
    if (typeof baseUrl !== 'string' || baseUrl.length === 0) throw new Error(`FetchStore: baseUrl must be a non-empty URL string (got ${String(baseUrl)})`);
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    if (!opts.fetch && typeof fetch !== 'function') throw new Error('FetchStore: no global fetch in this runtime; pass { fetch } (e.g. from undici or node-fetch)');
    // browsers refuse a detached `fetch` ("Illegal invocation"): always call it as a global function
    this.fetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
  }

  /** The URL a model file is fetched from. */
  url(path: string): string {
    return this.base + path.split('/').map(encodeURIComponent).join('/');
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const url = this.url(path);
    let res: Response;
    try {
      res = await this.fetchFn(url, this.opts.init);
    } catch (err) {
      throw new Error(`model file could not be fetched: ${url} (${(err as Error).message})`);
    }
    if (!res.ok) {
      throw new Error(
        res.status === 404
          ? `model file not found: ${url} (HTTP 404); is the saved model directory served at ${this.base}?`
          : `model file could not be fetched: ${url} (HTTP ${res.status} ${res.statusText})`,
      );
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  async readJson<T = unknown>(path: string): Promise<T> {
    const text = new TextDecoder().decode(await this.readBytes(path));
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${this.url(path)} is not valid JSON: ${(err as Error).message}`);
    }
  }

  async writeBytes(path: string): Promise<void> {
    throw new Error(`FetchStore is read-only: cannot write ${this.url(path)}; save with the file store (Node) or a MemoryStore`);
  }

  async writeJson(path: string): Promise<void> {
    await this.writeBytes(path);
  }

  describe(path: string): string {
    return this.url(path);
  }
}
