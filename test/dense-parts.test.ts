import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { Activation } from '../src/basic/layers/activation';
import { Dense } from '../src/basic/layers/dense';
import { Rng } from '../src/basic/random';
import { densePartsKernelAvailable } from '../src/basic/backend/dense-parts-kernel';
import { nativeKernelsInfo } from '../src/basic/backend/native';
import { maxAbsDiff } from './helpers/ort';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('Dense.applyParts (column blocks without split / concat copies)', () => {
  const cases: Array<[Activation, boolean, number[]]> = [
    ['linear', true, [5, 5, 5]],
    ['relu', true, [3, 7, 2, 3]],
    ['silu', true, [6, 9]],
    ['linear', false, [4, 11]],
  ];
  for (const [activation, useBias, sizes] of cases) {
    it(`${activation}${useBias ? '' : ', no bias'}, blocks [${sizes}]: values and gradients equal tf.split(apply(x))`, async () => {
      const units = sizes.reduce((a, b) => a + b, 0);
      const dense = new Dense(6, units, new Rng(3), activation, useBias);
      if (dense.bias) dense.bias.assign(tf.randomNormal([units], 0, 0.5, 'float32', 4)); // a zero bias would hide a wrong slice
      const x = tf.randomNormal([37, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
      const r = sizes.map((n, i) => tf.randomNormal([37, n], 0, 1, 'float32', 10 + i));
      const loss = (parts: tf.Tensor[]) => tf.addN(parts.map((p, i) => tf.sum(tf.mul(p, r[i])))) as tf.Scalar;
      const split = (t: tf.Tensor2D) => loss(tf.split(dense.apply(t), sizes, 1));
      const parts = (t: tf.Tensor2D) => loss(dense.applyParts(t, sizes));
      const vars = [dense.kernel, ...(dense.bias ? [dense.bias] : [])];
      const a = tf.variableGrads(() => split(x), vars);
      const b = tf.variableGrads(() => parts(x), vars);
      expect(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0])).toBeLessThan(1e-4);
      for (const v of vars) {
        expect(maxAbsDiff(b.grads[v.name].dataSync(), a.grads[v.name].dataSync())).toBeLessThan(1e-4);
        expect(Math.max(...Array.from(a.grads[v.name].dataSync(), Math.abs))).toBeGreaterThan(1e-2);
      }
      const dx1 = tf.grad((t: tf.Tensor) => split(t as tf.Tensor2D))(x).dataSync();
      const dx2 = tf.grad((t: tf.Tensor) => parts(t as tf.Tensor2D))(x).dataSync();
      expect(maxAbsDiff(dx2, dx1)).toBeLessThan(1e-4);
      const shapes = tf.tidy(() => dense.applyParts(x, sizes).map((t) => t.shape));
      expect(shapes).toEqual(sizes.map((n) => [37, n]));
      // with the native kernels the blocks are one kernel each way (no Slice / PadV2 of the weights)
      expect(densePartsKernelAvailable()).toBe(nativeKernelsInfo() !== null);
      if (densePartsKernelAvailable()) {
        const kernels = (await tf.profile(() => tf.grad((t: tf.Tensor) => parts(t as tf.Tensor2D))(x))).kernels.map((k) => k.name);
        expect(kernels.filter((k) => k.startsWith('NextrecDenseParts'))).toEqual(['NextrecDenseParts', 'NextrecDensePartsGrad']);
        expect(kernels).not.toContain('Slice');
        expect(kernels).not.toContain('PadV2');
      }
      tf.dispose([x, ...r, a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    });
  }

  it('rejects block widths that do not sum to the units, naming both', () => {
    const dense = new Dense(4, 10, new Rng(1));
    const x = tf.ones([2, 4]) as tf.Tensor2D;
    expect(() => dense.applyParts(x, [4, 4])).toThrow(/block widths \[4,4\] must be positive integers summing to the 10 units/);
    expect(() => dense.applyParts(x, [11, -1])).toThrow(/summing to the 10 units/);
    x.dispose();
  });
});
