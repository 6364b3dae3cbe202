import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import '../../basic/tfjs-setup';
import { Dense } from '../../basic/layers/dense';
import { init, Module } from '../../basic/layers/module';
import { stopGradient } from '../../basic/layers/custom-op';
import { Rng } from '../../basic/random';
import { bytesToFloats, checksum, floatBytes, ModelStore, writeAtomically } from '../../basic/store';
import { resolveStore } from '../../basic/model/node-adapters';
import { codeUsage, CodeUsage, SemanticIds, withDedupSuffix } from './semantic-ids';

/** RQ-VAE settings. */
export interface RQVAEConfig {
  /** Width of the item embeddings to quantise. */
  inputDim: number;
  /** Width of the latent that is quantised (default 32). */
  latentDim?: number;
  /** Hidden widths of the encoder MLP; the decoder mirrors them (default [128, 64]). */
  hiddenDims?: number[];
  /** Residual quantisation levels L, i.e. codebooks (default 3). */
  levels?: number;
  /** Codes per codebook K (default 64). */
  codebookSize?: number;
  /** Commitment weight beta (default 0.25). */
  beta?: number;
  seed?: number;
}

/** Options of {@link RQVAE.fit}. */
export interface RQVAEFitOptions {
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Rows the k-means initialisation of the codebooks reads (default 4096, a random sample of the data). */
  kmeansRows?: number;
  /** Called after each epoch with its mean losses. */
  onEpoch?: (epoch: number, logs: RQVAELosses) => void;
}

/** Mean losses of an epoch: reconstruction MSE and the quantisation (codebook + beta x commitment) term. */
export interface RQVAELosses {
  loss: number;
  reconstruction: number;
  quantization: number;
}

/** Quality of a trained RQ-VAE on a set of items. */
export interface RQVAEReport {
  /** Mean squared reconstruction error per coordinate. */
  reconstructionMse: number;
  /** reconstructionMse / the data's variance per coordinate (0 = perfect, 1 = no better than the mean). */
  relativeError: number;
  /** Per level: fraction of the K codes used and the perplexity of the code distribution. */
  usage: CodeUsage[];
  /** Fraction of items whose L-code tuple is shared with another item (before the deduplicating code). */
  collisionRate: number;
  /** Largest number of items sharing one tuple (the deduplicating position's size). */
  maxCollisions: number;
}

interface SavedRQVAE {
  format: 'nextrec-ts-rqvae';
  config: Required<Omit<RQVAEConfig, 'seed'>> & { seed: number };
  tensors: Array<{ name: string; shape: number[]; offset: number }>;
  file: string;
  checksum: string;
}

const ROWS_PER_CHUNK = 4096;

/**
 * RQ-VAE (Lee et al., CVPR 2022; as used by TIGER, Rajput et al., NeurIPS 2023) over item embeddings x:
 *   z = E(x);  r_0 = z;  c_l = argmin_k ||r_{l-1} - e^l_k||,  r_l = r_{l-1} - e^l_{c_l}   (l = 1..L)
 *   z_q = sum_l e^l_{c_l};  x^ = D(z + sg(z_q - z))            (straight-through estimator)
 *   loss = ||x - x^||^2 + sum_l ||sg(r_{l-1}) - e^l_{c_l}||^2 + beta ||r_{l-1} - sg(e^l_{c_l})||^2
 * The codebooks start from k-means on the encoder's (residual) outputs of a sample of the data, level by level,
 * so no code starts dead. An item's semantic id is its tuple (c_1..c_L) plus a deduplicating code.
 */
export class RQVAE extends Module {
  readonly config: Required<Omit<RQVAEConfig, 'seed'>> & { seed: number };
  private readonly encoder: Dense[] = [];
  private readonly decoder: Dense[] = [];
  private readonly codebooks: tf.Variable[] = [];
  private readonly rng: Rng;
  private initialised = false;

  constructor(config: RQVAEConfig) {
    super();
    const c = {
      inputDim: config.inputDim,
      latentDim: config.latentDim ?? 32,
      hiddenDims: config.hiddenDims ?? [128, 64],
      levels: config.levels ?? 3,
      codebookSize: config.codebookSize ?? 64,
      beta: config.beta ?? 0.25,
      seed: config.seed ?? 2024,
    };
    const known = new Set(['inputDim', 'latentDim', 'hiddenDims', 'levels', 'codebookSize', 'beta', 'seed']);
    for (const k of Object.keys(config)) if (!known.has(k)) throw new Error(`RQVAE options: unknown option '${k}'; valid: ${[...known].join(', ')}`);
    for (const [field, v] of [
      ['inputDim', c.inputDim],
      ['latentDim', c.latentDim],
      ['levels', c.levels],
      ['codebookSize', c.codebookSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`RQVAE: ${field} must be a positive integer (got ${v})`);
    }
    if (!Array.isArray(c.hiddenDims) || !c.hiddenDims.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`RQVAE: hiddenDims must be a list of positive integers (got ${JSON.stringify(c.hiddenDims)})`);
    if (!(c.beta >= 0)) throw new Error(`RQVAE: beta must be >= 0 (got ${c.beta})`);
    this.config = c;
    this.rng = new Rng(c.seed);
    const initRng = this.rng.fork();
    const widths = [c.inputDim, ...c.hiddenDims, c.latentDim];
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      this.encoder.push(this.addChild(`encoder/${i}`, new Dense(widths[i], widths[i + 1], initRng, last ? 'linear' : 'relu')));
    }
    const back = [...widths].reverse();
    for (let i = 0; i + 1 < back.length; i++) {
      const last = i + 2 === back.length;
      this.decoder.push(this.addChild(`decoder/${i}`, new Dense(back[i], back[i + 1], initRng, last ? 'linear' : 'relu')));
    }
    for (let l = 0; l < c.levels; l++) {
      this.codebooks.push(this.addParam(`codebook${l}`, [c.codebookSize, c.latentDim], init.normal(initRng, [c.codebookSize, c.latentDim], 0.1), { regularize: false }));
    }
  }

  private encode(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    for (const d of this.encoder) h = d.apply(h) as tf.Tensor2D;
    return h;
  }

  private decode(z: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = z;
    for (const d of this.decoder) h = d.apply(h) as tf.Tensor2D;
    return h;
  }

  /** Nearest code of each row of r [B, d] in codebook l, and the chosen code vectors (a product with one-hots, differentiable w.r.t. the codebook). */
  private quantise(r: tf.Tensor2D, l: number): { codes: tf.Tensor1D; q: tf.Tensor2D } {
    const C = this.codebooks[l] as tf.Tensor2D;
    // ||r - e||^2 up to the per-row constant ||r||^2
    const dist = tf.sub(tf.sum(tf.square(C), 1).reshape([1, -1]), tf.mul(2, tf.matMul(stopGradient(r), C, false, true)));
    const codes = tf.argMin(dist, 1) as tf.Tensor1D;
    const q = tf.matMul(tf.oneHot(codes, this.config.codebookSize).toFloat(), C) as tf.Tensor2D;
    return { codes, q };
  }

  private losses(x: tf.Tensor2D): { total: tf.Scalar; recon: tf.Scalar; quant: tf.Scalar } {
    const z = this.encode(x);
    let r: tf.Tensor2D = z;
    let zq: tf.Tensor = tf.zerosLike(z);
    let quant: tf.Tensor = tf.scalar(0);
    for (let l = 0; l < this.config.levels; l++) {
      const { q } = this.quantise(r, l);
      const codebookLoss = tf.mean(tf.sum(tf.square(tf.sub(stopGradient(r), q)), 1));
      const commitment = tf.mean(tf.sum(tf.square(tf.sub(r, stopGradient(q))), 1));
      quant = tf.add(quant, tf.add(codebookLoss, tf.mul(this.config.beta, commitment)));
      zq = tf.add(zq, q);
      r = tf.sub(r, stopGradient(q)) as tf.Tensor2D;
    }
    const zst = tf.add(z, stopGradient(tf.sub(zq, z))) as tf.Tensor2D;
    const recon = tf.mean(tf.sum(tf.square(tf.sub(x, this.decode(zst))), 1)) as tf.Scalar;
    return { total: tf.add(recon, quant) as tf.Scalar, recon, quant: quant as tf.Scalar };
  }

  private checkData(items: Float32Array, numItems: number): void {
    const d = this.config.inputDim;
    if (!(items instanceof Float32Array)) throw new Error('RQVAE: item embeddings must be a Float32Array [numItems x inputDim]');
    if (!Number.isInteger(numItems) || numItems < 1 || items.length !== numItems * d) {
      throw new Error(`RQVAE: item embeddings have ${items.length} values, expected numItems x inputDim = ${numItems} x ${d}`);
    }
    for (let i = 0; i < items.length; i++) if (!Number.isFinite(items[i])) throw new Error(`RQVAE: item embeddings row ${Math.floor(i / d)} has a non-finite value (${items[i]})`);
  }

  /** k-means initialisation of every codebook on the residuals of a sample of the data, level by level. */
  private initCodebooks(items: Float32Array, numItems: number, sampleRows: number): void {
    const d = this.config.inputDim;
    const n = Math.min(numItems, sampleRows);
    const order = Int32Array.from({ length: numItems }, (_, i) => i);
    this.rng.shuffle(order);
    const sample = new Float32Array(n * d);
    for (let i = 0; i < n; i++) sample.set(items.subarray(order[i] * d, (order[i] + 1) * d), i * d);
    const z = readAndDispose(tf.tidy(() => this.encode(tf.tensor2d(sample, [n, d]))));
    const D = this.config.latentDim;
    const K = this.config.codebookSize;
    const residual = Float32Array.from(z);
    for (let l = 0; l < this.config.levels; l++) {
      const { centroids, assignment } = kMeans(residual, n, D, K, this.rng);
      this.codebooks[l].assign(tf.tensor2d(centroids, [K, D]));
      for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) residual[i * D + j] -= centroids[assignment[i] * D + j];
    }
    this.initialised = true;
  }

  /** Train on item embeddings [numItems x inputDim] (row-major). Returns the mean losses of each epoch. */
  async fit(items: Float32Array, numItems: number, opts: RQVAEFitOptions = {}): Promise<RQVAELosses[]> {
    this.checkData(items, numItems);
    const epochs = opts.epochs ?? 50;
    const batchSize = opts.batchSize ?? 256;
    const lr = opts.lr ?? 1e-3;
    if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`RQVAE.fit: epochs must be a non-negative integer (got ${opts.epochs})`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`RQVAE.fit: batchSize must be a positive integer (got ${opts.batchSize})`);
    if (!(lr > 0)) throw new Error(`RQVAE.fit: lr must be > 0 (got ${opts.lr})`);
    if (!this.initialised) this.initCodebooks(items, numItems, opts.kmeansRows ?? 4096);
    const d = this.config.inputDim;
    const vars = this.namedParams().map(([, p]) => p.variable);
    const optimizer = tf.train.adam(lr);
    const history: RQVAELosses[] = [];
    try {
      const order = Int32Array.from({ length: numItems }, (_, i) => i);
      for (let epoch = 0; epoch < epochs; epoch++) {
        this.rng.shuffle(order);
        const sums = { loss: 0, reconstruction: 0, quantization: 0 };
        let rows = 0;
        for (let s = 0; s < numItems; s += batchSize) {
          const B = Math.min(batchSize, numItems - s);
          const batch = new Float32Array(B * d);
          for (let i = 0; i < B; i++) batch.set(items.subarray(order[s + i] * d, (order[s + i] + 1) * d), i * d);
          const x = tf.tensor2d(batch, [B, d]);
          let parts: tf.Scalar[] = [];
          const cost = optimizer.minimize(
            () => {
              const { total, recon, quant } = this.losses(x);
              parts = [tf.keep(recon), tf.keep(quant)];
              return total;
            },
            true,
            vars,
          );
          const [total, recon, quant] = [cost!.dataSync()[0], parts[0].dataSync()[0], parts[1].dataSync()[0]];
          tf.dispose([cost!, x, ...parts]);
          sums.loss += total * B;
          sums.reconstruction += recon * B;
          sums.quantization += quant * B;
          rows += B;
        }
        const logs = { loss: sums.loss / rows, reconstruction: sums.reconstruction / rows, quantization: sums.quantization / rows };
        if (!Number.isFinite(logs.loss)) throw new Error(`RQVAE.fit: the loss became ${logs.loss} in epoch ${epoch + 1}; lower lr`);
        history.push(logs);
        opts.onEpoch?.(epoch, logs);
      }
    } finally {
      optimizer.dispose();
    }
    return history;
  }

  /** Codes [numItems x levels] and reconstructions [numItems x inputDim] of the given items (no deduplication). */
  quantize(items: Float32Array, numItems: number): { codes: Int32Array; reconstruction: Float32Array } {
    this.checkData(items, numItems);
    const d = this.config.inputDim;
    const L = this.config.levels;
    const codes = new Int32Array(numItems * L);
    const reconstruction = new Float32Array(numItems * d);
    for (let s = 0; s < numItems; s += ROWS_PER_CHUNK) {
      const B = Math.min(ROWS_PER_CHUNK, numItems - s);
      const [c, xr] = tf.tidy(() => {
        let r = this.encode(tf.tensor2d(items.subarray(s * d, (s + B) * d), [B, d]));
        let zq: tf.Tensor = tf.zerosLike(r);
        const levels: tf.Tensor1D[] = [];
        for (let l = 0; l < L; l++) {
          const { codes: cl, q } = this.quantise(r, l);
          levels.push(cl);
          zq = tf.add(zq, q);
          r = tf.sub(r, q) as tf.Tensor2D;
        }
        return [tf.stack(levels, 1).dataSync() as Int32Array, this.decode(zq as tf.Tensor2D).dataSync() as Float32Array];
      });
      codes.set(c, s * L);
      reconstruction.set(xr, s * d);
    }
    return { codes, reconstruction };
  }

  /** Unique semantic ids of the items (row r = item id r + 1): the L codes plus a deduplicating code. */
  semanticIds(items: Float32Array, numItems: number): SemanticIds {
    const { codes } = this.quantize(items, numItems);
    return withDedupSuffix(codes, numItems, new Array(this.config.levels).fill(this.config.codebookSize));
  }

  /** Reconstruction error, codebook usage per level and collisions on the given items. */
  report(items: Float32Array, numItems: number): RQVAEReport {
    const { codes, reconstruction } = this.quantize(items, numItems);
    const d = this.config.inputDim;
    let se = 0;
    const mean = new Float64Array(d);
    for (let i = 0; i < items.length; i++) {
      se += (items[i] - reconstruction[i]) ** 2;
      mean[i % d] += items[i] / numItems;
    }
    let variance = 0;
    for (let i = 0; i < items.length; i++) variance += (items[i] - mean[i % d]) ** 2;
    const L = this.config.levels;
    const groups = new Map<string, number>();
    for (let r = 0; r < numItems; r++) {
      const key = codes.subarray(r * L, (r + 1) * L).join(',');
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    let collided = 0;
    let maxCollisions = 0;
    for (const c of groups.values()) {
      if (c > 1) collided += c;
      maxCollisions = Math.max(maxCollisions, c);
    }
    return {
      reconstructionMse: se / items.length,
      relativeError: variance > 0 ? se / variance : 0,
      usage: codeUsage(codes, numItems, new Array(L).fill(this.config.codebookSize)),
      collisionRate: collided / numItems,
      maxCollisions,
    };
  }

  /** Save the configuration, encoder, decoder and codebooks (one atomic write: `rqvae.json`, `rqvae.bin`). */
  async save(target: string | ModelStore): Promise<void> {
    const params = this.namedParams();
    const total = params.reduce((s, [, p]) => s + p.variable.size, 0);
    const values = new Float32Array(total);
    const tensors: SavedRQVAE['tensors'] = [];
    let offset = 0;
    for (const [name, p] of params) {
      values.set(p.variable.dataSync() as Float32Array, offset);
      tensors.push({ name, shape: p.variable.shape, offset });
      offset += p.variable.size;
    }
    const bytes = floatBytes(values);
    const manifest: SavedRQVAE = { format: 'nextrec-ts-rqvae', config: this.config, tensors, file: 'rqvae.bin', checksum: checksum(bytes) };
    await writeAtomically(await resolveStore(target), async (s) => {
      await s.writeBytes(manifest.file, bytes);
      await s.writeJson('rqvae.json', manifest);
    });
  }

  /** Load an RQ-VAE written by {@link RQVAE.save}; it quantises exactly as the saved one. */
  static async load(source: string | ModelStore): Promise<RQVAE> {
    const store = await resolveStore(source);
    const m = await store.readJson<SavedRQVAE>('rqvae.json');
    if (m.format !== 'nextrec-ts-rqvae') throw new Error(`${store.describe('rqvae.json')} is not an RQ-VAE (format '${m.format}')`);
    const bytes = await store.readBytes(m.file);
    const got = checksum(bytes);
    if (got !== m.checksum) throw new Error(`${store.describe(m.file)} is corrupted (checksum ${got}, manifest says ${m.checksum})`);
    const values = bytesToFloats(bytes);
    const model = new RQVAE(m.config);
    const params = new Map(model.namedParams());
    for (const t of m.tensors) {
      const p = params.get(t.name);
      if (!p || p.variable.shape.join(',') !== t.shape.join(',')) throw new Error(`${store.describe('rqvae.json')}: tensor '${t.name}' [${t.shape}] does not fit the rebuilt RQ-VAE`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      const v = tf.tensor(values.subarray(t.offset, t.offset + size), t.shape);
      p.variable.assign(v);
      v.dispose();
    }
    model.initialised = true;
    return model;
  }

  /** Release tfjs memory. */
  dispose(): void {
    this.disposeParams();
  }
}

/**
 * Lloyd's k-means with k-means++ seeding on rows x [n x d]; with fewer rows than k, the extra centroids are copies
 * of random rows with small noise (they may stay unused).
 */
export function kMeans(x: Float32Array, n: number, d: number, k: number, rng: Rng, iterations = 25): { centroids: Float32Array; assignment: Int32Array } {
  const centroids = new Float32Array(k * d);
  const dist2 = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[i * d + j] - centroids[c * d + j]) ** 2;
    return s;
  };
  // k-means++: each next centroid drawn with probability proportional to the squared distance to the nearest one
  const nearest = new Float64Array(n).fill(Infinity);
  let chosen = 0;
  for (; chosen < Math.min(k, n); chosen++) {
    let pick = 0;
    if (chosen === 0) pick = rng.int(n);
    else {
      let total = 0;
      for (let i = 0; i < n; i++) total += nearest[i];
      if (!(total > 0)) break;
      let u = rng.next() * total;
      for (pick = 0; pick < n - 1; pick++) {
        u -= nearest[pick];
        if (u <= 0) break;
      }
    }
    centroids.set(x.subarray(pick * d, (pick + 1) * d), chosen * d);
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i], dist2(i, chosen));
  }
  for (let c = chosen; c < k; c++) {
    const src = rng.int(n);
    for (let j = 0; j < d; j++) centroids[c * d + j] = x[src * d + j] + 1e-3 * rng.normal();
  }
  const assignment = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const v = dist2(i, c);
        if (v < bestD) {
          bestD = v;
          best = c;
        }
      }
      if (assignment[i] !== best || it === 0) changed++;
      assignment[i] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      counts[assignment[i]]++;
      for (let j = 0; j < d; j++) sums[assignment[i] * d + j] += x[i * d + j];
    }
    for (let c = 0; c < k; c++) if (counts[c] > 0) for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] / counts[c];
    if (changed === 0) break;
  }
  return { centroids, assignment };
}
