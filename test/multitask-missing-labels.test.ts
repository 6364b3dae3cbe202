import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { createLoss } from '../src/loss/pointwise';
import { maskedTaskLoss } from '../src/basic/model/missing-labels';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { SharedBottom } from '../src/models/multitask';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const two = syntheticTwoTasks({ rows: 400, seed: 11 });
const base = { sparseFeatures: two.sparseFeatures, denseFeatures: two.denseFeatures, targets: two.taskNames, seed: 5, bottom: { dims: [16] }, tower: { dims: [8] } };
const train = two.train as Record<string, Float32Array | Int32Array>;
const n = (train.like as Float32Array).length;
/** Every third row has no 'like' label. */
const masked = (i: number) => i % 3 === 0;

function withLike(cols: Record<string, Float32Array | Int32Array>, value: (i: number, old: number) => number): Record<string, Float32Array | Int32Array> {
  const like = cols.like as Float32Array;
  return { ...cols, like: Float32Array.from(like, (v, i) => value(i, v)) };
}

function rowsWhere(cols: Record<string, Float32Array | Int32Array>, keep: (i: number) => boolean): Record<string, Float32Array | Int32Array> {
  const idx = Array.from({ length: n }, (_, i) => i).filter(keep);
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, v] of Object.entries(cols)) out[k] = v instanceof Int32Array ? Int32Array.from(idx, (i) => v[i]) : Float32Array.from(idx, (i) => v[i]);
  return out;
}

describe('missing labels (ignoreLabel)', () => {
  test('masked rows contribute no loss and no gradient (finite differences, NaN marker)', () => {
    const bce = createLoss('bce');
    const labels = tf.tensor2d([1, NaN, 0, NaN, 1, 0], [6, 1]);
    const logits = [0.3, -1.2, 0.8, 2.0, -0.4, 0.1];
    const lossAt = (x: number[]) => tf.tidy(() => maskedTaskLoss(bce, tf.tensor2d(x, [6, 1]), labels, NaN).dataSync()[0]);
    const grad = tf.tidy(() => tf.grad((o: tf.Tensor) => maskedTaskLoss(bce, o, labels, NaN))(tf.tensor2d(logits, [6, 1])).dataSync());
    const eps = 1e-2;
    for (let i = 0; i < 6; i++) {
      const up = logits.slice();
      const down = logits.slice();
      up[i] += eps;
      down[i] -= eps;
      const fd = (lossAt(up) - lossAt(down)) / (2 * eps);
      if (i === 1 || i === 3) {
        expect(grad[i]).toBe(0);
        expect(fd).toBe(0);
      } else {
        expect(Math.abs(grad[i] - fd)).toBeLessThan(1e-3);
        // the mean is over the 4 labelled rows only: d/dx_i = (sigmoid(x_i) - y_i) / 4
        const y = [1, NaN, 0, NaN, 1, 0][i];
        expect(grad[i]).toBeCloseTo((1 / (1 + Math.exp(-logits[i])) - y) / 4, 5);
      }
    }
    // the loss equals the plain loss on the labelled rows
    const plain = tf.tidy(() => bce.fn(tf.tensor2d([0.3, 0.8, -0.4, 0.1], [4, 1]), tf.tensor2d([1, 0, 1, 0], [4, 1])).dataSync()[0]);
    expect(lossAt(logits)).toBeCloseTo(plain, 6);
    labels.dispose();
  });

  test("a model's step on rows with masked 'like' labels equals the step on the labelled rows alone", async () => {
    // only the 'like' loss counts, so any difference would come from the masked rows
    const full = withLike(train, (i, v) => (masked(i) ? -1 : v));
    const a = new SharedBottom(base).compile({ lr: 1e-2, lossWeights: [0, 1], ignoreLabel: { like: -1 } });
    const b = new SharedBottom(base).compile({ lr: 1e-2, lossWeights: [0, 1] });
    await a.fit(full, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    await b.fit(rowsWhere(train, (i) => !masked(i)), { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const pa = a.namedParams();
    const pb = b.namedParams();
    let maxDiff = 0;
    let moved = 0;
    pa.forEach(([, p], k) => {
      const va = p.variable.dataSync();
      const vb = pb[k][1].variable.dataSync();
      for (let i = 0; i < va.length; i++) maxDiff = Math.max(maxDiff, Math.abs(va[i] - vb[i]));
      moved++;
    });
    expect(moved).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-6);
    // ...and the masked rows did change the click task's gradient once it has weight (they are labelled for click)
    const c = new SharedBottom(base).compile({ lr: 1e-2, lossWeights: [1, 1], ignoreLabel: { like: -1 } });
    await c.fit(full, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const d = new SharedBottom(base).compile({ lr: 1e-2, lossWeights: [1, 1] });
    await d.fit(rowsWhere(train, (i) => !masked(i)), { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const diff = Math.abs(c.namedParams()[0][1].variable.dataSync()[0] - d.namedParams()[0][1].variable.dataSync()[0]);
    expect(diff).toBeGreaterThan(1e-7);
    for (const m of [a, b, c, d]) m.dispose();
  });

  test('metrics and loss leave out rows without the label; the other task keeps every row', async () => {
    const model = new SharedBottom(base).compile({ lr: 3e-3, ignoreLabel: NaN });
    const withNaN = withLike(train, (i, v) => (masked(i) ? NaN : v));
    await model.fit(withNaN, { epochs: 1, batchSize: 64, verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fit(withNaN, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const report = await model.evaluate(withNaN, { batchSize: n });
    const preds = await model.predictTargets(train);
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !masked(i));
    const likeLabels = train.like as Float32Array;
    expect(report.auc_like).toBeCloseTo(auc(Float32Array.from(keep, (i) => likeLabels[i]), Float32Array.from(keep, (i) => preds.like[i])), 6);
    expect(report.auc_click).toBeCloseTo(auc(train.click as Float32Array, preds.click), 6);
    // the labelled-only report differs from one that would have scored the masked rows as negatives
    const asNegatives = await model.evaluate(withLike(train, (i, v) => (masked(i) ? 0 : v)), { batchSize: n });
    expect(Math.abs(asNegatives.auc_like - report.auc_like)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  test('every value other than the declared marker is still an error naming the column and row', async () => {
    const model = new SharedBottom(base).compile({ ignoreLabel: { like: -1 } });
    await expect(model.evaluate(withLike(train, (i, v) => (i === 7 ? 2 : v)))).rejects.toThrow("label 'like' row 7: binary labels must be 0 or 1 (or the ignoreLabel -1), got 2");
    await expect(model.evaluate(withLike(train, (i, v) => (i === 4 ? NaN : v)))).rejects.toThrow("column 'like' row 4: value NaN is not a finite number");
    // the click target declared no marker: -1 there is an error that points at the option
    const badClick = { ...train, click: Float32Array.from(train.click as Float32Array, (v, i) => (i === 3 ? -1 : v)) };
    await expect(model.evaluate(badClick)).rejects.toThrow("label 'click' row 3: binary labels must be 0 or 1, got -1; mark missing labels with compile({ ignoreLabel })");
    expect(() => model.compile({ ignoreLabel: { likes: -1 } })).toThrow("compile: ignoreLabel names 'likes', which is not a target (targets: click, like)");
    model.dispose();
  });
});
