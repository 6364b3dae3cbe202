import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SparseFeature } from '../src/basic/features';
import { MemoryStore } from '../src/basic/store';
import { BaseModel } from '../src/basic/model/base-model';
import { readEmbeddingFile } from '../src/data/pretrained';
import { FM } from '../src/models/ranking';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const V = 6;
const D = 3;
/** Pretrained vectors for ids 1..5 (row 0 is padding). */
const pretrained = Float32Array.from({ length: V * D }, (_, i) => (i < D ? 0 : 0.1 * (i + 1)));
const n = 400;
const data = {
  item: Int32Array.from({ length: n }, (_, i) => 1 + (i % 5)),
  user: Int32Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 5)),
  label: Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
};

function model(trainable: boolean) {
  const item = new SparseFeature({ name: 'item', vocabSize: V, embeddingDim: D, trainable });
  const user = new SparseFeature({ name: 'user', vocabSize: V, embeddingDim: D });
  const m = new FM({ sparseFeatures: [item, user], seed: 3 });
  m.embeddings.setPretrained('item', pretrained);
  return m;
}

const rows = (m: BaseModel, name: string) => {
  const t = m.embeddings.tables.get(name)!;
  return Float32Array.from({ length: V * D }, (_, i) => t.row(Math.floor(i / D))[i % D]);
};

describe('pretrained and frozen embedding tables', () => {
  it('a pretrained table starts from the given vectors; a frozen one does not move in training and stays frozen after load', async () => {
    const frozen = model(false);
    const tuned = model(true);
    for (const m of [frozen, tuned]) {
      expect(Array.from(rows(m, 'item'))).toEqual(Array.from(pretrained));
      m.compile({ lr: 1e-2 });
      expect(Array.from(rows(m, 'item'))).toEqual(Array.from(pretrained));
    }
    const userBefore = rows(frozen, 'user');
    for (const m of [frozen, tuned]) await m.fit(data, { epochs: 2, batchSize: 64, verbose: 0 });
    expect(Array.from(rows(frozen, 'item'))).toEqual(Array.from(pretrained));
    // the other table and the first-order weights of the frozen feature still train
    expect(Array.from(rows(frozen, 'user'))).not.toEqual(Array.from(userBefore));
    expect(frozen.embeddings.tables.get('item@linear')!.row(1)[0]).not.toBe(0);
    expect(Array.from(rows(tuned, 'item'))).not.toEqual(Array.from(pretrained));

    const store = new MemoryStore();
    await frozen.save(store);
    const loaded = await BaseModel.load(store);
    expect(loaded.embeddings.isFrozen('item')).toBe(true);
    await loaded.fit(data, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(Array.from(rows(loaded, 'item'))).toEqual(Array.from(pretrained));
    [frozen, tuned, loaded].forEach((m) => m.dispose());
  });

  it('reads vectors from text and float32 files, and rejects mismatched sizes with the expected shape', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-pretrained-'));
    const body = pretrained.subarray(D);
    const lines = Array.from({ length: V - 1 }, (_, r) => Array.from(body.subarray(r * D, (r + 1) * D)).join(' ')).join('\n');
    await fs.writeFile(path.join(dir, 'item.txt'), lines + '\n');
    await fs.writeFile(path.join(dir, 'item.f32'), Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const fromText = await readEmbeddingFile(path.join(dir, 'item.txt'), { dim: D });
    const fromBin = await readEmbeddingFile(path.join(dir, 'item.f32'));
    expect(Array.from(fromText)).toEqual(Array.from(body));
    expect(Array.from(fromBin)).toEqual(Array.from(body));
    const m = model(false);
    m.embeddings.setPretrained('item', fromText);
    expect(Array.from(rows(m, 'item'))).toEqual(Array.from(pretrained));
    expect(() => m.embeddings.setPretrained('item', new Float32Array(7))).toThrow(/'item' needs 18 floats \(6 rows x 3\) or 15 \(ids 1..5\), got 7/);
    expect(() => m.embeddings.setPretrained('nope', body)).toThrow(/'nope' is not a sparse or sequence feature/);
    await fs.writeFile(path.join(dir, 'bad.txt'), '1 2 3\n4 5\n');
    await expect(readEmbeddingFile(path.join(dir, 'bad.txt'))).rejects.toThrow(/line 2 has 2 values, expected 3/);
    m.dispose();
    await fs.rm(dir, { recursive: true });
  });
});
