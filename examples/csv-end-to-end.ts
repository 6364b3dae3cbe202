/**
 * Raw CSV -> DataProcessor -> DeepFM.fit -> save processor and model -> load both -> predict on new raw rows.
 *
 *   npx ts-node --transpile-only examples/csv-end-to-end.ts [train.csv] [new_rows.csv]
 *
 * Defaults to the small fixture in test/fixtures/ctr (user_id, item_id, category, price, age, hist, label).
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DataProcessor } from '../src/data/processor';
import { csvSource } from '../src/data/readers/csv';
import { readAll } from '../src/data/raw';
import { DeepFM } from '../src/models/ranking/deepfm';

export async function csvEndToEnd(trainCsv: string, newRowsCsv: string, outDir: string, log = console.log): Promise<{ predictions: Float32Array; reloaded: Float32Array; valAuc: number }> {
  // 1. declare how raw columns become features, and learn vocabularies and scalers from the training file
  const processor = new DataProcessor({
    sparse: ['user_id', { name: 'item_id', minFreq: 2 }, 'category'],
    dense: [{ name: 'price', scaler: 'log' }, { name: 'age', scaler: 'standard' }],
    sequence: [{ name: 'hist', maxLen: 8, separator: '|', shareVocabWith: 'item_id' }],
    labels: ['label'],
    embeddingDim: 8,
  });
  await processor.fit(trainCsv);

  // 2. encode (the file is small: in memory; for big files use processor.batchSource + model.fitStream)
  const data = await processor.transformAll(trainCsv);
  const n = (data.label as Float32Array).length;
  const cut = Math.floor(n * 0.8);
  const slice = (lo: number, hi: number) => {
    const out: Record<string, Int32Array | Float32Array> = {};
    for (const [k, v] of Object.entries(data)) {
      const width = k === 'hist' ? 8 : 1;
      out[k] = (v as Int32Array | Float32Array).slice(lo * width, hi * width);
    }
    return out;
  };

  // 3. a model built from the processor's feature declarations (vocabulary sizes included)
  const model = new DeepFM({ ...processor.modelConfig(), mlp: { dims: [32, 16] }, seed: 7 });
  model.compile({ optimizer: 'adam', lr: 2e-3, metrics: ['auc', 'logloss'] });
  const history = await model.fit(slice(0, cut), { validData: slice(cut, n), epochs: 4, batchSize: 256, verbose: 0 });
  const valAuc = history.epochs[history.epochs.length - 1].val_auc;
  log(`trained on ${cut} rows, validation AUC ${valAuc.toFixed(4)}`);

  // 4. save both: the processor next to the model, so serving encodes exactly like training
  await model.save(outDir);
  await processor.save(outDir);

  // 5. serving side: load both, encode new raw rows (no label column), predict
  const served = await DataProcessor.load(outDir);
  const loaded = await DeepFM.load<DeepFM>(outDir);
  const raw = await readAll(csvSource(newRowsCsv));
  const reloaded = await loaded.predict(served.transform(raw.columns));
  const predictions = await model.predict(processor.transform(raw.columns));
  log(`scored ${raw.numRows} new rows, e.g. ${Array.from(reloaded.slice(0, 3), (p) => p.toFixed(4)).join(', ')}`);
  return { predictions, reloaded, valAuc };
}

if (require.main === module) {
  const fixtures = path.join(__dirname, '..', 'test', 'fixtures', 'ctr');
  const [train = path.join(fixtures, 'train.csv'), fresh = path.join(fixtures, 'new_rows.csv')] = process.argv.slice(2);
  const out = mkdtempSync(path.join(tmpdir(), 'nextrec-e2e-'));
  (async () => {
    await initBackend();
    try {
      await csvEndToEnd(train, fresh, out);
      console.log(`model and processor saved in ${out}`);
    } finally {
      await shutdownBackend();
    }
  })().catch((err) => {
    console.error(err);
    rmSync(out, { recursive: true, force: true });
    process.exit(1);
  });
}
