import { promises as fs } from 'fs';
import * as path from 'path';
import { ModelStore } from '../basic/store';

/** Saves model files under a directory on the local file system (Node only). */
export class FileStore implements ModelStore {
  constructor(readonly root: string) {}

  private resolve(p: string): string {
    return path.join(this.root, p);
  }
  async writeJson(p: string, value: unknown): Promise<void> {
    await this.writeBytes(p, new TextEncoder().encode(JSON.stringify(value, null, 2)));
  }
  async readJson<T>(p: string): Promise<T> {
    const text = new TextDecoder().decode(await this.readBytes(p));
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${this.describe(p)} is not valid JSON: ${(err as Error).message}`);
    }
  }
  async writeBytes(p: string, bytes: Uint8Array): Promise<void> {
    const full = this.resolve(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    // write-then-rename so an interrupted save never leaves a half-written file under the final name
    const tmp = `${full}.tmp-${process.pid}`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, full);
  }
  async readBytes(p: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await fs.readFile(this.resolve(p)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`model file not found: ${this.describe(p)}`);
      throw err;
    }
  }
  describe(p: string): string {
    return this.resolve(p);
  }
}
