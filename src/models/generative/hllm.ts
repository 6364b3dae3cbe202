import * as tf from '@tensorflow/tfjs-core';
import { Mlp } from '../../basic/layers/mlp';
import { ForwardContext } from '../../basic/layers/module';
import { models } from '../../basic/model/model-registry';
import { SASRec, SASRecConfig } from './sasrec';

/** HLLM settings. */
export interface HLLMConfig extends SASRecConfig {
  /** Width of the item embeddings supplied with `setItemEmbeddings` (e.g. a text model's, computed offline). */
  contentDim: number;
  /** Hidden widths of the item encoder MLP from the supplied embedding to the model width (default [] : one linear map). */
  itemEncoderDims?: number[];
  /** Add each item's learned id embedding to its encoded content (default true; false = content only, for cold catalogues). */
  useIdEmbedding?: boolean;
}

/**
 * HLLM-style next-item model (Chen et al., 2024, "HLLM: Enhancing Sequential Recommendations via Hierarchical
 * Large Language Models for Item and User Modeling") over precomputed item embeddings: no language model runs here.
 * The item "LLM" is replaced by the user's own embeddings x_i (text, image or collaborative), mapped by an item
 * encoder, optionally plus an id embedding:
 *   e_i = MLP(x_i) [+ id_i],
 * and the user model is SASRec's causal transformer over e_{i_1}..e_{i_t}, trained on the same next-item sampled
 * softmax (cosine / temperature) against e_j of the true and sampled items. Items that are rare in training still
 * get a representation from their supplied embedding, which is where it beats an id-only SASRec.
 */
export class HLLM extends SASRec {
  static readonly modelName = 'HLLM';
  readonly contentDim: number;
  readonly useIdEmbedding: boolean;
  /** The supplied embeddings [vocabSize x contentDim] (row = item id, row 0 padding): a non-trainable weight, saved with the model. */
  private readonly content: tf.Variable;
  private readonly itemEncoder: Mlp;
  private contentSet = false;

  constructor(config: HLLMConfig) {
    // the user model is SASRec's encoder (causal blocks over learned absolute positions), built by the superclass
    super(config);
    this.contentDim = config.contentDim;
    if (!Number.isInteger(this.contentDim) || this.contentDim < 1) throw new Error(`HLLM: contentDim must be a positive integer, the width of the supplied item embeddings (got ${config.contentDim})`);
    this.useIdEmbedding = config.useIdEmbedding ?? true;
    const V = this.history.vocabSize;
    this.content = this.addParam('itemContent', [V, this.contentDim], new Float32Array(V * this.contentDim), { trainable: false, regularize: false });
    this.itemEncoder = this.addChild('itemEncoder', new Mlp(this.contentDim, { dims: config.itemEncoderDims ?? [], outputDim: this.dim }, this.initRng, 'HLLM itemEncoder'));
  }

  /** Supply the item embeddings: row-major [(vocabSize-1) x contentDim], row r = item id r + 1. */
  setItemEmbeddings(values: Float32Array): this {
    const V = this.history.vocabSize;
    const c = this.contentDim;
    if (!(values instanceof Float32Array) || values.length !== (V - 1) * c) {
      throw new Error(`HLLM.setItemEmbeddings: expected a Float32Array of (vocabSize-1) x contentDim = ${V - 1} x ${c} values (row r = item r + 1), got ${values?.length}`);
    }
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new Error(`HLLM.setItemEmbeddings: item ${Math.floor(i / c) + 1} has a non-finite value (${values[i]})`);
    const table = new Float32Array(V * c);
    table.set(values, c);
    const t = tf.tensor2d(table, [V, c]);
    this.content.assign(t);
    t.dispose();
    this.contentSet = true;
    return this;
  }

  private checkContent(): void {
    if (this.contentSet) return;
    // after load the embeddings come back as a saved weight
    const any = tf.tidy(() => tf.any(tf.notEqual(this.content, 0)).dataSync()[0]);
    if (!any) throw new Error('HLLM: no item embeddings supplied; call setItemEmbeddings(values) (one row of contentDim per item id) before fit or inference');
    this.contentSet = true;
  }

  protected itemVectors(embedded: tf.Tensor, ids: Int32Array): tf.Tensor {
    this.checkContent();
    const ctx: ForwardContext = { training: false, rng: this.initRng, deferred: [] };
    const x = tf.gather(this.content, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
    // padding (id 0) stays zero: the encoder's bias would otherwise give it a vector
    const real = tf.tensor2d(Float32Array.from(ids, (id) => (id === 0 ? 0 : 1)), [ids.length, 1]);
    const encoded = tf.mul(this.itemEncoder.apply(x, ctx), real).reshape(embedded.shape);
    // id rows start tiny (std 0.01): an item never trained is represented by its content alone, and an item's id
    // part grows only as far as its interactions push it. Without id embeddings the table still takes part (times 0),
    // so the training step's gradient routing finds it.
    return this.useIdEmbedding ? tf.add(embedded, encoded) : tf.add(encoded, tf.mul(embedded, 0));
  }
}

models.register(HLLM.modelName, HLLM);
