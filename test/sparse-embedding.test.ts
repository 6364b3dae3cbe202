import * as tf from '@tensorflow/tfjs';
import { SparseTable } from '../src/basic/embedding/sparse-table';
import { EmbeddingCollection } from '../src/basic/embedding/embedding-collection';
import { IdAccumulator } from '../src/basic/embedding/id-accumulator';
import { SparseFeature, SequenceFeature } from '../src/basic/features';
import { Dataset } from '../src/basic/dataset/dataset';
import { hashBucket } from '../src/basic/embedding/hashing';

beforeAll(async () => {
  // the dense reference needs tf.gather's gradient, which only the cpu backend provides
  await tf.setBackend('cpu');
});

/**
 * Reference: the same table as a dense tfjs variable trained with tfjs' own optimizer through tf.gather.
 * Loss = sum(w_target * gather(table, ids)) so the gradient per occurrence is known and duplicates add up.
 */
function denseReference(kind: 'adam' | 'adagrad', init: Float32Array, rows: number, dim: number, batches: Int32Array[], lr: number): Float32Array {
  const table = tf.variable(tf.tensor2d(init, [rows, dim]));
  const opt = kind === 'adam' ? tf.train.adam(lr) : tf.train.adagrad(lr);
  for (const ids of batches) {
    const coef = coefficients(ids.length, dim);
    opt.minimize(() => tf.sum(tf.mul(tf.gather(table, tf.tensor1d(ids, 'int32')), tf.tensor2d(coef, [ids.length, dim]))) as tf.Scalar);
  }
  const out = table.dataSync().slice() as Float32Array;
  table.dispose();
  opt.dispose();
  return out;
}

function coefficients(n: number, dim: number): Float32Array {
  return Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.7) + 0.1 * ((i % 5) - 2));
}

function sparseRun(kind: 'adam' | 'adagrad', rows: number, dim: number, batches: Int32Array[], lr: number): { table: SparseTable; init: Float32Array } {
  const table = new SparseTable({ name: 't', rows, dim, initializer: { type: 'normal', std: 0.1 }, seed: 3 }, { kind, lr });
  const init = new Float32Array(rows * dim);
  for (let r = 1; r < rows; r++) table.copyRowTo(r, init, r * dim);
  const acc = new IdAccumulator(dim);
  for (const ids of batches) {
    const g = coefficients(ids.length, dim);
    acc.reset(ids.length);
    ids.forEach((id, p) => acc.add(id, g, p * dim));
    table.applyGradients(acc.ids, acc.grads, acc.count, 0);
  }
  return { table, init };
}

describe('sparse embedding update', () => {
  const rows = 6;
  const dim = 3;
  // every non-padding row appears in every batch (some twice), so lazy and dense Adam must agree exactly
  const batches = [Int32Array.from([1, 2, 3, 4, 5, 2]), Int32Array.from([5, 4, 3, 2, 1, 1]), Int32Array.from([3, 1, 2, 5, 4, 4])];

  for (const kind of ['adam', 'adagrad'] as const) {
    it(`${kind}: equals the dense tfjs reference on a tiny table (duplicates summed)`, () => {
      const { table, init } = sparseRun(kind, rows, dim, batches, 0.05);
      const ref = denseReference(kind, init, rows, dim, batches, 0.05);
      for (let r = 1; r < rows; r++) {
        const got = table.row(r);
        // tfjs computes the update in float32, the host in float64 before storing float32
        for (let j = 0; j < dim; j++) expect(Math.abs(got[j] - ref[r * dim + j])).toBeLessThan(2e-6);
      }
    });
  }

  it('adagrad stays equal to the dense reference even for rows missing from some batches', () => {
    const sparseBatches = [Int32Array.from([1, 2]), Int32Array.from([3]), Int32Array.from([1, 1, 5])];
    const { table, init } = sparseRun('adagrad', rows, dim, sparseBatches, 0.1);
    const ref = denseReference('adagrad', init, rows, dim, sparseBatches, 0.1);
    for (let r = 1; r < rows; r++) {
      const got = table.row(r);
      for (let j = 0; j < dim; j++) expect(got[j]).toBeCloseTo(ref[r * dim + j], 6);
    }
  });

  it('lazy adam leaves untouched rows exactly as initialised and never initialises them', () => {
    const table = new SparseTable({ name: 't', rows: 1000, dim: 4, initializer: { type: 'normal', std: 0.1 }, seed: 3 }, { kind: 'adam', lr: 0.1 });
    const ids = Int32Array.from([1, 2, 3]);
    ids.forEach((id) => table.row(id));
    table.applyGradients(ids, new Float32Array(12).fill(0.5), 3, 0);
    expect(table.touchedRows()).toBe(3);
    const fresh = new SparseTable({ name: 't', rows: 1000, dim: 4, initializer: { type: 'normal', std: 0.1 }, seed: 3 }, { kind: 'adam', lr: 0.1 });
    expect(Array.from(table.row(500))).toEqual(Array.from(fresh.row(500)));
  });

  it('row initialisation depends only on (seed, id), not on the order rows are first seen', () => {
    const a = new SparseTable({ name: 'a', rows: 100, dim: 4, initializer: { type: 'normal', std: 1 }, seed: 9 });
    const b = new SparseTable({ name: 'b', rows: 100, dim: 4, initializer: { type: 'normal', std: 1 }, seed: 9 });
    a.row(7);
    const first = a.row(42);
    b.row(42);
    expect(Array.from(b.row(42))).toEqual(Array.from(first));
  });

  it('cost of a step does not depend on vocabulary size (1e7-row table, rows touched on demand)', () => {
    const big = new SparseTable({ name: 'big', rows: 10_000_000, dim: 16, initializer: { type: 'normal' }, seed: 1 }, { kind: 'adagrad', lr: 0.1 });
    const small = new SparseTable({ name: 'small', rows: 10_000, dim: 16, initializer: { type: 'normal' }, seed: 1 }, { kind: 'adagrad', lr: 0.1 });
    const ids = Int32Array.from({ length: 4096 }, (_, i) => 1 + ((i * 7919) % 9999));
    const grads = new Float32Array(ids.length * 16).fill(0.01);
    const time = (t: SparseTable) => {
      const t0 = performance.now();
      for (let k = 0; k < 20; k++) t.applyGradients(ids, grads, ids.length, 0);
      return performance.now() - t0;
    };
    ids.forEach((id) => {
      big.row(id);
      small.row(id);
    });
    time(big);
    time(small);
    const tb = time(big);
    const ts = time(small);
    expect(big.touchedRows()).toBeLessThanOrEqual(9999);
    expect(tb).toBeLessThan(ts * 4 + 20);
  });
});

describe('EmbeddingCollection', () => {
  it('shares tables by embeddingName, keeps padding at zero and routes duplicate gradients', () => {
    const item = new SparseFeature({ name: 'item', vocabSize: 10, embeddingDim: 2, embeddingName: 'items' });
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 10, embeddingDim: 2, maxLen: 3, embeddingName: 'items' });
    const col = new EmbeddingCollection([item, hist], 1);
    col.setOptimizer({ kind: 'sgd', lr: 1 });
    const data = Dataset.bind({ item: [4, 5], hist: [[4, 4], [1, 2, 3, 5]] }, [item, hist]);
    expect(col.tables.size).toBe(0);
    const idx = Int32Array.from([0, 1]);
    const a = col.lookup({ key: 'item', kind: 'stack', features: ['item'] }, data, idx);
    const s = col.lookup({ key: 'hist', kind: 'sequence', feature: 'hist' }, data, idx);
    expect(col.tables.size).toBe(1);
    expect(Array.from(s.mask!)).toEqual([1, 1, 0, 1, 1, 1]);
    // padding slot of row 0 is exactly zero
    expect(Array.from(s.values.slice(4, 6))).toEqual([0, 0]);
    // jagged rows keep the most recent maxLen items: [1,2,3,5] -> [2,3,5]
    const table = col.tables.get('items')!;
    expect(Array.from(s.values.slice(6, 8))).toEqual(Array.from(table.row(2)));
    const before4 = table.row(4);
    const ga = new Float32Array(a.values.length).fill(1);
    const gs = new Float32Array(s.values.length).fill(1);
    col.applyGradients([a, s], [ga, gs]);
    // id 4 appears once as target and twice in the history: one SGD step with the summed gradient 3
    expect(table.row(4)[0]).toBeCloseTo(before4[0] - 3, 6);
    expect(Array.from(table.row(0))).toEqual([0, 0]);
    expect(table.step).toBe(1);
  });

  it('multi-hash features sum rows of k tables and hash raw ids into [1, vocab)', () => {
    const f = new SparseFeature({ name: 'uid', vocabSize: 97, embeddingDim: 3, numHashes: 2 });
    const col = new EmbeddingCollection([f], 5);
    const data = Dataset.bind({ uid: [123456, 0] }, [f]);
    const b = col.lookup({ key: 'u', kind: 'stack', features: ['uid'] }, data, Int32Array.from([0, 1]));
    const [t0, t1] = col.tablesOf(f);
    const h0 = hashBucket(123456, 0, 97);
    const h1 = hashBucket(123456, 1, 97);
    expect(h0).toBeGreaterThanOrEqual(1);
    expect(h0).not.toBe(h1);
    for (let j = 0; j < 3; j++) expect(b.values[j]).toBeCloseTo(t0.row(h0)[j] + t1.row(h1)[j], 6);
    expect(Array.from(b.values.slice(3, 6))).toEqual([0, 0, 0]);
  });
});

describe('IdAccumulator', () => {
  it('sums duplicates correctly over many resets with colliding ids (no stale keys)', () => {
    const acc = new IdAccumulator(2);
    let seed = 1;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let round = 0; round < 500; round++) {
      const n = 1 + (next() % 200);
      const ids = Int32Array.from({ length: n }, () => 1 + (next() % 300));
      const src = Float32Array.from({ length: n * 2 }, (_, i) => (i % 7) - 3);
      acc.reset(n);
      ids.forEach((id, p) => acc.add(id, src, p * 2));
      const expected = new Map<number, number[]>();
      ids.forEach((id, p) => {
        const e = expected.get(id) ?? [0, 0];
        e[0] += src[p * 2];
        e[1] += src[p * 2 + 1];
        expected.set(id, e);
      });
      expect(acc.count).toBe(expected.size);
      for (let r = 0; r < acc.count; r++) expect([acc.grads[r * 2], acc.grads[r * 2 + 1]]).toEqual(expected.get(acc.ids[r]));
    }
  });
});
