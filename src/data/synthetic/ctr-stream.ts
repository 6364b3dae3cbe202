import { Rng } from '../../basic/random';
import { DenseFeature, SparseFeature } from '../../basic/features';
import { ColumnarInput } from '../../basic/dataset/dataset';
import type { BatchSource } from '../../basic/dataset/stream';
import { sigmoid, ZipfSampler } from './common';

/** Options of {@link syntheticCtrStream}. */
export interface SyntheticCtrStreamOptions {
  /** Rows per epoch (the stream never holds more than one chunk of them). */
  rows: number;
  /** Rows per generated chunk (default 8192). */
  chunkRows?: number;
  /** Vocabulary size of each categorical field, padding included (default 26 fields of 10,000). */
  vocabSizes?: number[];
  /** Number of standard-normal dense features (default 13). */
  denseCount?: number;
  /** Width of the planted latent vectors (default 4). */
  latentDim?: number;
  /** Embedding width declared on the features (default 16). */
  embeddingDim?: number;
  seed?: number;
}

/** A CTR stream generated on the fly: a {@link BatchSource} plus its features and a held-out set. */
export interface SyntheticCtrStream {
  source: BatchSource;
  sparseFeatures: SparseFeature[];
  denseFeatures: DenseFeature[];
  /** Bytes of one encoded row (4 per id, dense value and label): rows x this = the stream's volume. */
  bytesPerRow: number;
  /** `n` rows from the same process, never part of the stream (for validation). */
  holdout(n: number): ColumnarInput;
}

/**
 * An endless-looking CTR stream for training on data that is never materialised: every chunk is generated from its
 * index (so each epoch replays the same rows) by a planted logistic model (per-id biases, latent interactions of
 * neighbouring fields, a linear dense term). Memory use does not depend on `rows`.
 */
export function syntheticCtrStream(opts: SyntheticCtrStreamOptions): SyntheticCtrStream {
  const { rows, chunkRows = 8192, denseCount = 13, latentDim = 4, embeddingDim = 16, seed = 17 } = opts;
  const vocabSizes = opts.vocabSizes ?? Array.from({ length: 26 }, () => 10_000);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`syntheticCtrStream: rows must be a positive integer (got ${rows})`);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`syntheticCtrStream: chunkRows must be a positive integer (got ${chunkRows})`);
  const F = vocabSizes.length;
  const rng = new Rng(seed);
  const bias = vocabSizes.map((v) => Float32Array.from({ length: v }, () => 0.4 * rng.normal()));
  const latent = vocabSizes.map((v) => Float32Array.from({ length: v * latentDim }, () => rng.normal() / Math.sqrt(latentDim)));
  const denseW = Float32Array.from({ length: denseCount }, () => 0.5 * rng.normal());
  const samplers = vocabSizes.map((v) => new ZipfSampler(v, 1.05));
  const sparseFeatures = vocabSizes.map((v, f) => new SparseFeature({ name: `c${f}`, vocabSize: v, embeddingDim }));
  const denseFeatures = Array.from({ length: denseCount }, (_, d) => new DenseFeature({ name: `d${d}` }));

  const generate = (n: number, r: Rng): ColumnarInput => {
    const ids = vocabSizes.map(() => new Int32Array(n));
    const dense = Array.from({ length: denseCount }, () => new Float32Array(n));
    const label = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let z = -1.0;
      for (let f = 0; f < F; f++) {
        const id = samplers[f].sample(r);
        ids[f][i] = id;
        z += bias[f][id];
      }
      for (let f = 0; f + 1 < F; f++) {
        const a = ids[f][i] * latentDim;
        const b = ids[f + 1][i] * latentDim;
        let dot = 0;
        for (let k = 0; k < latentDim; k++) dot += latent[f][a + k] * latent[f + 1][b + k];
        z += dot;
      }
      for (let d = 0; d < denseCount; d++) {
        const x = r.normal();
        dense[d][i] = x;
        z += denseW[d] * x;
      }
      label[i] = r.next() < sigmoid(z) ? 1 : 0;
    }
    const out: ColumnarInput = { label };
    sparseFeatures.forEach((f, k) => (out[f.name] = ids[k]));
    denseFeatures.forEach((f, k) => (out[f.name] = dense[k]));
    return out;
  };

  const source: BatchSource = {
    description: `synthetic CTR stream (${rows} rows)`,
    numRows: rows,
    chunks: () =>
      (async function* () {
        for (let start = 0, c = 0; start < rows; start += chunkRows, c++) {
          // each chunk has its own seeded stream, so epochs replay identical rows without storing them
          yield generate(Math.min(chunkRows, rows - start), new Rng(seed * 1_000_003 + c + 1));
        }
      })(),
  };
  return {
    source,
    sparseFeatures,
    denseFeatures,
    bytesPerRow: 4 * (F + denseCount + 1),
    holdout: (n: number) => generate(n, new Rng(seed * 7 + 999_983)),
  };
}
