import { DenseFeature, SparseFeature } from '../../src/basic/features';
import { DeepFM } from '../../src/models/ranking/deepfm';
import { Rng } from '../../src/basic/random';

/** Columnar rows with a feature whose table file name needs percent-encoding ('site:id' -> site%3Aid.bin). */
export function servingData(rows: number, seed = 5): Record<string, Int32Array | Float32Array> {
  const rng = new Rng(seed);
  const site = new Int32Array(rows);
  const user = new Int32Array(rows);
  const price = new Float32Array(rows);
  const label = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    site[i] = 1 + Math.floor(rng.uniform(0, 30));
    user[i] = 1 + Math.floor(rng.uniform(0, 60));
    price[i] = rng.uniform(-1, 1);
    label[i] = (site[i] % 3 === 0) !== price[i] > 0.5 ? 1 : 0;
  }
  return { 'site:id': site, user, price, label };
}

/** A small DeepFM trained for one epoch with Adam (so its tables carry optimizer slots). */
export async function trainedServingModel(): Promise<DeepFM> {
  const m = new DeepFM({
    sparseFeatures: [new SparseFeature({ name: 'site:id', vocabSize: 32, embeddingDim: 8 }), new SparseFeature({ name: 'user', vocabSize: 64, embeddingDim: 8 })],
    denseFeatures: [new DenseFeature({ name: 'price' })],
    mlp: { dims: [16, 8] },
    seed: 3,
  });
  m.compile({ optimizer: 'adam', lr: 3e-3 });
  await m.fit(servingData(512), { epochs: 1, batchSize: 64, verbose: 0 });
  return m;
}
