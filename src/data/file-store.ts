import { promises as fs, constants as fsConstants } from 'fs';
import * as path from 'path';
import { ModelStore } from '../basic/store';

/** Options of a {@link FileStore}. */
export interface FileStoreOptions {
  /**
   * Bytes read per call when loading large files in chunks (default 64 MiB). Node cannot read a file over 2 GiB
   * into one buffer; chunks also let a table be filled in place instead of through a second copy.
   */
  chunkBytes?: number;
}

const DEFAULT_CHUNK = 64 * 1024 * 1024;
const STAGING_PREFIX = '.saving-';
const COMMIT_SUFFIX = '.commit';

/**
 * Saves model files under a directory on the local file system (Node only).
 *
 * Saves are atomic as a whole ({@link atomically}): files are staged in a hidden folder inside the directory,
 * then a commit record (one atomic rename) marks the set complete, and only after that are the staged files
 * renamed over the old ones. A process killed before the commit record leaves the old files untouched (the
 * stale staging folder is removed on next use); killed after it, the next use of the directory finishes the
 * renames. Either way the directory reads as the old save or the new one, never a mix.
 */
export class FileStore implements ModelStore {
  readonly root: string;
  private readonly chunkBytes: number;
  private recovered: Promise<void> | null = null;

  constructor(root: string, options: FileStoreOptions = {}) {
    if (typeof root !== 'string' || root.trim() === '') {
      throw new Error(`model directory must be a non-empty path (got ${JSON.stringify(root)}); pass e.g. './my-model'`);
    }
    this.root = root;
    const chunk = options.chunkBytes ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`FileStore chunkBytes must be a positive integer (got ${options.chunkBytes})`);
    this.chunkBytes = chunk;
  }

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
    await this.recover();
    await writeFileAtomic(this.root, this.resolve(p), bytes, this.chunkBytes);
  }

  async readBytes(p: string): Promise<Uint8Array> {
    await this.recover();
    const full = this.resolve(p);
    const size = await this.sizeOf(p, full);
    if (size > 0x7fffffff) {
      throw new Error(`${full} is ${size} bytes, too large to read into one buffer; it belongs in a table loaded with readInto`);
    }
    const out = new Uint8Array(size);
    await this.readChunks(full, out);
    return out;
  }

  /** Size of a stored file in bytes. */
  async size(p: string): Promise<number> {
    await this.recover();
    return this.sizeOf(p, this.resolve(p));
  }

  /** Read a file in chunks straight into `target` (which must have exactly the file's size). */
  async readInto(p: string, target: Uint8Array): Promise<void> {
    await this.recover();
    const full = this.resolve(p);
    const size = await this.sizeOf(p, full);
    if (size !== target.byteLength) throw new Error(`${full} has ${size} bytes, expected ${target.byteLength}`);
    await this.readChunks(full, target);
  }

  describe(p: string): string {
    return this.resolve(p);
  }

  /**
   * Run `write` against a staging store and publish everything it wrote at once. Nested calls (a model saved
   * inside a CLI run's transaction) join the outer transaction.
   */
  async atomically<T>(write: (store: ModelStore) => Promise<T>): Promise<T> {
    await this.recover();
    await ensureDirectory(this.root);
    const id = `${STAGING_PREFIX}${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const stagingDir = path.join(this.root, id);
    const staged: string[] = [];
    const staging = new StagingStore(this, stagingDir, staged, this.chunkBytes);
    let result: T;
    try {
      result = await write(staging);
    } catch (err) {
      await fs.rm(stagingDir, { recursive: true, force: true });
      throw err;
    }
    await fs.mkdir(stagingDir, { recursive: true });
    // commit point: once this record exists, the new files win; before it, the old ones are untouched
    await writeFileAtomic(this.root, path.join(this.root, id + COMMIT_SUFFIX), new TextEncoder().encode(JSON.stringify({ files: staged })), this.chunkBytes);
    await syncDirectory(this.root);
    await rollForward(this.root, id);
    return result;
  }

  /** Finish or discard saves that a killed process left behind (once per store). */
  private recover(): Promise<void> {
    if (!this.recovered) this.recovered = recoverDirectory(this.root);
    return this.recovered;
  }

  private async sizeOf(p: string, full: string): Promise<number> {
    try {
      const st = await fs.stat(full);
      if (!st.isFile()) throw new Error(`model file ${full} is not a regular file`);
      return st.size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`model file not found: ${this.describe(p)}`);
      if (code) throw new Error(`cannot read model file ${full}: ${(err as Error).message}`);
      throw err;
    }
  }

  private async readChunks(full: string, target: Uint8Array): Promise<void> {
    const handle = await fs.open(full, 'r');
    try {
      let pos = 0;
      while (pos < target.byteLength) {
        const len = Math.min(this.chunkBytes, target.byteLength - pos);
        const { bytesRead } = await handle.read(target, pos, len, pos);
        if (bytesRead === 0) throw new Error(`${full} ended after ${pos} of ${target.byteLength} bytes (file truncated while reading?)`);
        pos += bytesRead;
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code) throw new Error(`cannot read model file ${full}: ${e.message}`);
      throw err;
    } finally {
      await handle.close();
    }
  }
}

/** The store handed to a transaction's writer: files go to the staging folder, reads see the published files. */
class StagingStore implements ModelStore {
  constructor(
    private readonly published: FileStore,
    private readonly dir: string,
    private readonly staged: string[],
    private readonly chunkBytes: number,
  ) {}

  async writeJson(p: string, value: unknown): Promise<void> {
    await this.writeBytes(p, new TextEncoder().encode(JSON.stringify(value, null, 2)));
  }
  async writeBytes(p: string, bytes: Uint8Array): Promise<void> {
    const normal = path.normalize(p);
    if (path.isAbsolute(normal) || normal.startsWith('..')) throw new Error(`model file name '${p}' must stay inside the model directory`);
    await writeFileAtomic(this.dir, path.join(this.dir, normal), bytes, this.chunkBytes);
    if (!this.staged.includes(normal)) this.staged.push(normal);
  }
  readJson<T>(p: string): Promise<T> {
    return this.published.readJson<T>(p);
  }
  readBytes(p: string): Promise<Uint8Array> {
    return this.published.readBytes(p);
  }
  describe(p: string): string {
    return this.published.describe(p);
  }
  async atomically<T>(write: (store: ModelStore) => Promise<T>): Promise<T> {
    return write(this);
  }
}

/** Create `dir` and its parents one level at a time; clear errors instead of mkdir -p's loops on special file systems. */
async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    try {
      const st = await fs.stat(cur);
      if (!st.isDirectory()) throw new Error(`cannot save to ${dir}: ${cur} exists and is not a directory`);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        if (code) throw new Error(`cannot save to ${dir}: ${(err as Error).message}`);
        throw err;
      }
      missing.push(cur);
      const parent = path.dirname(cur);
      if (parent === cur) break;
      cur = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new Error(`cannot save to ${dir}: creating ${d} failed (${code ?? (err as Error).message})`);
    }
  }
  try {
    await fs.access(path.resolve(dir), fsConstants.W_OK);
  } catch {
    throw new Error(`cannot save to ${dir}: the directory is not writable`);
  }
}

/** Write under a temporary name, flush to disk, then rename: the final name never holds a half-written file. */
async function writeFileAtomic(root: string, full: string, bytes: Uint8Array, chunkBytes: number): Promise<void> {
  await ensureDirectory(path.dirname(full));
  const tmp = `${full}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(tmp, 'w');
    let pos = 0;
    while (pos < bytes.byteLength) {
      const len = Math.min(chunkBytes, bytes.byteLength - pos);
      const { bytesWritten } = await handle.write(bytes, pos, len, pos);
      pos += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(tmp, full);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code) throw new Error(`cannot save to ${root}: writing ${full} failed (${e.message})`);
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // directory fsync makes the renames durable across power loss; some platforms refuse it, which is harmless
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* not supported here */
  }
}

/** Move a committed transaction's staged files over the published ones, then drop its record. Idempotent. */
async function rollForward(root: string, id: string): Promise<void> {
  const record = path.join(root, id + COMMIT_SUFFIX);
  const { files } = JSON.parse(await fs.readFile(record, 'utf8')) as { files: string[] };
  const stagingDir = path.join(root, id);
  for (const f of files) {
    const from = path.join(stagingDir, f);
    const to = path.join(root, f);
    try {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    } catch (err) {
      // already moved by an earlier, interrupted roll-forward
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await syncDirectory(root);
  await fs.rm(record, { force: true });
  await fs.rm(stagingDir, { recursive: true, force: true });
}

/** Complete committed transactions and delete uncommitted staging folders left by killed processes. */
async function recoverDirectory(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch {
    return; // missing or unreadable: the read or write that follows reports it
  }
  const committed = new Set(entries.filter((e) => e.startsWith(STAGING_PREFIX) && e.endsWith(COMMIT_SUFFIX)).map((e) => e.slice(0, -COMMIT_SUFFIX.length)));
  for (const id of [...committed].sort()) {
    try {
      await rollForward(root, id);
    } catch (err) {
      throw new Error(`${root} holds an interrupted save that could not be completed: ${(err as Error).message}`);
    }
  }
  for (const e of entries) {
    if (!e.startsWith(STAGING_PREFIX) || e.endsWith(COMMIT_SUFFIX) || committed.has(e)) continue;
    if (isLiveProcess(e)) continue; // another process is saving right now
    await fs.rm(path.join(root, e), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isLiveProcess(stagingName: string): boolean {
  const pid = Number(stagingName.slice(STAGING_PREFIX.length).split('-')[0]);
  if (pid === process.pid) return true; // a save in flight in this very process
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
