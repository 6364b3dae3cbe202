import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend, backendInfo } from '../src/basic/backend';

/** Run `f` on cpu and on wasm and compare results elementwise. */
async function agree(f: () => tf.Tensor, tol = 1e-4): Promise<void> {
  await tf.setBackend('cpu');
  const ref = tf.tidy(f);
  const refVals = ref.dataSync().slice();
  const refShape = ref.shape;
  ref.dispose();
  await tf.setBackend('wasm');
  const got = tf.tidy(f);
  expect(got.shape).toEqual(refShape);
  const vals = got.dataSync();
  got.dispose();
  let maxErr = 0;
  for (let i = 0; i < vals.length; i++) maxErr = Math.max(maxErr, Math.abs(vals[i] - refVals[i]) / Math.max(1, Math.abs(refVals[i])));
  expect(maxErr).toBeLessThanOrEqual(tol);
}

function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5), shape);
}

describe('backend selection and wasm kernel fixes', () => {
  beforeAll(async () => {
    const info = await initBackend({ log: false });
    expect(info.name).toBe('wasm');
    expect(info.matMulFix).toBe(true);
  });
  afterAll(async () => {
    await shutdownBackend();
  });

  it('reports the backend in use', () => {
    expect(backendInfo()).toMatchObject({ name: 'wasm', provider: '@tensorflow/tfjs-backend-wasm' });
  });

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb} matches cpu (2-D and batched)`, async () => {
      await agree(() => tf.matMul(seeded(ta ? [37, 19] : [19, 37], 1), seeded(tb ? [23, 37] : [37, 23], 2), ta, tb));
      await agree(() => tf.matMul(seeded(ta ? [3, 37, 19] : [3, 19, 37], 1), seeded(tb ? [3, 23, 37] : [3, 37, 23], 2), ta, tb));
    });
    it(`fused matMul with bias and relu transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
      await agree(() =>
        tf.fused.matMul({ a: seeded(ta ? [37, 19] : [19, 37], 3) as tf.Tensor2D, b: seeded(tb ? [23, 37] : [37, 23], 4) as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: seeded([23], 5), activation: 'relu' }),
      );
    });
  }

  it('dense-layer gradients (which use transposed products) match cpu', async () => {
    await agree(() => {
      const x = seeded([64, 33], 6);
      const w = seeded([33, 17], 7);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.matMul(a, b)))));
      const [ga, gb] = g([x, w]);
      return tf.concat([ga.flatten(), gb.flatten()]);
    });
  });

  it('host transpose, sum and mean fast paths match cpu for every axis pattern', async () => {
    await agree(() => tf.transpose(seeded([5, 40, 33], 8), [0, 2, 1]));
    await agree(() => tf.transpose(seeded([40, 33], 8)));
    // rows a multiple of 64 take the small tile (cache-set conflicts), with ragged edges in both directions
    await agree(() => tf.transpose(seeded([2, 128, 37], 8), [0, 2, 1]));
    await agree(() => tf.transpose(seeded([1024, 21], 8)));
    await agree(() => tf.transpose(seeded([4, 5, 6], 9), [2, 0, 1]));
    for (const axis of [0, 1, 2, [0, 1], [1, 2], [0, 2], null] as const) {
      await agree(() => tf.sum(seeded([7, 9, 11], 10), axis as never));
      await agree(() => tf.mean(seeded([7, 9, 11], 11), axis as never, true));
    }
    await agree(() => tf.sum(seeded([300, 64], 12), 0));
  });

  it('host slice and split (views of the wasm heap, block copies) give exactly the cpu values for every axis', async () => {
    const x = () => seeded([3, 4, 5, 6], 13);
    for (let axis = 0; axis < 4; axis++) {
      const n = [3, 4, 5, 6][axis];
      await agree(() => tf.concat(tf.split(x(), [1, -1], axis).map((t) => t.reshape([-1]))), 0);
      await agree(() => tf.stack(tf.split(x(), n, axis).map((t) => t.sum())), 1e-6);
    }
    await agree(() => tf.slice(x(), [1, 0, 2, 0], [2, 4, 3, 6]), 0);
    await agree(() => tf.slice(x(), [0, 1, 0, 3], [3, 2, 5, 2]), 0);
    await agree(() => tf.slice(x(), [2, 3, 4, 5], [1, 1, 1, 1]), 0);
    await agree(() => tf.slice(seeded([7], 14), [2], [4]), 0);
    await agree(() => tf.slice(seeded([2, 3, 4, 5, 6], 15), [1, 1, 1, 1, 1], [1, 2, 3, 4, 5]), 0);
    await agree(() => tf.slice(x(), [0, 0, 0, 0], [3, 0, 5, 6]), 0);
    await agree(() => tf.split(tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32'), [2, 1], 1)[1], 0);
    // the gradient of a concat is a split: DCNv2's head and HSTU's projections take this path
    await agree(() => tf.grad((a: tf.Tensor) => tf.concat([a, tf.mul(a, 2)], 1).mul(seeded([4, 6], 16)).sum())(seeded([4, 3], 17)), 1e-6);
  });
});
