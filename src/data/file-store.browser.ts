import { ModelStore } from '../basic/store';

/**
 * Stands in for the Node file store in browser bundles (package.json "browser" field): a directory path has
 * no meaning there, so saving or loading by path fails with the way out instead of pulling in `fs`.
 */
export class FileStore implements ModelStore {
  constructor(readonly root: string) {
    throw new Error(
      `saving or loading a model by directory path ('${root}') needs Node's file system; in a browser pass a store: ` +
        `Model.load(new FetchStore('https://host/path/to/model/')) or a MemoryStore`,
    );
  }
  writeJson(): Promise<void> {
    throw new Error('unreachable');
  }
  readJson<T>(): Promise<T> {
    throw new Error('unreachable');
  }
  writeBytes(): Promise<void> {
    throw new Error('unreachable');
  }
  readBytes(): Promise<Uint8Array> {
    throw new Error('unreachable');
  }
  describe(p: string): string {
    return p;
  }
}
