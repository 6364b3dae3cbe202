import * as fs from 'fs';
import * as path from 'path';
import { SparseTable } from '../src/basic/embedding/sparse-table';
import { IdAccumulator } from '../src/basic/embedding/id-accumulator';
import { SparseOptimizerConfig } from '../src/basic/embedding/sparse-optimizer';

/**
 * Our row-sparse Adam against PyTorch, step by step, on the tiny problem of
 * benchmarks/vs-pytorch/sparse_adam_steps.py (fixture written by it: same initial table, batches with duplicate
 * ids and rows absent for many steps, same per-occurrence gradients). Lazy Adam must equal torch.optim.SparseAdam
 * and catch-up Adam must equal torch.optim.Adam on a dense nn.Embedding after every step.
 */
interface Fixture {
  rows: number;
  dim: number;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  init: number[][];
  batches: number[][];
  coefficients: number[][][];
  adam: number[][][];
  sparseAdam: number[][][];
}

const fixture: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sparse-adam-torch.json'), 'utf8'));

function table(lazy: boolean): SparseTable {
  const { rows, dim, lr, beta1, beta2, epsilon } = fixture;
  const config: SparseOptimizerConfig = { kind: 'adam', lr, beta1, beta2, epsilon, lazy };
  const t = new SparseTable({ name: 't', rows, dim, initializer: { type: 'zeros' }, seed: 1 }, config);
  // rows are initialised on first touch: touch them all, then overwrite the weights with PyTorch's
  for (let r = 1; r < rows; r++) t.row(r);
  for (let r = 1; r < rows; r++) for (let j = 0; j < dim; j++) t.data[r * t.stride + j] = fixture.init[r][j];
  return t;
}

function step(t: SparseTable, b: number, acc: IdAccumulator): void {
  const ids = fixture.batches[b];
  const g = Float32Array.from(fixture.coefficients[b].flat());
  acc.reset(ids.length);
  ids.forEach((id, p) => acc.add(id, g, p * fixture.dim));
  t.applyGradients(acc.ids, acc.grads, acc.count, 0);
}

function maxDiff(t: SparseTable, expected: number[][]): number {
  let worst = 0;
  for (let r = 1; r < fixture.rows; r++) {
    const got = t.row(r);
    for (let j = 0; j < fixture.dim; j++) worst = Math.max(worst, Math.abs(got[j] - expected[r][j]));
  }
  return worst;
}

describe('row-sparse Adam vs PyTorch (fixture from benchmarks/vs-pytorch/sparse_adam_steps.py)', () => {
  for (const [name, lazy, ref] of [
    ['lazy Adam = torch.optim.SparseAdam', true, 'sparseAdam'],
    ['catch-up Adam = torch.optim.Adam on a dense embedding', false, 'adam'],
  ] as const) {
    it(`${name}, after every step`, () => {
      const t = table(lazy);
      const acc = new IdAccumulator(fixture.dim);
      for (let b = 0; b < fixture.batches.length; b++) {
        step(t, b, acc);
        // float32 storage on both sides, float64 arithmetic in ours: agreement to a few float32 ulps
        expect(maxDiff(t, fixture[ref][b])).toBeLessThan(2e-6);
      }
    });
  }

  it('the two differ once rows miss steps (the fixture exercises the difference)', () => {
    const last = fixture.batches.length - 1;
    let diff = 0;
    for (let r = 1; r < fixture.rows; r++) for (let j = 0; j < fixture.dim; j++) diff = Math.max(diff, Math.abs(fixture.adam[last][r][j] - fixture.sparseAdam[last][r][j]));
    expect(diff).toBeGreaterThan(0.1);
  });

  it('catch-up Adam gives the same rows whether they are read every step or only at the end', () => {
    const eager = table(false);
    const late = table(false);
    const acc = new IdAccumulator(fixture.dim);
    for (let b = 0; b < fixture.batches.length; b++) {
      step(eager, b, acc);
      for (let r = 1; r < fixture.rows; r++) eager.row(r);
      step(late, b, acc);
    }
    for (let r = 1; r < fixture.rows; r++) {
      const a = eager.row(r);
      const c = late.row(r);
      for (let j = 0; j < fixture.dim; j++) expect(Math.abs(a[j] - c[j])).toBeLessThan(1e-6);
    }
  });

  it('catch-up Adam: the step slot survives a byte round trip of the table (save/load), and rows stay exact', () => {
    const t = table(false);
    const acc = new IdAccumulator(fixture.dim);
    const half = 25;
    for (let b = 0; b < half; b++) step(t, b, acc);
    // what persistence does: raw bytes of `data` plus the step counter
    const copy = new SparseTable(t.spec, t.optimizerConfig);
    copy.data = new Float32Array(t.data.buffer.slice(0));
    copy.initialized = t.initialized.slice();
    copy.step = t.step;
    for (let b = half; b < fixture.batches.length; b++) step(copy, b, acc);
    expect(maxDiff(copy, fixture.adam[fixture.batches.length - 1])).toBeLessThan(2e-6);
  });
});
