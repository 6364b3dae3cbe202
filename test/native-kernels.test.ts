/**
 * The optional native kernels (src/basic/backend/native.ts, native/nextrec_native.cc: matMuls, batch norm +
 * activation) against the wasm, JavaScript and cpu kernels, a saved DeepFM's predictions across engines, and
 * NEXTREC_BACKEND. Skips, saying why, when the
 * addon is not built (no C++ toolchain or no oneDNN/OpenBLAS development files at install).
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import {
  loadNativeAddon, nativeKernelsInfo, nativeKernelsUnavailableReason, profileMatMulKernels, setNativeKernelsEnabled,
} from '../src/basic/backend/native';
import { batchNormAct, batchNormActBackward, batchNormActForward, batchNormActSimdCalls } from '../src/basic/backend/batch-norm-act-kernel';
import { adamUpdate } from '../src/basic/backend/optimizer-kernels';
import { FusedAdamOptimizer } from '../src/basic/optim/fused-dense-optimizers';
import { timeMajorMatMul, timeMajorMatMulAvailable } from '../src/basic/backend/time-major-matmul';
import { attentionWeightsAvailable } from '../src/basic/backend/attention-weights';
import { layerNormKernelAvailable } from '../src/basic/backend/layer-norm-kernel';
import { siluKernelAvailable } from '../src/basic/backend/silu-kernel';
import { sampledSoftmaxKernelAvailable } from '../src/basic/backend/sampled-softmax-kernel';
import { sampledSoftmaxRows } from '../src/loss/listwise';
import { applyActivation } from '../src/basic/layers/activation';
import { dropoutMultiplierKernelAvailable } from '../src/basic/backend/dropout-kernel';
import { LayerNorm } from '../src/basic/layers/layer-norm';
import { SequenceBatch } from '../src/basic/layers/attention';
import { dropoutMultiplier } from '../src/basic/layers/dropout';
import { fusedAttention } from '../src/basic/layers/fused-attention';
import { SequenceFeature } from '../src/basic/features';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';
import { DeepFM } from '../src/models/ranking/deepfm';
import { syntheticCtr } from '../src/data/synthetic/ctr';

const REPO = path.resolve(__dirname, '..');
// NEXTREC_BACKEND=wasm runs the whole suite on the wasm kernels alone (npm run test:wasm): nothing native to test then
const unavailable = process.env.NEXTREC_BACKEND === 'wasm' ? 'NEXTREC_BACKEND=wasm (the suite runs on the wasm kernels alone)' : nativeKernelsUnavailableReason();
if (unavailable) console.warn(`native-kernels.test: skipped, ${unavailable}`);
const describeNative = unavailable ? describe.skip : describe;

function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5), shape);
}

function maxRelErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let err = 0;
  for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i])));
  return err;
}

/**
 * Run `f` natively, on the wasm kernels and on cpu; the native result must match both and use only the addon.
 * `withWasm` false: compare with cpu only, for inputs the stock wasm kernel does not handle.
 */
async function agree(f: () => tf.Tensor, tol = 1e-5, withWasm = true, matMuls = true): Promise<void> {
  const run = () => {
    const t = tf.tidy(f);
    const out = { shape: t.shape, values: t.dataSync().slice() };
    t.dispose();
    return out;
  };
  await tf.setBackend('cpu');
  const cpu = run();
  await tf.setBackend('wasm');
  setNativeKernelsEnabled(false);
  const wasm = withWasm ? run() : null;
  setNativeKernelsEnabled(true);
  profileMatMulKernels(true);
  const native = run();
  const prof = profileMatMulKernels(false)!;
  if (matMuls) expect(prof.native.calls).toBeGreaterThan(0);
  expect(prof.fallback.calls).toBe(0);
  expect(native.shape).toEqual(cpu.shape);
  if (wasm) expect(maxRelErr(native.values, wasm.values)).toBeLessThan(tol);
  expect(maxRelErr(native.values, cpu.values)).toBeLessThan(tol);
}

describeNative('native matMul kernels', () => {
  beforeAll(async () => {
    const info = await initBackend({ log: false });
    expect(info.name).toBe('wasm');
    expect(info.native).toMatch(/^(oneDNN|OpenBLAS) \d+\.\d+$/);
    expect(nativeKernelsInfo()?.label).toBe(info.native);
  });
  afterAll(async () => {
    setNativeKernelsEnabled(true);
    await shutdownBackend();
  });

  const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;
  for (const [ta, tb] of TRANSPOSES) {
    it(`matMul transposeA=${ta} transposeB=${tb}: 2-D, batched and broadcast batches`, async () => {
      for (const [m, k, n] of [[1, 1, 1], [19, 37, 23], [64, 3, 130], [257, 96, 5]]) {
        const a = (batch: number[]) => seeded([...batch, ...(ta ? [k, m] : [m, k])], m + k);
        const b = (batch: number[]) => seeded([...batch, ...(tb ? [n, k] : [k, n])], n + 7);
        await agree(() => tf.matMul(a([]), b([]), ta, tb));
        await agree(() => tf.matMul(a([3]), b([3]), ta, tb));
        await agree(() => tf.matMul(a([2, 3]), b([2, 3]), ta, tb));
        await agree(() => tf.matMul(a([2, 3]), b([1]), ta, tb));
        await agree(() => tf.matMul(a([1]), b([4]), ta, tb));
        await agree(() => tf.matMul(a([]), b([2, 2]), ta, tb));
      }
    });
    // the stock wasm _FusedMatMul takes only a rank-1 bias, and adds it wrongly to batched products (from the second
    // batch item on: off by 0.66 here, against cpu); the native kernel broadcasts any bias as tfjs-core does, so
    // batched products with a bias are checked against cpu alone
    it(`fused matMul transposeA=${ta} transposeB=${tb}: every bias shape and activation`, async () => {
      const [m, k, n] = [29, 41, 17];
      const a = (batch: number[]) => seeded([...batch, ...(ta ? [k, m] : [m, k])], 1) as tf.Tensor3D;
      const b = (batch: number[]) => seeded([...batch, ...(tb ? [n, k] : [k, n])], 2) as tf.Tensor3D;
      const activations = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const;
      for (const activation of activations) {
        for (const biasShape of [null, [n], [1], [1, n], [m, 1], [m, n], [3, m, n], [3, 1, n], [1, 1, n]]) {
          const wasmHandles = biasShape === null;
          await agree(
            () =>
              tf.fused.matMul({
                a: a([3]), b: b([3]), transposeA: ta, transposeB: tb, activation, leakyreluAlpha: 0.13,
                bias: biasShape ? seeded(biasShape, 3) : undefined,
              }),
            1e-5,
            wasmHandles,
          );
        }
        await agree(() => tf.fused.matMul({ a: a([]) as never, b: b([]) as never, transposeA: ta, transposeB: tb, activation, bias: seeded([n], 4) }));
      }
    });
  }

  it('a training-sized product (1024 x 416 x 256) and dense-layer gradients match', async () => {
    await agree(() => tf.matMul(seeded([1024, 416], 5), seeded([416, 256], 6)), 1e-4);
    await agree(() => {
      const g = tf.grads((x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' }))),
      );
      const grads = g([seeded([300, 65], 7), seeded([65, 33], 8), seeded([33], 9)]);
      return tf.concat(grads.map((t) => t.flatten()));
    }, 1e-4);
  });

  it('what the addon does not cover goes to the wasm kernel (prelu, [2,1] x [1,3] batches) and stays correct', async () => {
    const cases: Array<() => tf.Tensor> = [
      () => tf.fused.matMul({ a: seeded([8, 5], 1) as tf.Tensor2D, b: seeded([5, 6], 2) as tf.Tensor2D, activation: 'prelu', preluActivationWeights: seeded([6], 3) }),
      () => tf.matMul(seeded([2, 1, 4, 5], 1), seeded([1, 3, 5, 6], 2)),
    ];
    for (const f of cases) {
      await tf.setBackend('cpu');
      const ref = tf.tidy(f);
      const refValues = ref.dataSync().slice();
      ref.dispose();
      await tf.setBackend('wasm');
      profileMatMulKernels(true);
      const got = tf.tidy(f);
      const prof = profileMatMulKernels(false)!;
      expect(prof.native.calls).toBe(0);
      expect(prof.fallback.calls).toBe(1);
      expect(maxRelErr(got.dataSync(), refValues)).toBeLessThan(1e-5);
      got.dispose();
    }
    // int32 products reach the wasm kernel, which raises its own message
    expect(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5, 6], [7, 8]], undefined, 'int32'))).toThrow(/non-float32/);
    // a shape mismatch still raises tfjs's own message
    expect(() => tf.matMul(seeded([3, 4], 1), seeded([5, 2], 2))).toThrow(/inner shapes/);
  });

  it('the addon refuses views shorter than the shapes (never writes outside the wasm tensors)', () => {
    const addon = loadNativeAddon()!;
    const small = new Float32Array(6);
    expect(() => addon.sgemm(small, small, small, 1, 3, 3, 3, false, false, 0, 0, null, 0, 0, 0, 0, 0)).toThrow(/view is shorter than the shapes need/);
    expect(() => addon.sgemm(small, small, new Float32Array(4), 1, 2, 2, 3, false, false, 0, 0, new Float32Array(1), 0, 0, 1, 0, 0)).toThrow(/bias view is shorter/);
    expect(() => addon.batchNormActForward(small, small, small, small, small, new Float32Array(2), 2, 3, 1e-5, true)).toThrow(/batchNormActForward: a view is not a Float32Array of the needed length/);
    expect(() => addon.batchNormActBackward(small, small, small, small, small, small, new Float32Array(5), small, small, 2, 3, 1e-5, true)).toThrow(/batchNormActBackward: a view is not a Float32Array of the needed length/);
    expect(() => addon.adamUpdate(small, small, small, new Float32Array(5), small, small, small, new Float32Array(8))).toThrow(/adamUpdate: a view is not a Float32Array as long as w/);
  });

  it('time-major products (the attention products) match batched tf.matMul between transposes, all transposes', async () => {
    expect(timeMajorMatMulAvailable()).toBe(true);
    for (const [ta, tb] of TRANSPOSES) {
      for (const [Lx, N, p, Ly] of [[1, 1, 1, 1], [7, 5, 3, 7], [50, 16, 50, 50], [13, 9, 31, 13]]) {
        // x [Lx, N, p], y [Ly, N, r] with the contracted sizes equal for each transpose combination
        const xShape = [Lx, N, p];
        const contracted = ta ? Lx : p;
        const yShape = tb ? [Ly, N, contracted] : [contracted, N, Ly];
        await agree(() => timeMajorMatMul(seeded(xShape, Lx + p) as tf.Tensor3D, seeded(yShape, Ly + 3) as tf.Tensor3D, ta, tb));
      }
    }
    expect(() => timeMajorMatMul(seeded([3, 2, 4], 1) as tf.Tensor3D, seeded([3, 2, 5], 2) as tf.Tensor3D, false, true)).toThrow(/inner dimensions differ/);
    expect(() => timeMajorMatMul(seeded([3, 2, 4], 1) as tf.Tensor3D, seeded([4, 3, 5], 2) as tf.Tensor3D)).toThrow(/same N/);
    const addon = loadNativeAddon()!;
    const small = new Float32Array(6);
    expect(() => addon.sgemmStrided!(small, small, small, 3, 2, 2, 2, false, false, 2, 2, 2, 2, 2, 2)).toThrow(/view is shorter than the shapes and strides need/);
    expect(() => addon.sgemmStrided!(small, small, small, 1, 2, 2, 3, false, false, 0, 0, 0, 2, 3, 2)).toThrow(/leading dimension is shorter/);
  });

  // HSTU's SiLU attention with a relative bias, SASRec's softmax attention, both with dropout and two heads
  const ATTENTION_CASES = [
    { nonlinearity: 'silu', scale: 1, bias: 'key x query', dropout: true },
    { nonlinearity: 'silu', scale: 0.7, bias: null, dropout: false },
    { nonlinearity: 'softmax', scale: 0.5, bias: null, dropout: true },
    { nonlinearity: 'softmax', scale: 0.5, bias: 'key x row', dropout: false },
  ] as const;
  for (const c of ATTENTION_CASES) {
    it(`fused ${c.nonlinearity} attention (scale ${c.scale}${c.bias ? `, bias per ${c.bias}` : ''}${c.dropout ? ', dropout' : ''}): value and gradients agree with the wasm and cpu engines`, async () => {
      expect(attentionWeightsAvailable()).toBe(true);
      const [L, B, H, d] = [11, 6, 2, 5];
      const N = B * H;
      await agree(() => {
        const batch = new SequenceBatch({ length: L, lengths: Int32Array.from([11, 7, 1, 4, 11, 9]) });
        const mask = c.nonlinearity === 'silu' ? batch.prefixWeights() : batch.prefixSoftmaxMask();
        const dropout = c.dropout ? dropoutMultiplier([L, B, H, L], 0.2, 3) : null;
        const R = seeded([L, N, d], 9);
        const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias?: tf.Tensor) =>
          tf.sum(tf.mul(fusedAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, { nonlinearity: c.nonlinearity, heads: H, mask, scale: c.scale, bias: bias ?? null, dropout }), R));
        const inputs = [seeded([L, N, d], 1), seeded([L, N, d], 2), seeded([L, N, d], 3), ...(c.bias ? [seeded(c.bias === 'key x query' ? [L, 1, 1, L] : [L, B, 1, 1], 4)] : [])];
        const value = f(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor]));
        const grads = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)(inputs);
        return tf.concat([value.reshape([1]), ...grads.map((g) => g.flatten())]);
      });
    });
  }

  it('layer norm (with and without gain and bias, rank 2 and 3): value and gradients agree with the wasm and cpu engines', async () => {
    expect(layerNormKernelAvailable()).toBe(true);
    for (const affine of [true, false]) {
      for (const shape of [[37, 50], [6, 5, 8], [1, 1]]) {
        const dim = shape[shape.length - 1];
        await agree(() => {
          const norm = new LayerNorm(dim, { affine, epsilon: 1e-5 });
          if (norm.gamma && norm.beta) {
            norm.gamma.assign(seeded([dim], 5).add(1));
            norm.beta.assign(seeded([dim], 6));
          }
          const R = seeded(shape, 7);
          const x = seeded(shape, 8).mul(3).add(0.5);
          const f = (t: tf.Tensor) => tf.sum(tf.mul(norm.apply(t), R));
          const affineGrads = norm.gamma && norm.beta ? Object.values(tf.variableGrads(() => f(x) as tf.Scalar, [norm.gamma, norm.beta]).grads) : [];
          const dx = tf.grad(f)(x);
          const out = tf.concat([norm.apply(x).flatten(), dx.flatten(), ...affineGrads.map((g) => g.flatten())]);
          norm.disposeParams();
          return out;
        }, 1e-5, true, false);
      }
    }
    // the plain layer norm kernel call itself: rows of constant values normalise to 0 (r = 1 / sqrt(eps))
    const addon = loadNativeAddon()!;
    const [out, y, r] = [new Float32Array(6), new Float32Array(6), new Float32Array(2)];
    addon.layerNormForward!(Float32Array.from([2, 2, 2, 1, 2, 3]), null, null, out, y, r, 2, 3, 1e-6);
    expect(Array.from(out.slice(0, 3))).toEqual([0, 0, 0]);
    expect(r[0]).toBeCloseTo(1000, 2);
    const small = () => new Float32Array(6);
    expect(() => addon.layerNormForward!(small(), null, null, small(), small(), new Float32Array(1), 2, 3, 1e-6)).toThrow(/layerNormForward: a view is shorter/);
  });

  it('SiLU: the native kernel pair gives the composed x sigmoid(x) and its gradient (wasm, cpu), one kernel each way', async () => {
    expect(siluKernelAvailable()).toBe(true);
    for (const shape of [[37, 50], [3, 4, 5], [1]]) {
      await agree(() => {
        // inputs spanning both tails of the sigmoid (|x| up to 30)
        const x = seeded(shape, 3).mul(60);
        const R = seeded(shape, 4);
        const f = (t: tf.Tensor) => tf.sum(tf.mul(applyActivation(t, 'silu'), R));
        return tf.concat([applyActivation(x, 'silu').flatten(), tf.grad(f)(x).flatten()]);
      }, 1e-5, true, false);
    }
    // extreme inputs: silu(-100) = -0 (exactly 0 in float32), silu(100) = 100, gradients 0 and 1
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-100, -20, 0, 20, 100]);
    expect(Array.from(applyActivation(x, 'silu').dataSync()).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([-0, -0, 0, 20, 100]);
    expect(Array.from(tf.grad((t: tf.Tensor) => tf.sum(applyActivation(t, 'silu')))(x).dataSync()).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([-0, -0, 0.5, 1, 1]);
    // one kernel forward and one backward instead of the composed Sigmoid, Multiply and their gradients
    const kernels: string[] = [];
    const profile = await tf.profile(() => tf.grad((t: tf.Tensor) => applyActivation(t, 'silu'))(seeded([8, 8], 1)));
    for (const k of profile.kernels) kernels.push(k.name);
    expect(kernels.filter((k) => k.startsWith('NextrecSilu'))).toEqual(['NextrecSilu', 'NextrecSiluGrad']);
    expect(kernels).not.toContain('Sigmoid');
    const addon = loadNativeAddon()!;
    expect(() => addon.siluForward!(new Float32Array(4), new Float32Array(3))).toThrow(/siluForward: x and y must have the same length/);
  });

  it('sampled softmax rows: the native kernel pair gives the composed loss and gradients (wasm, cpu), masked negatives included', async () => {
    expect(sampledSoftmaxKernelAvailable()).toBe(true);
    for (const [rows, cols] of [[37, 129], [5, 1], [4, 0], [1, 7]]) {
      await agree(() => {
        const pos = seeded([rows], 1).mul(8) as tf.Tensor1D;
        // a -1e4 entry is a negative equal to the target (sequential-recommender.ts pushes those out this way)
        const mask = Float32Array.from({ length: rows * cols }, (_, i) => (i % 11 === 3 ? -1e4 : 0));
        const neg = tf.add(seeded([rows, cols], 2).mul(8), tf.tensor2d(mask, [rows, cols])) as tf.Tensor2D;
        const R = seeded([rows], 3).add(1);
        const f = (p: tf.Tensor, n: tf.Tensor) => tf.sum(tf.mul(sampledSoftmaxRows(p as tf.Tensor1D, n as tf.Tensor2D), R));
        const [dpos, dneg] = tf.grads(f)([pos, neg]);
        return tf.concat([sampledSoftmaxRows(pos, neg), dpos, dneg.flatten()]);
      }, 1e-5, true, false);
    }
    await tf.setBackend('wasm');
    const profile = await tf.profile(() => tf.grads((p: tf.Tensor, n: tf.Tensor) => tf.sum(sampledSoftmaxRows(p as tf.Tensor1D, n as tf.Tensor2D)))([seeded([6], 1), seeded([6, 9], 2)]));
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels.filter((k) => k.startsWith('NextrecSampledSoftmax'))).toEqual(['NextrecSampledSoftmax', 'NextrecSampledSoftmaxGrad']);
    expect(kernels).not.toContain('Concat');
    const addon = loadNativeAddon()!;
    const v = (n: number) => new Float32Array(n);
    expect(() => addon.sampledSoftmaxForward!(v(3), v(5), v(3), v(3), 3, 2)).toThrow(/sampledSoftmaxForward: a view is shorter/);
  });

  it('the native dropout multiplier draws the JavaScript loop\'s mask bit for bit (same hash, keys and threshold)', () => {
    expect(dropoutMultiplierKernelAvailable()).toBe(true);
    for (const [shape, rate, seed] of [[[50, 128, 1, 50], 0.2, 1234567], [[7, 3], 0.5, 0], [[1000], 0.1, 2 ** 31 - 1], [[33, 2], 0.9, 42], [[4099], 0.3, 2 ** 40 + 5]] as const) {
      setNativeKernelsEnabled(false);
      const js = tf.tidy(() => dropoutMultiplier([...shape], rate, seed).dataSync());
      setNativeKernelsEnabled(true);
      const native = tf.tidy(() => dropoutMultiplier([...shape], rate, seed).dataSync());
      expect(native.length).toBe(js.length);
      let same = 0;
      for (let i = 0; i < native.length; i++) if (Object.is(native[i], js[i])) same++;
      expect(same).toBe(native.length);
      expect(new Set(native).size).toBe(2); // zeros and 1 / keep
    }
  });

  it('Sum / Mean over leading and middle axes: the native loops give the JavaScript kernels\' bits, and cpu within 1e-5', async () => {
    const cases: Array<[number[], number[], boolean]> = [[[1024, 50], [0], false], [[30, 32, 1, 40], [1, 2], true], [[7, 5, 3], [0, 1], false], [[4, 9, 6], [1], false]];
    for (const [shape, axes, keepDims] of cases) {
      for (const op of [tf.sum, tf.mean]) {
        await agree(() => op(seeded(shape, 3), axes, keepDims), 1e-5, true, false);
        setNativeKernelsEnabled(false);
        const js = tf.tidy(() => op(seeded(shape, 4), axes, keepDims).dataSync());
        setNativeKernelsEnabled(true);
        const native = tf.tidy(() => op(seeded(shape, 4), axes, keepDims).dataSync());
        expect(Array.from(native)).toEqual(Array.from(js));
      }
    }
  });

  it('SASRec and HSTU: user embeddings of a trained model agree within 1e-5 across the native and wasm engines', async () => {
    const items = 60;
    const rng = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const next = rng(11);
    const sequences = Array.from({ length: 64 }, () => Array.from({ length: 3 + Math.floor(next() * 12) }, () => 1 + Math.floor(next() * items)));
    const evalData = { hist: sequences.map((s) => s.slice(0, -1)) };
    for (const Model of [SASRec, HSTU]) {
      const hist = new SequenceFeature({ name: 'hist', vocabSize: items + 1, embeddingDim: 16, maxLen: 16 });
      const model = new Model({ sequenceFeatures: [hist], seed: 3, blocks: 2, heads: 2, dropout: 0.1, numNegatives: 16 }) as SequentialRecommender;
      model.compile({ lr: 1e-2 });
      await model.fit({ hist: sequences }, { epochs: 2, batchSize: 32, verbose: 0 });
      setNativeKernelsEnabled(false);
      const wasm = await model.userEmbeddings(evalData);
      setNativeKernelsEnabled(true);
      profileMatMulKernels(true);
      const native = await model.userEmbeddings(evalData);
      expect(profileMatMulKernels(false)!.native.calls).toBeGreaterThan(0);
      let maxDiff = 0;
      for (let i = 0; i < wasm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(native[i] - wasm[i]));
      expect(maxDiff).toBeLessThan(1e-5);
      expect(Math.max(...native) - Math.min(...native)).toBeGreaterThan(0.05);
      model.dispose();
    }
  });

  const BN_CASES = [[1024, 256], [37, 5], [1, 3]] as const;
  for (const activation of ['linear', 'relu'] as const) {
    it(`batch norm + ${activation}: the native forward and backward agree with the JavaScript kernel within 1e-5`, () => {
      const addon = loadNativeAddon()!;
      for (const [rows, cols] of BN_CASES) {
        const n = rows * cols;
        const wave = (len: number, seed: number, offset = 0) => Float32Array.from({ length: len }, (_, i) => offset + Math.sin(i * 12.9898 + seed) * 2);
        // a channel offset far from 0 exercises the two-pass variance; gamma of both signs and beta around 0 mix the relu mask
        const x = Float32Array.from(wave(n, 1), (v, i) => v + (i % cols) * 0.7);
        const gamma = wave(cols, 2, 0.5);
        const beta = wave(cols, 3);
        const dy = wave(n, 4);
        const attrs = { epsilon: 1e-3, activation };
        const js = { y: new Float32Array(n), mean: new Float32Array(cols), variance: new Float32Array(cols) };
        const nat = { y: new Float32Array(n), mean: new Float32Array(cols), variance: new Float32Array(cols) };
        batchNormActForward(x, gamma, beta, rows, cols, attrs, js.y, js.mean, js.variance);
        addon.batchNormActForward(x, gamma, beta, nat.y, nat.mean, nat.variance, rows, cols, 1e-3, activation === 'relu');
        for (const k of ['y', 'mean', 'variance'] as const) expect(maxRelErr(nat[k], js[k])).toBeLessThan(1e-5);
        if (activation === 'relu' && rows > 1) expect(js.y.filter((v) => v === 0).length).toBeGreaterThan(n / 10);
        const jsGrad = { dx: new Float32Array(n), dgamma: new Float32Array(cols), dbeta: new Float32Array(cols) };
        const natGrad = { dx: new Float32Array(n), dgamma: new Float32Array(cols), dbeta: new Float32Array(cols) };
        batchNormActBackward(dy, x, gamma, beta, js.mean, js.variance, rows, cols, attrs, jsGrad.dx, jsGrad.dgamma, jsGrad.dbeta);
        addon.batchNormActBackward(dy, x, gamma, beta, js.mean, js.variance, natGrad.dx, natGrad.dgamma, natGrad.dbeta, rows, cols, 1e-3, activation === 'relu');
        for (const k of ['dx', 'dgamma', 'dbeta'] as const) expect(maxRelErr(natGrad[k], jsGrad[k])).toBeLessThan(1e-5);
      }
    });
  }

  it('batch norm + relu through tfjs: the native kernels run on wasm and give the JavaScript kernels\' values and gradients', () => {
    const addon = loadNativeAddon()!;
    const x = seeded([300, 24], 3) as tf.Tensor2D;
    const gamma = tf.tidy(() => seeded([24], 4).add(0.5)) as tf.Tensor1D;
    const beta = seeded([24], 5) as tf.Tensor1D;
    const dy = seeded([300, 24], 6) as tf.Tensor2D;
    const run = () => tf.tidy(() => {
      const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormAct(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5, 'relu').y;
      const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta], dy);
      return [value, ...grads].map((t) => t.dataSync().slice());
    });
    // native off: the wasm kernels below it run (WebAssembly SIMD, bit-identical to the JavaScript loops)
    const simdCalls = batchNormActSimdCalls();
    setNativeKernelsEnabled(false);
    const js = run();
    setNativeKernelsEnabled(true);
    expect(batchNormActSimdCalls()).toBe(simdCalls + 2);
    const forward = jest.spyOn(addon, 'batchNormActForward');
    const backward = jest.spyOn(addon, 'batchNormActBackward');
    try {
      const native = run();
      expect(forward).toHaveBeenCalledTimes(1);
      expect(backward).toHaveBeenCalledTimes(1);
      // and the native kernels run above the SIMD ones
      expect(batchNormActSimdCalls()).toBe(simdCalls + 2);
      native.forEach((values, i) => expect(maxRelErr(values, js[i])).toBeLessThan(1e-5));
    } finally {
      forward.mockRestore();
      backward.mockRestore();
      tf.dispose([x, gamma, beta, dy]);
    }
  });

  it('dense Adam: the native update gives the bits of the JavaScript kernel, and FusedAdamOptimizer runs it on wasm (one kernel call per step)', () => {
    const addon = loadNativeAddon()!;
    const n = 1000;
    const wave = (seed: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * scale);
    const w = wave(1, 1);
    const g = wave(2, 1e-2);
    const m = wave(3, 1e-3);
    const v = Float32Array.from(wave(4, 1e-4), Math.abs);
    const attrs = { lr: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, correction1: 1 - 0.9 ** 7, correction2: 1 - 0.999 ** 7 };
    const js = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    adamUpdate(w, g, m, v, attrs, js[0], js[1], js[2]);
    const nat = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    const f = Math.fround;
    const constants = Float32Array.from([attrs.beta1, 1 - attrs.beta1, attrs.beta2, 1 - attrs.beta2, attrs.correction1, attrs.correction2, attrs.epsilon, -attrs.lr].map(f));
    addon.adamUpdate(w, g, m, v, nat[0], nat[1], nat[2], constants);
    nat.forEach((out, k) => expect(Array.from(out)).toEqual(Array.from(js[k])));
    expect(maxRelErr(js[0], w)).toBeGreaterThan(1e-4); // the weights moved

    // through tfjs: three Adam steps on wasm, native and JavaScript kernels, identical trajectories
    const train = () => {
      const x = tf.variable(tf.tensor1d(w.slice(0, 64)));
      const y = tf.variable(tf.tensor2d(w.slice(64, 94), [5, 6]));
      const opt = new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-7);
      for (let s = 0; s < 3; s++) {
        const grads = tf.tidy(() => ({ [x.name]: tf.sin(x.mul(s + 1)), [y.name]: tf.cos(y.mul(s + 2)) }));
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      const out = Float32Array.from([...x.dataSync(), ...y.dataSync()]);
      tf.dispose([x, y]);
      opt.dispose();
      return out;
    };
    setNativeKernelsEnabled(false);
    const jsTrained = train();
    setNativeKernelsEnabled(true);
    const spy = jest.spyOn(addon, 'adamUpdate');
    try {
      const nativeTrained = train();
      expect(spy).toHaveBeenCalledTimes(6); // two parameters, three steps
      expect(Array.from(nativeTrained)).toEqual(Array.from(jsTrained));
    } finally {
      spy.mockRestore();
    }
  });

  it('leaks no tensors and no wasm memory over repeated products', () => {
    const a = seeded([64, 32], 1);
    const b = seeded([32, 16], 2);
    const once = () => tf.tidy(() => tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: tf.ones([16]), activation: 'relu' })).dataSync());
    once();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 20; i++) once();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    a.dispose();
    b.dispose();
  });

  it("a saved DeepFM's predictions agree within 1e-6 across the native and wasm engines", async () => {
    const d = syntheticCtr({ rows: 3000, seed: 5 });
    const model = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [32, 16], batchNorm: true }, seed: 5 });
    model.compile({ optimizer: 'adam', lr: 3e-3 });
    await model.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-native-'));
    try {
      await model.save(dir);
      const loaded = await DeepFM.load<DeepFM>(dir);
      setNativeKernelsEnabled(false);
      const wasm = await loaded.predict(d.test);
      setNativeKernelsEnabled(true);
      profileMatMulKernels(true);
      const native = await loaded.predict(d.test);
      expect(profileMatMulKernels(false)!.native.calls).toBeGreaterThan(0);
      let maxDiff = 0;
      for (let i = 0; i < wasm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(native[i] - wasm[i]));
      expect(maxDiff).toBeLessThan(1e-6);
      // and the engines were not both trivially constant
      expect(Math.max(...native) - Math.min(...native)).toBeGreaterThan(0.05);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

/** initBackend in a fresh process (the backend is process-global): its info or error, and its log line. */
function probe(env: Record<string, string>, script = ''): { info?: Record<string, unknown>; error?: string; log: string; extra?: unknown } {
  const code = `
    const tf = require('@tensorflow/tfjs-core');
    const { initBackend, shutdownBackend } = require('./src/basic/backend');
    initBackend().then(async (info) => {
      let extra = null;
      ${script}
      await shutdownBackend();
      process.stdout.write(JSON.stringify({ info, extra }));
    }, (err) => process.stdout.write(JSON.stringify({ error: err.message })));`;
  const clean = { ...process.env };
  for (const k of ['NEXTREC_BACKEND', 'NEXTREC_THREADS', 'NEXTREC_NATIVE_ADDON']) delete clean[k];
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], {
    cwd: REPO, encoding: 'utf8', env: { ...clean, ...env }, maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`probe failed (exit ${r.status}): ${r.stderr}`);
  return { ...JSON.parse(r.stdout), log: r.stderr };
}

describe('NEXTREC_BACKEND and the native kernels', () => {
  (unavailable ? it.skip : it)('unset: wasm + native sgemm, named in the log; wasm: the native kernels stay off', () => {
    const auto = probe({});
    expect(auto.info).toMatchObject({ name: 'wasm', native: nativeKernelsInfo()?.label ?? expect.any(String) });
    expect(auto.log).toMatch(/backend wasm from @tensorflow\/tfjs-backend-wasm \+ native sgemm \((oneDNN|OpenBLAS) \d+\.\d+\)/);
    const wasm = probe({ NEXTREC_BACKEND: 'wasm' });
    expect(wasm.info).toMatchObject({ name: 'wasm' });
    expect(wasm.info!.native).toBeUndefined();
    expect(wasm.log).not.toMatch(/native/);
  });

  (unavailable ? it.skip : it)("a CPU profiler's signals during native products do not corrupt memory (node --cpu-prof)", async () => {
    // oneDNN 2.6's sgemm corrupted the heap when SIGPROF arrived mid-call (abort within a fraction of a second here)
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-prof-'));
    try {
      const script = `
        const a = require(${JSON.stringify(path.join(REPO, 'build', 'Release', 'nextrec_native.node'))});
        a.setThreads(1);
        const M = 128, A = new Float32Array(M * M).fill(1), C = new Float32Array(M * M);
        for (let i = 0; i < 4000; i++) a.sgemm(A, A, C, 1, M, M, M, false, false, 0, 0, null, 0, 0, 0, 0, 0);
        console.log('done', C[0]);`;
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir, '-e', script], { encoding: 'utf8', timeout: 120000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('done 128');
      expect((await fs.readdir(dir)).some((f) => f.endsWith('.cpuprofile'))).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  (unavailable ? it.skip : it)('native with 2 wasm threads (shared wasm memory) computes the same product', () => {
    const r = probe({ NEXTREC_BACKEND: 'native', NEXTREC_THREADS: '2' }, `
      const { profileMatMulKernels } = require('./src/basic/backend/native');
      const a = tf.tensor2d(Float32Array.from({ length: 96 * 40 }, (_, i) => Math.sin(i)), [96, 40]);
      const b = tf.tensor2d(Float32Array.from({ length: 40 * 24 }, (_, i) => Math.cos(i)), [40, 24]);
      profileMatMulKernels(true);
      const c = tf.matMul(a, b, false, false).dataSync();
      const calls = profileMatMulKernels(false).native.calls;
      const av = a.dataSync(), bv = b.dataSync();
      let err = 0;
      for (let i = 0; i < 96; i++) for (let j = 0; j < 24; j++) {
        let s = 0; for (let p = 0; p < 40; p++) s += av[i * 40 + p] * bv[p * 24 + j];
        err = Math.max(err, Math.abs(s - c[i * 24 + j]));
      }
      extra = { err, calls };`);
    expect(r.error).toBeUndefined();
    expect(r.info).toMatchObject({ name: 'wasm', threads: 2 });
    expect(r.info!.native).toBeDefined();
    expect(r.extra).toMatchObject({ calls: 1 });
    expect((r.extra as { err: number }).err).toBeLessThan(1e-4);
  });

  it('native without the addon fails with the fix; unset falls back to wasm quietly', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'nextrec_native.node');
    const forced = probe({ NEXTREC_BACKEND: 'native', NEXTREC_NATIVE_ADDON: missing });
    expect(forced.error).toMatch(/backend "native" requested but the native kernels are unavailable: the native addon is not built/);
    expect(forced.error).toMatch(/apt-get install libdnnl-dev/);
    expect(forced.error).toMatch(/Unset NEXTREC_BACKEND/);
    const auto = probe({ NEXTREC_NATIVE_ADDON: missing });
    expect(auto.info).toMatchObject({ name: 'wasm' });
    expect(auto.info!.native).toBeUndefined();
    const bad = probe({ NEXTREC_BACKEND: 'nativ' });
    expect(bad.error).toMatch(/NEXTREC_BACKEND must be one of auto, tensorflow, wasm, native, cpu \(got 'nativ'\)/);
  });
});

describe('the install hook', () => {
  it('never fails the install: a build that cannot find its BLAS prints one line and exits 0', async () => {
    // a copy, so that node-gyp's clean of build/ leaves this checkout's addon alone
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-native-install-'));
    try {
      await fs.cp(path.join(REPO, 'native'), path.join(dir, 'native'), { recursive: true });
      await fs.copyFile(path.join(REPO, 'binding.gyp'), path.join(dir, 'binding.gyp'));
      const r = spawnSync(process.execPath, [path.join(dir, 'native', 'install.js')], {
        cwd: dir, encoding: 'utf8', env: { ...process.env, NEXTREC_NATIVE_BLAS: 'no-such-blas' },
      });
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      // either node-gyp is missing here, or the detection step names the bad setting
      expect(lines[0]).toMatch(/^nextrec-ts: native kernels not built \((node-gyp not found|NEXTREC_NATIVE_BLAS must be 'onednn' or 'openblas' \(got 'no-such-blas'\).*)\); using the wasm kernels$/);
      expect(await fs.stat(path.join(dir, 'build', 'Release', 'nextrec_native.node')).catch(() => null)).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
