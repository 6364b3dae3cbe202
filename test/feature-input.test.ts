import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DenseFeature, SequenceFeature, SparseFeature } from '../src/basic/features';
import { EmbeddingRequest } from '../src/basic/embedding/embedding-collection';
import { FeatureInput, FeatureInputBatch, FeatureInputHost, FeatureInputOptions } from '../src/basic/layers/feature-input';
import { Rng } from '../src/basic/random';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const B = 3;
const values = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => offset + i / 10);

function build(host: Partial<FeatureInputHost>, options: FeatureInputOptions = {}) {
  const requests: EmbeddingRequest[] = [];
  const full: FeatureInputHost = { sparseFeatures: [], sequenceFeatures: [], denseFeatures: [], modelName: () => 'Probe', ...host };
  const layer = new FeatureInput(full, (r) => requests.push(r), options, new Rng(1));
  return { layer, requests };
}

describe('FeatureInput (the shared input layer)', () => {
  const a = new SparseFeature({ name: 'a', vocabSize: 10, embeddingDim: 4 });
  const b = new SparseFeature({ name: 'b', vocabSize: 10, embeddingDim: 2 });
  const c = new SparseFeature({ name: 'c', vocabSize: 10, embeddingDim: 4 });
  const hist = new SequenceFeature({ name: 'hist', vocabSize: 10, maxLen: 3, embeddingDim: 4, pooling: 'sum' });
  const x = new DenseFeature({ name: 'x', dim: 2 });

  it('stacks sparse features per width and concatenates [sparse..., pooled sequences..., dense] in flat()', () => {
    const { layer, requests } = build({ sparseFeatures: [a, b, c], sequenceFeatures: [hist], denseFeatures: [x] });
    expect(requests.map((r) => r.key)).toEqual(['fields:d4', 'fields:d2', 'seq:hist']);
    expect(layer.flatWidth).toBe(4 + 2 + 4 + 4 + 2);
    const batch: FeatureInputBatch = {
      batchSize: B,
      embeddings: {
        'fields:d4': tf.tensor3d(values(B * 2 * 4, 0), [B, 2, 4]),
        'fields:d2': tf.tensor3d(values(B * 2, 10), [B, 1, 2]),
        'seq:hist': tf.tensor3d(values(B * 3 * 4, 20), [B, 3, 4]),
      },
      masks: { 'seq:hist': tf.tensor2d([1, 1, 0, 1, 0, 0, 0, 0, 0], [B, 3]) },
      dense: tf.tensor2d(values(B * 2, 30), [B, 2]),
    };
    const flat = layer.flat(batch).arraySync();
    const e4 = batch.embeddings['fields:d4'].arraySync() as number[][][];
    const seq = batch.embeddings['seq:hist'].arraySync() as number[][][];
    const mask = batch.masks['seq:hist'].arraySync();
    for (let r = 0; r < B; r++) {
      const pooled = [0, 1, 2, 3].map((d) => seq[r].reduce((s, item, l) => s + item[d] * mask[r][l], 0));
      const expected = [...e4[r][0], ...e4[r][1], ...(batch.embeddings['fields:d2'].arraySync() as number[][][])[r][0], ...pooled, ...(batch.dense!.arraySync()[r])];
      expected.forEach((v, i) => expect(flat[r][i]).toBeCloseTo(v, 5));
    }
    expect(Array.from(layer.sparseEmbedding(batch, 'c').dataSync())).toEqual(Array.from(batch.embeddings['fields:d4'].slice([0, 1, 0], [-1, 1, -1]).dataSync()));
    expect(() => layer.sparseEmbedding(batch, 'hist')).toThrow(/'hist' is not a sparse feature of this model/);
  });

  it('numeric embeddings make each dense column a field x_k v_k, with exact gradients', () => {
    const { layer } = build({ sparseFeatures: [a, c], denseFeatures: [x] }, { fields: true, numericEmbedding: true, linear: true });
    expect(layer.numFields).toBe(4);
    expect(layer.fieldDim).toBe(4);
    const dense = tf.tensor2d([0.5, -2, 1, 0, 3, 0.25], [B, 2]);
    const batch: FeatureInputBatch = {
      batchSize: B,
      embeddings: { 'fields:d4': tf.tensor3d(values(B * 2 * 4, 0), [B, 2, 4]), linear: tf.zeros([B, 2, 1]) },
      masks: {},
      dense,
    };
    const fields = layer.fields(batch);
    expect(fields.shape).toEqual([B, 4, 4]);
    const [, v] = layer.namedParams()[0];
    expect(layer.namedParams().map(([n]) => n)).toEqual(['numeric']);
    const vs = v.variable.arraySync() as number[][];
    const f = fields.arraySync();
    const xs = dense.arraySync();
    for (let r = 0; r < B; r++) for (let k = 0; k < 2; k++) for (let d = 0; d < 4; d++) expect(f[r][2 + k][d]).toBeCloseTo(xs[r][k] * vs[k][d], 6);
    // d/dv_kd of sum(fields * coef) = sum_b x_bk coef_b,2+k,d
    const coef = tf.randomNormal([B, 4, 4], 0, 1, 'float32', 3);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.fields(batch), coef)) as tf.Scalar, [v.variable]);
    const g = grads[v.variable.name].arraySync() as number[][];
    const cs = coef.arraySync() as number[][][];
    for (let k = 0; k < 2; k++) for (let d = 0; d < 4; d++) expect(g[k][d]).toBeCloseTo(xs.reduce((s, row, r) => s + row[k] * cs[r][2 + k][d], 0), 4);
    expect(layer.linearWeights(batch)).toBe(batch.embeddings.linear);
    layer.disposeParams();
  });

  it('explains what is wrong with a feature set it cannot serve', () => {
    expect(() => build({ sparseFeatures: [a, b] }, { fields: true })).toThrow(/Probe: every embedded feature must share one embeddingDim .*a=4, b=2/);
    const attn = new SequenceFeature({ name: 'clicks', vocabSize: 10, maxLen: 3, embeddingDim: 4, pooling: 'attention' });
    expect(() => build({ sparseFeatures: [a], sequenceFeatures: [attn] })).toThrow(/sequence feature 'clicks' needs pooling 'mean', 'sum' or 'max' \(got 'attention'\)/);
    expect(build({ sparseFeatures: [a], sequenceFeatures: [attn] }, { sequences: 'raw' }).layer.flatWidth).toBe(4);
    expect(() => build({ sparseFeatures: [a], denseFeatures: [x] }, { numericEmbedding: true })).toThrow(/numericEmbedding needs the field view/);
    expect(() => build({ denseFeatures: [x] }, { fields: true })).toThrow(/needs at least one sparse or pooled sequence feature/);
  });
});
