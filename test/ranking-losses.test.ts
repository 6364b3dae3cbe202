import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { losses } from '../src/basic/catalog';
import { bceWithLogits, focalLoss, LossSpec } from '../src/loss/pointwise';
import { syntheticCross3 } from '../src/data/synthetic/cross3';
import { DCNv2 } from '../src/models/ranking/dcnv2';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const task = syntheticCross3({ rows: 2000, seed: 4 });
const make = (targets?: Array<string | { name: string; type: 'binary' | 'regression' }>) =>
  new DCNv2({ sparseFeatures: task.sparseFeatures, mlp: { dims: [8] }, cross: { numLayers: 1 }, seed: 2, targets });

/** Logits of the model on the test rows, recovered from its sigmoid outputs. */
function logitsOf(p: Float32Array): tf.Tensor1D {
  return tf.tensor1d(Array.from(p, (v) => Math.log(v / (1 - v))));
}

describe('losses selectable by name in compile', () => {
  it('registers bce, weighted_bce, focal and mse', () => {
    expect(losses.list()).toEqual(expect.arrayContaining(['bce', 'weighted_bce', 'focal', 'mse']));
  });

  it.each([
    ['bce', undefined, () => bceWithLogits],
    ['focal', { gamma: 2, alpha: 0.25 }, () => focalLoss({ gamma: 2, alpha: 0.25 })],
  ] as const)('%s: evaluate reports the named loss of the predictions, and fit trains with it', async (name, lossParams, direct) => {
    const m = make();
    m.compile({ loss: name, lossParams: lossParams ? { ...lossParams } : undefined });
    const h = await m.fit(task.train, { epochs: 2, batchSize: 256, verbose: 0 });
    expect(h.epochs[1].loss).toBeLessThan(h.epochs[0].loss);
    const report = await m.evaluate(task.test);
    const p = await m.predict(task.test);
    const expected = tf.tidy(() => direct()(logitsOf(p), tf.tensor1d(task.test.label as Float32Array)).dataSync()[0]);
    expect(report.loss).toBeCloseTo(expected, 3);
    m.dispose();
  });

  it('weighted_bce takes posWeight and penalises missed positives more', async () => {
    const m = make();
    m.compile({ loss: 'weighted_bce', lossParams: { posWeight: 3 } });
    const weighted = (await m.evaluate(task.test)).loss;
    m.compile({ loss: 'bce' });
    const plain = (await m.evaluate(task.test)).loss;
    expect(weighted).toBeGreaterThan(plain);
    expect(() => m.compile({ loss: 'weighted_bce' })).toThrow(/posWeight/);
    m.dispose();
  });

  it('mse serves regression targets with identity outputs; a LossSpec object works too', async () => {
    const m = make([{ name: 'label', type: 'regression' }]);
    m.compile({ loss: 'mse', metrics: ['mse'] });
    await m.fit(task.train, { epochs: 1, batchSize: 256, verbose: 0 });
    const report = await m.evaluate(task.test);
    expect(report.loss).toBeCloseTo(report.mse, 4);
    const custom: LossSpec = { name: 'half_bce', output: 'logit', fn: (o, y, w) => tf.mul(bceWithLogits(o, y, w), 0.5) as tf.Scalar };
    const b = make();
    b.compile({ loss: custom });
    const half = (await b.evaluate(task.test)).loss;
    b.compile({ loss: 'bce' });
    expect(half).toBeCloseTo((await b.evaluate(task.test)).loss / 2, 5);
    expect(() => b.compile({ loss: 'hinge' })).toThrow(/unknown loss 'hinge'/);
    expect(() => m.compile({ loss: 'focal' })).toThrow(/regression target/);
    m.dispose();
    b.dispose();
  });
});
