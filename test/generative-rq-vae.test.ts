import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { MemoryStore } from '../src/basic/store';
import { Rng } from '../src/basic/random';
import { RQVAE } from '../src/models/generative/rq-vae';
import { checkSemanticIds, loadSemanticIds, PrefixTrie, saveSemanticIds, withDedupSuffix } from '../src/models/generative/semantic-ids';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

/** Item embeddings from 8 clusters, each with 4 sub-clusters, plus small noise: a hierarchy residual codes can follow. */
function clusteredItems(n: number, d: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: d }, () => 2 * rng.normal()));
  const subs = Array.from({ length: 32 }, () => Float32Array.from({ length: d }, () => 0.6 * rng.normal()));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const s = rng.int(32);
    for (let j = 0; j < d; j++) x[i * d + j] = centres[s % 8][j] + subs[s][j] + 0.1 * rng.normal();
  }
  return x;
}

describe('RQVAE', () => {
  const n = 600;
  const d = 16;
  const items = clusteredItems(n, d, 5);

  it('learns to reconstruct through 3 residual levels, uses its codebooks, no leaked tensors; semantic ids are unique', async () => {
    const vae = new RQVAE({ inputDim: d, latentDim: 8, hiddenDims: [32], levels: 3, codebookSize: 16, seed: 1 });
    const before = vae.report(items, n);
    await vae.fit(items, n, { epochs: 1, batchSize: 128, lr: 3e-3 });
    const tensors = tf.memory().numTensors;
    const history = await vae.fit(items, n, { epochs: 30, batchSize: 128, lr: 3e-3 });
    expect(tf.memory().numTensors).toBe(tensors);
    const r = vae.report(items, n);
    console.log(`RQVAE: relative error ${before.relativeError.toFixed(3)} -> ${r.relativeError.toFixed(3)}, usage ${r.usage.map((u) => `${u.used.toFixed(2)}/${u.perplexity.toFixed(1)}`).join(' ')}, collisions ${r.collisionRate.toFixed(3)} (max ${r.maxCollisions})`);
    expect(history[history.length - 1].loss).toBeLessThan(history[0].loss);
    // 8 x 4 clusters carry nearly all the variance; a 16 x 16 x 16 code grid should get well under 10% error
    expect(r.relativeError).toBeLessThan(0.1);
    expect(r.usage[0].used).toBeGreaterThanOrEqual(0.5);
    expect(r.usage[0].perplexity).toBeGreaterThan(6);
    const ids = vae.semanticIds(items, n);
    expect(ids.codebookSizes.slice(0, 3)).toEqual([16, 16, 16]);
    expect(ids.codebookSizes[3]).toBe(r.maxCollisions);
    expect(() => checkSemanticIds(ids)).not.toThrow();
    const trie = new PrefixTrie(ids);
    for (let item = 1; item <= n; item += 37) expect(trie.find(ids.codes.subarray((item - 1) * 4, item * 4))!.item).toBe(item);

    const store = new MemoryStore();
    await vae.save(store);
    const again = await RQVAE.load(store);
    expect(again.quantize(items, n).codes).toEqual(vae.quantize(items, n).codes);
    expect(again.quantize(items, n).reconstruction).toEqual(vae.quantize(items, n).reconstruction);
    await saveSemanticIds(store, ids);
    const loaded = await loadSemanticIds(store);
    expect(loaded.codes).toEqual(ids.codes);
    expect(loaded.codebookSizes).toEqual(ids.codebookSizes);
    again.dispose();
    vae.dispose();
  });

  it('collisions get a deduplicating code; bad input and corrupted files are refused with the field named', async () => {
    const ids = withDedupSuffix(Int32Array.of(1, 2, 1, 2, 0, 0, 1, 2), 4, [3, 3]);
    expect(Array.from(ids.codes)).toEqual([1, 2, 0, 1, 2, 1, 0, 0, 0, 1, 2, 2]);
    expect(ids.codebookSizes).toEqual([3, 3, 3]);
    expect(() => checkSemanticIds({ codes: Int32Array.of(1, 2, 1, 2), numItems: 2, codebookSizes: [3, 3] })).toThrow(/items 1 and 2 share the tuple \(1,2\); add a deduplicating code/);
    expect(() => new RQVAE({ inputDim: 4, levels: 0 })).toThrow(/levels must be a positive integer/);
    expect(() => new RQVAE({ inputDim: 4, codebooks: 3 } as never)).toThrow(/unknown option 'codebooks'/);
    const vae = new RQVAE({ inputDim: 4, hiddenDims: [8], latentDim: 4, codebookSize: 4, levels: 2 });
    await expect(vae.fit(new Float32Array(10), 3)).rejects.toThrow(/10 values, expected numItems x inputDim = 3 x 4/);
    const store = new MemoryStore();
    await vae.save(store);
    store.files.get('rqvae.bin')![0] ^= 1;
    await expect(RQVAE.load(store)).rejects.toThrow(/corrupted/);
    vae.dispose();
  });
});
