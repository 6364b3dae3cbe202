/**
 * Streams a large CTR data set that is generated on the fly (never materialised) through `model.fitStream` and
 * records resident memory, to show that memory is bounded by the shuffle buffer rather than the data.
 *
 *   npx ts-node --transpile-only benchmarks/stream-rss.ts [--gb 5] [--sparse 8] [--dense 120] [--vocab 10000]
 *       [--batch 4096] [--dim 8] [--mlp 64,32] [--buffer 65536] [--threads 1] [--rows N] [--json out.json]
 *
 * Volume is counted as encoded model input, 4 bytes per id, dense value and label. The default row (8 ids,
 * 120 floats, 1 label = 516 bytes) makes 5 GB 9.7 million rows; `--sparse 26 --dense 13` is Criteo's layout
 * (160 bytes, 31 million rows for 5 GB, about 3x the run time because id lookups dominate the cost of a row).
 */
import 'reflect-metadata';
import { writeFileSync } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { syntheticCtrStream } from '../src/data/synthetic/ctr-stream';
import { arg } from './lib/args';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const gb = Number(arg('gb', '5'));
  const batchSize = Number(arg('batch', '4096'));
  const dim = Number(arg('dim', '8'));
  const mlp = arg('mlp', '64,32').split(',').map(Number);
  const buffer = Number(arg('buffer', String(16 * batchSize)));
  const threads = Number(arg('threads', '1'));
  const jsonOut = arg('json', '');
  const vocabSizes = Array.from({ length: Number(arg('sparse', '8')) }, () => Number(arg('vocab', '10000')));
  const denseCount = Number(arg('dense', '120'));
  const info = await initBackend({ threads });

  const probe = syntheticCtrStream({ rows: 1, embeddingDim: dim, vocabSizes, denseCount });
  const rows = Number(arg('rows', String(Math.round((gb * 1e9) / probe.bytesPerRow))));
  const stream = syntheticCtrStream({ rows, chunkRows: 8192, embeddingDim: dim, vocabSizes, denseCount, seed: 17 });
  const model = new DeepFM({ sparseFeatures: stream.sparseFeatures, denseFeatures: stream.denseFeatures, mlp: { dims: mlp }, seed: 1 });
  model.compile({ lr: 1e-3 });
  const valid = stream.holdout(20_000);

  console.log(`backend ${info.name} (${info.threads} thread(s)); ${vocabSizes.length} ids + ${denseCount} floats + label per row; ${rows.toLocaleString('en-US')} rows x ${stream.bytesPerRow} B = ${((rows * stream.bytesPerRow) / 1e9).toFixed(2)} GB, batch ${batchSize}, shuffle buffer ${buffer} rows`);
  const samples: Array<{ rows: number; rssMB: number; heapMB: number; seconds: number }> = [];
  const t0 = Date.now();
  let seen = 0;
  let peak = 0;
  const stepsTotal = Math.ceil(rows / batchSize);
  const every = Math.max(1, Math.floor(stepsTotal / 200));
  const history = await model.fitStream(stream.source, {
    epochs: 1,
    batchSize,
    shuffleBuffer: buffer,
    validData: valid,
    verbose: 0,
    onStep: ({ step }) => {
      seen = Math.min(rows, step * batchSize);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      if (step % every === 0 || step === stepsTotal) {
        const m = process.memoryUsage();
        samples.push({ rows: seen, rssMB: m.rss / MB, heapMB: m.heapUsed / MB, seconds: (Date.now() - t0) / 1000 });
        if (samples.length % 20 === 0) {
          const s = samples[samples.length - 1];
          console.log(`${((100 * seen) / rows).toFixed(0).padStart(3)}%  ${(seen / 1e6).toFixed(2)}M rows  rss ${s.rssMB.toFixed(0)} MB  heap ${s.heapMB.toFixed(0)} MB  ${Math.round(seen / s.seconds).toLocaleString('en-US')} samples/s`);
        }
      }
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  const at = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))];
  const result = {
    gb: (rows * stream.bytesPerRow) / 1e9,
    rows,
    sparseFields: vocabSizes.length,
    denseFeatures: denseCount,
    bytesPerRow: stream.bytesPerRow,
    batchSize,
    shuffleBuffer: buffer,
    backend: info.name,
    threads: info.threads,
    seconds,
    samplesPerSec: rows / seconds,
    peakRssMB: peak / MB,
    rssAt10pctMB: at(0.1).rssMB,
    rssAt50pctMB: at(0.5).rssMB,
    rssAtEndMB: samples[samples.length - 1].rssMB,
    valAuc: history.epochs[0].val_auc,
    trainLoss: history.epochs[0].loss,
    embeddingParams: model.parameterCount().embedding,
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ result, samples }, null, 2));
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
