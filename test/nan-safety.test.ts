/** No silent NaN: a diverging fit keeps finite weights and says so; predict refuses non-finite weights. */
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DenseFeature, SparseFeature } from '../src/basic/features';
import { TrainingError } from '../src/basic/model/base-model';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

function data(n = 256) {
  const item = Array.from({ length: n }, (_, i) => 1 + (i % 19));
  const x = Array.from({ length: n }, (_, i) => ((i * 37) % 11) - 5);
  const label = item.map((v) => (v % 2 ? 1 : 0));
  return { item, x, label };
}

function model() {
  return new DeepFM({ sparseFeatures: [new SparseFeature({ name: 'item', vocabSize: 20, embeddingDim: 4 })], denseFeatures: [new DenseFeature({ name: 'x' })], mlp: { dims: [8] }, seed: 2 });
}

describe('non-finite training', () => {
  it('a diverging fit stops with the last finite weights and says so; predict never returns NaN', async () => {
    const m = model();
    m.compile({ optimizer: 'sgd', lr: 1e36 });
    const err = await m.fit(data(), { epochs: 5, batchSize: 32, verbose: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toMatch(/(loss became (NaN|Infinity)|a gradient became non-finite) at step \d+; training stopped and the model keeps the finite weights of step \d+/);
    expect(m.weightsFinite()).toBe(true); // before: NaN weights
    // the kept weights are finite but huge (lr 1e36): their scores overflow, and predict says so instead of returning NaN
    await expect(m.predict(data(16))).rejects.toThrow(/score of row 0 for target 'label' is NaN although the weights are finite/);
    m.dispose();
  });

  it('predict on non-finite weights is an error, not NaN scores', async () => {
    const m = model();
    m.compile();
    const [, p] = m.namedParams()[0];
    p.variable.assign(tf.fill(p.variable.shape, NaN));
    await expect(m.predict(data(8))).rejects.toThrow(/weights are not finite \(training diverged\?\); predict refuses/);
    m.dispose();
  });

  it('tensor count stays flat across steps with the gradient check', async () => {
    const m = model();
    m.compile({ lr: 1e-3 });
    await m.fit(data(), { epochs: 1, batchSize: 64, verbose: 0 });
    const before = tf.memory().numTensors;
    await m.fit(data(), { epochs: 2, batchSize: 64, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('NaN validation metrics', () => {
  it('AUC on one-class validation warns, and early stopping never keeps or restores an epoch because of NaN', async () => {
    const m = model();
    m.compile({ lr: 0.01, metrics: ['auc'] });
    const oneClass = { ...data(64), label: new Array(64).fill(1) };
    const warnings: string[] = [];
    const spy = jest.spyOn(console, 'warn').mockImplementation((msg: string) => void warnings.push(msg));
    let history;
    try {
      history = await m.fit(data(), { epochs: 3, batchSize: 64, verbose: 0, validData: oneClass, earlyStopping: { monitor: 'val_auc', patience: 2 } });
    } finally {
      spy.mockRestore();
    }
    expect(history.epochs[0].val_auc).toBeNaN();
    expect(warnings.join('\n')).toMatch(/val_auc is NaN at epoch 1 \(validation labels of a single class\?\); early stopping ignores NaN values/);
    expect(history.best).toBeUndefined(); // before: epoch 1 kept as "best" with value NaN and restored at the end
    expect(history.stoppedEarly).toBe(true);
    m.dispose();
  });
});
