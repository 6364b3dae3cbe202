import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { optimizers } from '../src/basic/catalog';
import { SparseTable } from '../src/basic/embedding/sparse-table';
import { SparseOptimizerConfig } from '../src/basic/embedding/sparse-optimizer';
import { FtrlOptimizer } from '../src/basic/optim/dense-optimizers';
import { clipGradients } from '../src/basic/optim/clipping';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

/**
 * Reference updates written out plainly, one coordinate at a time, in float64. `g` already includes the L2/L1
 * terms for the non-proximal optimizers.
 */
type State = Record<string, number[]>;
function referenceStep(kind: string, p: Record<string, number>, w: number[], g: number[], s: State, t: number, l1 = 0, l2 = 0): void {
  for (let j = 0; j < w.length; j++) {
    if (kind === 'ftrl') {
      const alpha = p.lr;
      const beta = p.beta ?? 1;
      const n = s.n[j];
      const n2 = n + g[j] * g[j];
      const sigma = (Math.sqrt(n2) - Math.sqrt(n)) / alpha;
      s.z[j] += g[j] - sigma * w[j];
      s.n[j] = n2;
      const z = s.z[j];
      w[j] = Math.abs(z) <= l1 ? 0 : -(z - Math.sign(z) * l1) / ((beta + Math.sqrt(n2)) / alpha + l2);
      continue;
    }
    let gj = g[j] + l2 * w[j] + (w[j] > 0 ? l1 : w[j] < 0 ? -l1 : 0);
    if (kind === 'momentum') {
      s.acc[j] = p.momentum * s.acc[j] + gj;
      w[j] -= p.lr * (p.nesterov ? gj + p.momentum * s.acc[j] : s.acc[j]);
    } else if (kind === 'rmsprop') {
      s.ms[j] = p.decay * s.ms[j] + (1 - p.decay) * gj * gj;
      s.mom[j] = p.momentum * s.mom[j] + (p.lr * gj) / Math.sqrt(s.ms[j] + 1e-7);
      w[j] -= s.mom[j];
    } else if (kind === 'adamw' || kind === 'adam') {
      if (kind === 'adamw') w[j] *= 1 - p.lr * p.weightDecay;
      s.m[j] = 0.9 * s.m[j] + 0.1 * gj;
      s.v[j] = 0.999 * s.v[j] + 0.001 * gj * gj;
      const mh = s.m[j] / (1 - 0.9 ** t);
      const vh = s.v[j] / (1 - 0.999 ** t);
      w[j] -= (p.lr * mh) / (Math.sqrt(vh) + 1e-7);
    } else {
      gj = gj; // plain sgd
      w[j] -= p.lr * gj;
    }
  }
}

function freshState(kind: string, n: number): State {
  const z = () => new Array(n).fill(0);
  return { acc: z(), ms: z(), mom: z(), m: z(), v: z(), z: z(), n: z() };
}

// ill-conditioned quadratic 0.5 * sum a_j (w_j - c_j)^2
const A = [4, 1, 0.25, 2, 0.5, 3];
const C = [1, -2, 0.5, 0, 3, -1];
const W0 = [0.3, 0.1, -0.2, 0.05, -0.4, 0.2];
const grad = (w: ArrayLike<number>) => Array.from(w, (x, j) => A[j] * (x - C[j]));

const CASES: Array<{ name: string; kind: string; lr: number; params: Record<string, number>; ref: Record<string, number> }> = [
  { name: 'momentum', kind: 'momentum', lr: 0.05, params: { momentum: 0.8 }, ref: { momentum: 0.8, nesterov: 0 } },
  { name: 'momentum (nesterov)', kind: 'momentum', lr: 0.05, params: { momentum: 0.8, nesterov: 1 }, ref: { momentum: 0.8, nesterov: 1 } },
  { name: 'rmsprop', kind: 'rmsprop', lr: 0.01, params: { decay: 0.8, momentum: 0.5 }, ref: { decay: 0.8, momentum: 0.5 } },
  { name: 'adamw', kind: 'adamw', lr: 0.05, params: { weightDecay: 0.1 }, ref: { weightDecay: 0.1 } },
  { name: 'ftrl', kind: 'ftrl', lr: 0.5, params: { beta: 1 }, ref: { beta: 1 } },
];

describe('optimizers match plainly written reference updates on a quadratic', () => {
  for (const c of CASES) {
    it(`${c.name}: dense (tfjs) and row-sparse halves both follow the reference for 30 steps`, async () => {
      const pair = optimizers.resolve(c.kind)({ lr: c.lr, embeddingLr: c.lr, params: c.params });
      const ref = { lr: c.lr, ...c.ref };
      // reference
      const w = [...W0];
      const s = freshState(c.kind, w.length);
      // dense half
      const v = tf.variable(tf.tensor1d(W0), true, `quad_${c.name.replace(/\W/g, '_')}`);
      // sparse half: one row of width 6 in a 3-row table
      const table = new SparseTable({ name: 't', rows: 3, dim: 6, initializer: { type: 'zeros' }, seed: 1 }, pair.sparse);
      table.row(2); // initialise, then put W0 in
      const stride = table.stride;
      for (let j = 0; j < 6; j++) table.data[2 * stride + j] = W0[j];
      for (let t = 1; t <= 30; t++) {
        referenceStep(c.kind, ref, w, grad(w), s, t);
        const g = tf.tensor1d(grad(v.dataSync()));
        pair.dense.applyGradients({ [v.name]: g });
        g.dispose();
        table.applyGradients(Int32Array.of(2), Float32Array.from(grad(table.row(2))), 1, 0);
      }
      const dense = Array.from(v.dataSync());
      const sparse = Array.from(table.row(2));
      for (let j = 0; j < 6; j++) {
        expect(dense[j]).toBeCloseTo(w[j], 4);
        expect(sparse[j]).toBeCloseTo(w[j], 4);
      }
      // and the optimizer made progress on the quadratic
      const loss = (x: number[]) => x.reduce((a, xj, j) => a + 0.5 * A[j] * (xj - C[j]) ** 2, 0);
      expect(loss(w)).toBeLessThan(0.5 * loss(W0));
      v.dispose();
      pair.dense.dispose();
    });
  }

  it('sparse L1 and L2 enter as gradient terms for adam and proximally (exact zeros) for ftrl', () => {
    for (const kind of ['adam', 'ftrl'] as const) {
      const config: SparseOptimizerConfig = kind === 'adam' ? { kind, lr: 0.05 } : { kind, lr: 0.5, beta: 1 };
      const table = new SparseTable({ name: 't', rows: 2, dim: 6, initializer: { type: 'zeros' }, seed: 1 }, config);
      table.row(1);
      for (let j = 0; j < 6; j++) table.data[table.stride + j] = W0[j];
      const w = [...W0];
      const s = freshState(kind, 6);
      for (let t = 1; t <= 40; t++) {
        referenceStep(kind, { lr: config.lr }, w, grad(w), s, t, 0.8, 0.3);
        table.applyGradients(Int32Array.of(1), Float32Array.from(grad(table.row(1))), 1, 0.3, 0.8);
      }
      const got = Array.from(table.row(1));
      for (let j = 0; j < 6; j++) expect(got[j]).toBeCloseTo(w[j], 4);
      if (kind === 'ftrl') {
        // coordinate 3 has its optimum at 0 and is held exactly there by the L1 prox
        expect(got[3]).toBe(0);
      }
    }
  });

  it('dense ftrl applies its proximal L1/L2 only to the named parameters', () => {
    const opt = new FtrlOptimizer(0.5, 1);
    const a = tf.variable(tf.tensor1d(W0), true, 'ftrl_penalised');
    const b = tf.variable(tf.tensor1d(W0), true, 'ftrl_free');
    opt.setPenalties(0.8, 0.3, ['ftrl_penalised']);
    const wa = [...W0];
    const wb = [...W0];
    const sa = freshState('ftrl', 6);
    const sb = freshState('ftrl', 6);
    for (let t = 1; t <= 20; t++) {
      referenceStep('ftrl', { lr: 0.5, beta: 1 }, wa, grad(wa), sa, t, 0.8, 0.3);
      referenceStep('ftrl', { lr: 0.5, beta: 1 }, wb, grad(wb), sb, t, 0, 0);
      const ga = tf.tensor1d(grad(a.dataSync()));
      const gb = tf.tensor1d(grad(b.dataSync()));
      opt.applyGradients({ ftrl_penalised: ga, ftrl_free: gb });
      tf.dispose([ga, gb]);
    }
    Array.from(a.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(wa[j], 4));
    Array.from(b.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(wb[j], 4));
    expect(a.dataSync()[3]).toBe(0);
    tf.dispose([a, b]);
    opt.dispose();
  });

  it('adamw and ftrl state survives getWeights/setWeights (save/load) and the update continues identically', async () => {
    for (const kind of ['adamw', 'ftrl']) {
      const make = () => optimizers.resolve(kind)({ lr: 0.05, embeddingLr: 0.05, params: {} }).dense;
      const o1 = make();
      const v1 = tf.variable(tf.tensor1d(W0), true, `sv1_${kind}`);
      for (let t = 0; t < 5; t++) {
        const g = tf.tensor1d(grad(v1.dataSync()));
        o1.applyGradients({ [v1.name]: g });
        g.dispose();
      }
      const o2 = make();
      await o2.setWeights(await o1.getWeights());
      const v2 = tf.variable(v1.clone(), true, `sv2_${kind}`);
      // the copy is keyed by the original variable name: rename the gradient accordingly
      const g1 = tf.tensor1d(grad(v1.dataSync()));
      o1.applyGradients({ [v1.name]: g1 });
      const saved = (await o2.getWeights()).map((w) => ({ name: w.name.replace(v1.name, v2.name), tensor: w.tensor }));
      await o2.setWeights(saved);
      const g2 = tf.tensor1d(grad(v2.dataSync()));
      o2.applyGradients({ [v2.name]: g2 });
      expect(Array.from(v2.dataSync())).toEqual(Array.from(v1.dataSync()));
      expect(o2.iterations).toBe(o1.iterations);
      tf.dispose([g1, g2, v1, v2]);
      o1.dispose();
      o2.dispose();
    }
  });

  it('rejects unknown hyper-parameters naming the allowed ones', () => {
    expect(() => optimizers.resolve('ftrl')({ lr: 0.1, embeddingLr: 0.1, params: { l3: 1 } })).toThrow(/optimizer 'ftrl': unknown parameter 'l3' \(allowed: beta\)/);
    expect(() => optimizers.resolve('momentum')({ lr: 0.1, embeddingLr: 0.1, params: { momentum: 1.5 } })).toThrow(/momentum must be in \[0, 1\)/);
  });
});

describe('gradient clipping', () => {
  it('clipNorm rescales dense and sparse gradients together to the bound; clipValue clamps elements', () => {
    const dense = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const rows = [Float32Array.of(0, 0, 84)]; // global norm sqrt(9 + 16 + 144 + 7056) = 85
    const { created, norm } = clipGradients(dense, rows, { clipNorm: 8.5 });
    expect(norm).toBeCloseTo(85, 4);
    expect(Array.from(dense.a.dataSync())).toEqual([expect.closeTo(0.3, 5), expect.closeTo(0.4, 5)]);
    expect(dense.b.dataSync()[0]).toBeCloseTo(1.2, 5);
    expect(rows[0][2]).toBeCloseTo(8.4, 4);
    tf.dispose(created);
    const d2 = { a: tf.tensor1d([3, -4, 0.5]) };
    const r2 = [Float32Array.of(-7, 0.2)];
    const c2 = clipGradients(d2, r2, { clipValue: 1 });
    expect(Array.from(d2.a.dataSync())).toEqual([1, -1, 0.5]);
    expect(Array.from(r2[0])).toEqual([-1, expect.closeTo(0.2, 6)]);
    tf.dispose([...c2.created, dense.a, dense.b]);
  });
});
