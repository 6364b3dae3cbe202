import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { Rng } from '../src/basic/random';
import { SparseFeature } from '../src/basic/features';
import { ColumnarInput, Dataset } from '../src/basic/dataset/dataset';
import { BatchSource, bufferedBatches } from '../src/basic/dataset/stream';
import { DataProcessor } from '../src/data/processor';
import { syntheticCtrStream } from '../src/data/synthetic/ctr-stream';

const FIXTURE = path.join(__dirname, 'fixtures', 'ctr', 'train.csv');

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const feature = new SparseFeature({ name: 'id', vocabSize: 100_000 });
const bind = (c: unknown) => Dataset.bind(c as ColumnarInput, [feature], [{ name: 'label', type: 'binary' }]);

/** Rows 1..n as chunks of uneven sizes; counts how many chunks were pulled. */
function idStream(n: number, sizes: number[]): { chunks: AsyncIterable<ColumnarInput>; pulled: () => number } {
  let pulled = 0;
  async function* gen() {
    let next = 1;
    for (let c = 0; next <= n; c++) {
      const size = Math.min(sizes[c % sizes.length], n - next + 1);
      pulled++;
      yield { id: Int32Array.from({ length: size }, (_, i) => next + i), label: new Float32Array(size) };
      next += size;
    }
  }
  return { chunks: gen(), pulled: () => pulled };
}

async function collect(n: number, sizes: number[], opts: { batchSize: number; bufferRows: number; seed?: number; dropLast?: boolean }) {
  const s = idStream(n, sizes);
  const batches: number[][] = [];
  for await (const b of bufferedBatches(s.chunks, { ...opts, rng: opts.seed === undefined ? null : new Rng(opts.seed), bind })) {
    const col = b.data.column('id').data;
    batches.push(Array.from(b.indices, (i) => col[i]));
  }
  return batches;
}

describe('bufferedBatches', () => {
  it('visits every row once, keeps batches full but the last, and does not depend on chunk sizes', async () => {
    const a = await collect(1000, [37, 250, 3], { batchSize: 64, bufferRows: 200, seed: 1 });
    const b = await collect(1000, [1000], { batchSize: 64, bufferRows: 200, seed: 1 });
    expect(a).toEqual(b);
    const flat = a.flat();
    expect(flat.length).toBe(1000);
    expect(new Set(flat).size).toBe(1000);
    expect(a.slice(0, -1).every((x) => x.length === 64)).toBe(true);
    expect(a[a.length - 1].length).toBe(1000 % 64);
    // shuffled within windows of 256 rows (200 rounded up to a multiple of 64), never across them
    expect(flat.slice(0, 256).sort((x, y) => x - y)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
    expect(flat.slice(0, 256)).not.toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
    const dropped = await collect(1000, [100], { batchSize: 64, bufferRows: 200, seed: 1, dropLast: true });
    expect(dropped.flat().length).toBe(Math.floor(1000 / 64) * 64);
    // no shuffling keeps stream order; another seed gives another order
    expect((await collect(300, [7], { batchSize: 50, bufferRows: 100 })).flat()).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await collect(1000, [100], { batchSize: 64, bufferRows: 200, seed: 2 })).not.toEqual(a);
  });

  it('pulls chunks lazily: memory holds about one window, not the stream', async () => {
    const s = idStream(100_000, [1000]);
    const it = bufferedBatches(s.chunks, { batchSize: 100, bufferRows: 5000, rng: new Rng(3), bind });
    await it.next();
    expect(s.pulled()).toBe(5);
    for (let i = 0; i < 49; i++) await it.next();
    expect(s.pulled()).toBe(5);
    await it.next();
    expect(s.pulled()).toBe(10);
    await it.return(undefined);
  });
});

describe('BaseModel.fitStream', () => {
  it('trains DeepFM on a generated stream that is never materialised', async () => {
    const stream = syntheticCtrStream({ rows: 30_000, chunkRows: 3000, vocabSizes: [500, 300, 200, 100, 50, 50], denseCount: 3, embeddingDim: 8, seed: 4 });
    let generated = 0;
    const counted: BatchSource = {
      numRows: stream.source.numRows,
      chunks: (epoch) =>
        (async function* () {
          for await (const c of stream.source.chunks(epoch)) {
            generated += (c as ColumnarInput).label.length;
            yield c;
          }
        })(),
    };
    const model = new DeepFM({ sparseFeatures: stream.sparseFeatures, denseFeatures: stream.denseFeatures, mlp: { dims: [32, 16] }, seed: 3 });
    model.compile({ lr: 3e-3 });
    const steps: number[] = [];
    const history = await model.fitStream(counted, {
      epochs: 2,
      batchSize: 1024,
      shuffleBuffer: 10_000,
      validData: stream.holdout(5000),
      verbose: 0,
      onStep: (s) => steps.push(s.step),
    });
    expect(generated).toBe(60_000);
    expect(history.epochs).toHaveLength(2);
    expect(steps.filter((s) => s === 1)).toHaveLength(2);
    expect(history.epochs[1].val_auc).toBeGreaterThan(0.7);
    expect(history.epochs[1].loss).toBeLessThan(history.epochs[0].loss);
    // optimizer slots exist now; more streamed training must not add tensors
    const before = tf.memory().numTensors;
    const capped = await model.fitStream(counted, { epochs: 5, batchSize: 1000, maxSteps: 7, verbose: 0 });
    expect(capped.epochs).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches in-memory fit exactly when neither shuffles (CSV -> processor -> stream)', async () => {
    const processor = await new DataProcessor({
      sparse: ['user_id', 'item_id', 'category'],
      dense: [{ name: 'price', scaler: 'log' }, 'age'],
      sequence: [{ name: 'hist', maxLen: 8, shareVocabWith: 'item_id' }],
      labels: ['label'],
      embeddingDim: 8,
    }).fit(FIXTURE);
    const make = () => new DeepFM({ ...processor.modelConfig(), mlp: { dims: [16] }, seed: 5 }).compile({ lr: 2e-3 });
    const a = make();
    const b = make();
    await a.fit(await processor.transformAll(FIXTURE), { epochs: 2, batchSize: 256, shuffle: false, verbose: 0 });
    await b.fitStream(processor.batchSource(FIXTURE, { chunkRows: 700 }), { epochs: 2, batchSize: 256, shuffle: false, verbose: 0 });
    const probe = processor.transform([{ user_id: 'u1', item_id: 'i5', category: 'toys', price: 3, age: 30, hist: 'i1|i2' }]);
    expect(await b.predict(probe)).toEqual(await a.predict(probe));
  });

  it('stops with the row of a bad value in the middle of a stream, leaving the model usable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nextrec-stream-'));
    try {
      const lines = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
      lines[2501] = lines[2501].replace(/,[01]$/, ',7');
      const bad = path.join(dir, 'bad.csv');
      writeFileSync(bad, lines.join('\n') + '\n');
      const processor = await new DataProcessor({ sparse: ['user_id', 'item_id'], labels: ['label'], embeddingDim: 8 }).fit(bad);
      const model = new DeepFM({ ...processor.modelConfig(), mlp: { dims: [8] } }).compile();
      await expect(model.fitStream(processor.batchSource(bad, { chunkRows: 500 }), { batchSize: 128, verbose: 0 })).rejects.toThrow(
        /bad\.csv line 2502 \(data row 2501\): label 'label' is "7", but a binary label must be 0 or 1/,
      );
      const p = await model.predict(processor.transform([{ user_id: 'u1', item_id: 'i1' }]));
      expect(Number.isFinite(p[0])).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
