/** Save targets that cannot work fail fast with clear errors; tables load in chunks, straight into the table. */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { SparseFeature } from '../src/basic/features';
import { FileStore } from '../src/data/file-store';
import { DataProcessor } from '../src/data/processor';

let tmp: string;
beforeAll(async () => {
  await initBackend({ log: false });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-persist-'));
});
afterAll(async () => {
  await shutdownBackend();
  await fs.rm(tmp, { recursive: true, force: true });
});

function tinyModel(rows = 500): DeepFM {
  const m = new DeepFM({ sparseFeatures: [new SparseFeature({ name: 'item', vocabSize: rows, embeddingDim: 4 })], mlp: { dims: [4] }, seed: 3 });
  m.compile({ optimizer: 'adam' });
  return m;
}

/** Resolve or reject within `ms`, so a hang fails the test instead of the suite. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe('invalid or unwritable save targets', () => {
  it("'' is refused instead of writing into the current folder", async () => {
    const m = tinyModel();
    await expect(within(m.save(''), 5000)).rejects.toThrow(/model directory must be a non-empty path/);
    await expect(within(DeepFM.load(''), 5000)).rejects.toThrow(/non-empty path/);
    m.dispose();
  });

  it("'/proc/x' fails with an error naming the path instead of hanging", async () => {
    const m = tinyModel();
    await expect(within(m.save('/proc/nextrec-x'), 5000)).rejects.toThrow(/cannot save to \/proc\/nextrec-x/);
    m.dispose();
  });

  it('a path through a regular file is refused', async () => {
    const file = path.join(tmp, 'plain.txt');
    await fs.writeFile(file, 'x');
    const m = tinyModel();
    await expect(within(m.save(path.join(file, 'model')), 5000)).rejects.toThrow(/cannot save to .*plain\.txt\/model: .*not a directory/);
    m.dispose();
  });

  it('a read-only directory is refused', async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere; nothing to check
    const dir = path.join(tmp, 'readonly');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o500);
    const m = tinyModel();
    await expect(within(m.save(dir), 5000)).rejects.toThrow(/not writable|EACCES/);
    m.dispose();
  });

  it('the processor refuses an empty path too', async () => {
    const p = new DataProcessor({ sparse: [{ name: 'a' }] });
    await expect(within(p.save(''), 5000)).rejects.toThrow(/non-empty path/);
  });
});

describe('chunked loading', () => {
  it('a table read 7 bytes at a time round-trips exactly', async () => {
    const m = tinyModel(300);
    const table = [...m.embeddings.tables.values()][0];
    for (let i = 0; i < table.data.length; i++) table.data[i] = Math.sin(i);
    table.initialized.fill(1);
    const dir = path.join(tmp, 'chunked');
    await m.save(dir);
    const store = new FileStore(dir, { chunkBytes: 7 });
    const reads: number[] = [];
    const original = (store as unknown as { readChunks: (f: string, t: Uint8Array) => Promise<void> }).readChunks.bind(store);
    (store as unknown as { readChunks: (f: string, t: Uint8Array) => Promise<void> }).readChunks = async (f, t) => {
      reads.push(t.byteLength);
      return original(f, t);
    };
    const back = await DeepFM.load<DeepFM>(store);
    const loaded = [...back.embeddings.tables.values()][0];
    expect(Array.from(loaded.data)).toEqual(Array.from(table.data));
    expect(reads).toContain(table.data.byteLength); // the table went through the chunked reader
    m.dispose();
    back.dispose();
  });

  it('readInto reads in chunks and names a truncated file', async () => {
    const dir = path.join(tmp, 'raw');
    const store = new FileStore(dir, { chunkBytes: 3 });
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    await store.writeBytes('t.bin', bytes);
    const into = new Uint8Array(1000);
    await store.readInto('t.bin', into);
    expect(into).toEqual(bytes);
    await expect(store.readInto('t.bin', new Uint8Array(1200))).rejects.toThrow(/t\.bin has 1000 bytes, expected 1200/);
  });

  it('a table file of the wrong size is reported with its path', async () => {
    const m = tinyModel(300);
    const dir = path.join(tmp, 'short');
    await m.save(dir);
    const tableFile = path.join(dir, 'tables', 'item.bin');
    await fs.truncate(tableFile, 100);
    await expect(DeepFM.load(dir)).rejects.toThrow(new RegExp(`${tableFile.replace(/[/.]/g, '\\$&')} has 100 bytes`));
    m.dispose();
  });
});

describe('save() started from onStep while fit runs', () => {
  it('writes the weights of that step, not a mix with later steps', async () => {
    const rows = { item: Array.from({ length: 512 }, (_, i) => 1 + (i % 299)), label: Array.from({ length: 512 }, (_, i) => i % 2) };
    const dir = path.join(tmp, 'onstep');
    const m = tinyModel(300);
    m.compile({ optimizer: 'adam', lr: 0.01 });
    let pending: Promise<void> | null = null;
    await m.fit(rows, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false, onStep: (s) => void (s.step === 3 && (pending = m.save(dir))) });
    await pending;
    // the same run stopped after 3 steps is the reference
    const ref = tinyModel(300);
    ref.compile({ optimizer: 'adam', lr: 0.01 });
    await ref.fit(rows, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false, maxSteps: 3 });
    const back = await DeepFM.load<DeepFM>(dir);
    expect(back.internals().globalStep).toBe(3);
    const probe = { item: [1, 5, 17, 200, 299] };
    expect(Array.from(await back.predict(probe))).toEqual(Array.from(await ref.predict(probe)));
    for (const x of [m, ref, back]) x.dispose();
  });
});
