import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend, setLeanEngine, leanEngineOn } from '../src/basic/backend';
import { batchNormAct } from '../src/basic/backend/batch-norm-act-kernel';
import { tileInto } from '../src/basic/backend/lean-kernels';
import { Mlp } from '../src/basic/layers/mlp';
import { ForwardContext } from '../src/basic/layers/module';
import { Rng } from '../src/basic/random';

function seeded(shape: number[], seed: number, scale = 0.5): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * scale), shape);
}

/** Max |a - b| / max(1, |b|) over two flat arrays of equal length. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Values of `f` (a flat concatenation) on a given backend with the lean engine on or off. */
async function run(backend: 'cpu' | 'wasm', lean: boolean, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  setLeanEngine(lean);
  try {
    const t = tf.tidy(f);
    const v = t.dataSync().slice() as Float32Array;
    t.dispose();
    return v;
  } finally {
    setLeanEngine(true);
  }
}

/** Values and gradients w.r.t. every input of `loss(inputs)`, flattened into one tensor. */
function valueAndGrads(loss: (...xs: tf.Tensor[]) => tf.Scalar, inputs: () => tf.Tensor[]): () => tf.Tensor {
  return () => {
    const xs = inputs();
    const { value, grads } = tf.valueAndGrads((...a: tf.Tensor[]) => loss(...a))(xs);
    return tf.concat([value.reshape([1]), ...grads.map((g) => g.flatten())]);
  };
}

const training = (): ForwardContext => ({ training: true, rng: new Rng(3), deferred: [] });

describe('lean wasm engine (issue #12)', () => {
  beforeAll(async () => {
    const info = await initBackend({ log: false });
    expect(info.name).toBe('wasm');
    expect(leanEngineOn()).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
    await shutdownBackend();
  });

  it('a clone on wasm shares the buffer (no copy) and outlives its source', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { getMemoryOffset(id: object): number; numDataIds(): number };
    const before = backend.numDataIds();
    const x = seeded([64, 32], 1);
    const expected = x.dataSync().slice();
    const y = tf.clone(x);
    expect(backend.getMemoryOffset(y.dataId)).toBe(backend.getMemoryOffset(x.dataId));
    expect(backend.numDataIds()).toBe(before + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(Array.from(expected));
    y.dispose();
    expect(backend.numDataIds()).toBe(before);
    setLeanEngine(false);
    const a = seeded([4], 2);
    const b = tf.clone(a);
    expect(backend.getMemoryOffset(b.dataId)).not.toBe(backend.getMemoryOffset(a.dataId));
    setLeanEngine(true);
    tf.dispose([a, b]);
  });

  it('gradients through saved (shared) tensors match cpu, and nothing leaks', async () => {
    const f = valueAndGrads(
      (x, w) => tf.sum(tf.mul(tf.sigmoid(tf.matMul(x, w)), tf.exp(tf.mul(x, 0.1)).sum(1, true))) as tf.Scalar,
      () => [seeded([33, 17], 3), seeded([17, 9], 4)],
    );
    const ref = await run('cpu', true, f);
    await tf.setBackend('wasm');
    const n0 = tf.memory().numTensors;
    const got = await run('wasm', true, f);
    expect(tf.memory().numTensors).toBe(n0);
    expect(maxRelErr(got, ref)).toBeLessThan(1e-5);
    // the engine's saves for backward dispatch no Identity kernel under the lean engine (they do without it)
    const identities = async (lean: boolean) => {
      setLeanEngine(lean);
      const x = seeded([8, 8], 9);
      const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.exp(tf.sigmoid(a))))(x));
      setLeanEngine(true);
      x.dispose();
      tf.dispose(info.result as tf.Tensor);
      return info.kernels.filter((k) => k.name === 'Identity').length;
    };
    expect(await identities(true)).toBe(0);
    expect(await identities(false)).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('axis-0 Sum/Mean as a loop over the heap match cpu within 1e-5', async () => {
    for (const shape of [[1024, 256], [300, 7, 5], [1, 40]]) {
      for (const keep of [false, true]) {
        const f = () => tf.concat([tf.sum(seeded(shape, 5), 0, keep).flatten(), tf.mean(seeded(shape, 6), 0, keep).flatten()]);
        expect(maxRelErr(await run('wasm', true, f), await run('cpu', true, f))).toBeLessThan(1e-5);
      }
    }
  });

  it('Sum/Mean gradients by broadcast equal tfjs own (ones-based) gradients for every axis pattern', async () => {
    for (const axis of [0, 1, 2, [0, 1], [1, 2], [0, 2], null] as const) {
      for (const keep of [false, true]) {
        const f = valueAndGrads(
          (x) => tf.sum(tf.mul(tf.sum(x, axis as never, keep), seeded(tf.sum(tf.zeros([4, 5, 6]), axis as never, keep).shape, 7))).add(tf.sum(tf.square(tf.mean(x, axis as never, keep)))) as tf.Scalar,
          () => [seeded([4, 5, 6], 8)],
        );
        const stock = await run('wasm', false, f);
        expect(maxRelErr(await run('wasm', true, f), stock)).toBeLessThan(1e-6);
        expect(maxRelErr(await run('cpu', true, f), stock)).toBeLessThan(1e-5);
      }
    }
  });

  it('Tile by block copies matches cpu (float32, int32, bool; several ranks)', async () => {
    const cases: [number[], number[]][] = [[[1, 7], [9, 1]], [[3, 1, 4], [2, 5, 1]], [[2, 3], [3, 2]], [[5], [4]], [[2, 1, 3, 1], [1, 2, 1, 3]],
      // runs longer than the plain-loop limit (256 elements) go through copyWithin; [P, 1] -> [P, D] is the gradient broadcast
      [[2, 200], [3, 4]], [[1, 300], [600, 1]], [[300, 1], [1, 50]], [[3, 1, 130], [1, 4, 2]]];
    for (const [shape, reps] of cases) {
      const f = () => tf.concat([tf.tile(seeded(shape, 9), reps).flatten(), tf.tile(seeded(shape, 9, 50).toInt(), reps).flatten().toFloat(), tf.tile(tf.greater(seeded(shape, 10), 0), reps).flatten().toFloat()]);
      expect(maxRelErr(await run('wasm', true, f), await run('cpu', true, f))).toBe(0);
    }
    // the flat routine itself, on a case small enough to write out by hand
    const out = new Float32Array(12);
    tileInto(Float32Array.from([1, 2, 3]), out, [1, 3], [2, 2]);
    expect(Array.from(out)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  for (const activation of ['relu', 'linear'] as const) {
    it(`fused batch norm + ${activation}: values, statistics and gradients equal the composed ops (wasm and cpu)`, async () => {
      const composed = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, 0);
        const y = tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), gamma)), beta);
        return { y: activation === 'relu' ? tf.relu(y) : y, mean, variance };
      };
      const inputs = () => [seeded([64, 24], 11, 2).add(seeded([24], 12, 3)), seeded([24], 13).add(1), seeded([24], 14)];
      const weights = seeded([64, 24], 15);
      const loss = (op: typeof composed) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(x, g, b).y, weights)) as tf.Scalar;
      const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormAct(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, activation);
      const forward = (op: typeof composed) => () => {
        const r = op(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor]));
        return tf.concat([r.y.flatten(), r.mean, r.variance]);
      };
      for (const backend of ['wasm', 'cpu'] as const) {
        const ref = await run(backend, false, forward(composed));
        expect(maxRelErr(await run(backend, true, forward(fused)), ref)).toBeLessThan(1e-5);
        const gRef = await run(backend, false, valueAndGrads(loss(composed), inputs));
        expect(maxRelErr(await run(backend, true, valueAndGrads(loss(fused), inputs)), gRef)).toBeLessThan(1e-5);
      }
      // and against central finite differences (float64 arithmetic on the host, so the check is tight)
      await tf.setBackend('cpu');
      const [x, gamma, beta] = inputs().map((t) => Float64Array.from(t.dataSync()));
      const w = Float64Array.from(weights.dataSync());
      const lossHost = (xv: Float64Array, gv: Float64Array, bv: Float64Array) => {
        let total = 0;
        for (let c = 0; c < 24; c++) {
          let mu = 0;
          for (let r = 0; r < 64; r++) mu += xv[r * 24 + c] / 64;
          let v = 0;
          for (let r = 0; r < 64; r++) v += (xv[r * 24 + c] - mu) ** 2 / 64;
          for (let r = 0; r < 64; r++) {
            const pre = ((xv[r * 24 + c] - mu) / Math.sqrt(v + 1e-5)) * gv[c] + bv[c];
            total += (activation === 'relu' ? Math.max(0, pre) : pre) * w[r * 24 + c];
          }
        }
        return total;
      };
      const grads = await run('cpu', true, valueAndGrads(loss(fused), inputs));
      const h = 1e-4;
      const probes: [number, number][] = [[0, 0], [0, 101], [0, 777], [1, 3], [1, 17], [2, 5], [2, 23]];
      for (const [which, i] of probes) {
        const plus = [x, gamma, beta].map((a) => a.slice());
        const minus = [x, gamma, beta].map((a) => a.slice());
        plus[which][i] += h;
        minus[which][i] -= h;
        const fd = (lossHost(plus[0], plus[1], plus[2]) - lossHost(minus[0], minus[1], minus[2])) / (2 * h);
        const offset = 1 + [0, 64 * 24, 64 * 24 + 24][which];
        expect(Math.abs(grads[offset + i] - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  it('an MLP with batch norm: lean (fused) and stock training steps agree, moving statistics too, without leaks', async () => {
    await tf.setBackend('wasm');
    const mlp = new Mlp(20, { dims: [16, 8], batchNorm: true, outputDim: 1 }, new Rng(5));
    const x = seeded([128, 20], 16, 2);
    const step = (lean: boolean) => {
      setLeanEngine(lean);
      const ctx = training();
      const vars = mlp.namedParams().filter(([, p]) => p.trainable).map(([, p]) => p.variable);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(mlp.apply(x as tf.Tensor2D, ctx))) as tf.Scalar, vars);
      const out = [value.dataSync()[0], ...vars.flatMap((v) => Array.from(grads[v.name].dataSync()))];
      tf.dispose([value, ...Object.values(grads)]);
      const statsBefore = mlp.namedParams().filter(([n]) => n.includes('moving')).map(([, p]) => p.variable.dataSync().slice());
      for (const f of ctx.deferred) f(true);
      const stats = mlp.namedParams().filter(([n]) => n.includes('moving')).flatMap(([, p]) => Array.from(p.variable.dataSync()));
      // put the statistics back so the other setting starts from the same state
      tf.tidy(() => mlp.namedParams().filter(([n]) => n.includes('moving')).forEach(([, p], i) => p.variable.assign(tf.tensor(statsBefore[i], p.variable.shape))));
      setLeanEngine(true);
      return { out, stats };
    };
    step(true);
    const n0 = tf.memory().numTensors;
    const lean = step(true);
    expect(tf.memory().numTensors).toBe(n0);
    const stock = step(false);
    expect(maxRelErr(lean.out, stock.out)).toBeLessThan(1e-5);
    expect(maxRelErr(lean.stats, stock.stats)).toBeLessThan(1e-6);
    x.dispose();
  });
});
