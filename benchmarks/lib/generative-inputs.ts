/**
 * Side inputs that some generative models need before `fit` and that a leaderboard config cannot spell as
 * constructor options: TIGER's semantic ids (an RQ-VAE over collaborative item vectors) and HLLM's supplied item
 * embeddings (stand-ins for a text model's: the item's topic plus noise).
 */
import type { BaseModel } from '../../src/basic/model/base-model';
import { Rng } from '../../src/basic/random';
import { cooccurrenceEmbeddings } from '../../src/models/generative/cooccurrence';
import { RQVAE } from '../../src/models/generative/rq-vae';
import type { SemanticIds } from '../../src/models/generative/semantic-ids';

/** How TIGER's semantic ids are built: co-occurrence SVD vectors of `dim`, quantised by an RQ-VAE. */
export interface SemanticIdOptions {
  dim?: number;
  levels?: number;
  codebookSize?: number;
  epochs?: number;
  seed?: number;
}

/** Semantic ids of items 1..numItems from the training sequences (no test item is seen). */
export async function semanticIdsFromSequences(sequences: Int32Array[], numItems: number, opts: SemanticIdOptions = {}): Promise<SemanticIds> {
  const { dim = 16, levels = 2, codebookSize = 8, epochs = 40, seed = 1 } = opts;
  const vectors = cooccurrenceEmbeddings(sequences, numItems, dim, { seed });
  const vae = new RQVAE({ inputDim: dim, latentDim: Math.max(2, dim >> 1), hiddenDims: [2 * dim], levels, codebookSize, seed });
  try {
    await vae.fit(vectors, numItems, { epochs, batchSize: Math.min(256, numItems), lr: 3e-3 });
    return vae.semanticIds(vectors, numItems);
  } finally {
    vae.dispose();
  }
}

/** Content vectors [numItems x dim] (row r = item r + 1): a one-hot of the item's topic plus Gaussian noise. */
export function topicContent(itemTopic: Int32Array, numItems: number, dim: number, noise: number, seed = 5): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(numItems * dim);
  for (let id = 1; id <= numItems; id++) {
    for (let j = 0; j < dim; j++) out[(id - 1) * dim + j] = noise * rng.normal();
    out[(id - 1) * dim + (itemTopic[id] % dim)] += 1;
  }
  return out;
}

/** Hand a model the side inputs it declares a setter for (other models are left as they are). */
export function supplySideInputs(model: BaseModel, inputs: { semanticIds?: SemanticIds; content?: Float32Array }): void {
  const m = model as BaseModel & { setSemanticIds?(ids: SemanticIds): unknown; setItemEmbeddings?(e: Float32Array): unknown };
  if (inputs.semanticIds && m.setSemanticIds) m.setSemanticIds(inputs.semanticIds);
  if (inputs.content && m.setItemEmbeddings) m.setItemEmbeddings(inputs.content);
}
