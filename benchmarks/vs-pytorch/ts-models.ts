/**
 * nextrec-ts side of the speed comparison with PyTorch (issue 12): the four models at the shapes of
 * torch_step_server.py, on synthetic data, with a function that runs exactly one training step.
 * Shared by ts-step-server.ts (the driver's node process) and benchmarks/step-breakdown.ts.
 */
import { BaseModel } from '../../src/basic/model/base-model';
import { Dataset } from '../../src/basic/dataset/dataset';
import { SequenceFeature, SparseFeature } from '../../src/basic/features';
import { Rng } from '../../src/basic/random';
import { DeepFM } from '../../src/models/ranking/deepfm';
import { DCNv2 } from '../../src/models/ranking/dcnv2';
import { HSTU } from '../../src/models/generative/hstu';
import { SASRec } from '../../src/models/generative/sasrec';

/** The models of the comparison; sequence models take the history length separately. */
export const BENCH_MODELS = ['deepfm', 'dcnv2', 'sasrec', 'hstu'] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

/** MovieLens-1M cardinalities (+1 for padding id 0), as benchmarks/throughput.ts scenario (a) and the Python side. */
export const ML1M_VOCABS = [6041, 3953, 3, 8, 22, 679, 19];
export const ITEMS = 3706;
export const RANK_BATCH = 1024;
export const SEQ_BATCH = 128;
export const SEQ_DIM = 50;
export const NEGATIVES = 128;
/** Synthetic batches cycled through (the Python side uses the same count). */
export const POOL = 4;

/** A model ready to train, and one training step on batch `i % POOL` returning the data loss. */
export interface StepBench {
  model: BaseModel;
  /** Human-readable shapes, written into the results. */
  shapes: string;
  step(i: number): number;
  /** The host embedding collection (for the step breakdown's host timing). */
  embeddings: unknown;
}

type TrainStepFn = (data: Dataset, indices: Int32Array, compiled: unknown) => number;

/**
 * Build `name` (sequence length `len` for SASRec / HSTU), compile it with Adam (lr 1e-3) and return a one-step runner.
 * The step calls BaseModel's private trainStep directly: exactly what fit runs per batch (embedding lookup, forward,
 * backward, dense and sparse optimizer updates), without fit's per-call bookkeeping. Should BaseModel rename it,
 * this throws a clear error rather than silently timing something else.
 */
export function buildBench(name: BenchModel, len = 50, seed = 1): StepBench {
  const rng = new Rng(seed);
  let model: BaseModel;
  let data: Record<string, unknown>;
  let batch: number;
  let shapes: string;
  if (name === 'deepfm' || name === 'dcnv2') {
    batch = RANK_BATCH;
    const rows = batch * POOL;
    const features = ML1M_VOCABS.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
    const cols: Record<string, Int32Array | Float32Array> = {};
    // skewed ids, as in real logs: most traffic on a small head of each vocabulary
    for (const f of features) cols[f.name] = Int32Array.from({ length: rows }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
    cols.label = Float32Array.from({ length: rows }, () => (rng.next() < 0.3 ? 1 : 0));
    data = cols;
    const mlp = { dims: [256, 128], batchNorm: true };
    model =
      name === 'deepfm'
        ? new DeepFM({ sparseFeatures: features, mlp, seed })
        : new DCNv2({ sparseFeatures: features, structure: 'parallel', cross: { numLayers: 3 }, mlp, seed });
    shapes = `${features.length} fields (ML-1M cardinalities) x dim 16, MLP [256,128]+BN${name === 'dcnv2' ? ', 3 full-rank cross layers, parallel' : ''}, batch ${batch}, Adam`;
  } else {
    batch = SEQ_BATCH;
    const rows = batch * POOL;
    const hist = new SequenceFeature({ name: 'hist', vocabSize: ITEMS + 1, embeddingDim: SEQ_DIM, maxLen: len });
    data = { hist: Array.from({ length: rows }, () => Int32Array.from({ length: len }, () => 1 + rng.int(ITEMS))) };
    const Model = name === 'sasrec' ? SASRec : HSTU;
    model = new Model({ sequenceFeatures: [hist], blocks: 2, heads: 1, dropout: 0.2, numNegatives: NEGATIVES, seed });
    shapes = `dim ${SEQ_DIM}, 2 blocks, 1 head, length ${len}, batch ${batch}, ${NEGATIVES} shared sampled negatives, ${ITEMS} items, Adam`;
  }
  model.compile({ optimizer: 'adam', lr: 1e-3 });
  const ds = model.bindData(data as never, true);
  const compiled = model.internals().compiled;
  const trainStep = (model as unknown as { trainStep?: TrainStepFn }).trainStep;
  if (typeof trainStep !== 'function') {
    throw new Error('benchmarks/vs-pytorch: BaseModel has no trainStep(data, indices, compiled) any more; update buildBench in ts-models.ts to the new single-step routine');
  }
  const batches = Array.from({ length: POOL }, (_, k) => Int32Array.from({ length: batch }, (_, r) => k * batch + r));
  return {
    model,
    shapes,
    embeddings: (model as unknown as { embeddings: unknown }).embeddings,
    step: (i: number) => trainStep.call(model, ds, batches[i % POOL], compiled),
  };
}
