/**
 * Next-item models on real data (issue #15): Amazon Video Games as preprocessed by the SASRec authors (a local
 * `user item` file, one line per interaction, each user's lines in time order; see ../shared/data/amazon-video-games
 * or pass --file). Leave-one-out split (last item test, second-to-last valid, the rest train). Reports, on the test
 * rows:
 * - the SASRec paper's protocol: the target ranked against 100 items drawn uniformly from those the user never
 *   interacted with, HR@10 and NDCG@10 (the paper reports SASRec 0.7410 / 0.5360 on this data);
 * - the full catalogue (all items, history not excluded), HR@10 and NDCG@10;
 * with training time and epochs, per seed, and the mean and spread over seeds.
 *
 *   npx ts-node --transpile-only benchmarks/amazon-video-games.ts [--file path/interactions.txt] [--model SASRec|GRU4Rec|HSTU|HLLM|TIGER]
 *     [--seeds 1,2,3] [--epochs 20] [--dim 50] [--maxLen 50] [--dropout 0.5] [--lr 0.001] [--batch 128] [--negatives 128]
 *     [--scoring cosine|dot] [--objective softmax|bce] [--perPosition K]   (SASRec paper: --scoring dot --objective bce --perPosition 1 --negatives 0)
 *     [--layout pre-norm|reference] [--lengthBuckets 0] [--embeddingLr X] [--beta2 X] [--epsilon X] [--lazy 0]   (the authors' code: --layout reference --lengthBuckets 0 --embeddingLr 0.001 --beta2 0.98 --epsilon 1e-8 --lazy 0)
 *     [--curve N]   (every N epochs, log the sampled-100 HR@10 / NDCG@10 of all test rows to stderr and into the run's `curve`)
 *     [--maxSteps N --evalRows N]   (smoke runs: N steps per epoch, the first N test rows)
 *     HLLM and TIGER: [--itemDim 32] item embeddings from co-occurrence SVD of the training sequences (window 3, rows scaled to unit length);
 *     TIGER: [--levels 3 --codes 64 --rqEpochs 50 --beam 20] RQ-VAE semantic ids of those embeddings, beam width.
 * HLLM reads those embeddings as its supplied item embeddings (plus id embeddings). TIGER's full-catalogue figures
 * come from its constrained beam search (a target outside the beam is a miss), the sampled-100 ones from the
 * log-likelihood of the target and the 100 negatives.
 */
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SequenceFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { loadAmazonReviews } from '../src/data/loaders/amazon';
import { denseItemIds, nextItemExamples } from '../src/data/loaders/views';
import { models } from '../src/basic/model/model-registry';
import '../src/models/generative';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';
import { cooccurrenceEmbeddings } from '../src/models/generative/cooccurrence';
import { RQVAE } from '../src/models/generative/rq-vae';
import { HLLM } from '../src/models/generative/hllm';
import { TIGER } from '../src/models/generative/tiger';
import { SemanticIds } from '../src/models/generative/semantic-ids';
import { arg } from './lib/args';

/**
 * Per test row, the target (column 0) and 100 items drawn uniformly from 1..V outside `excluded(r)`: distinct (the
 * paper's protocol) or with replacement (the authors' evaluation code).
 */
function sampledCandidates(targets: Int32Array, excluded: (row: number) => Set<number>, V: number, rng: Rng, distinct: boolean): Int32Array {
  const out = new Int32Array(targets.length * 101);
  for (let r = 0; r < targets.length; r++) {
    const seen = excluded(r);
    const drawn = new Set<number>();
    out[r * 101] = targets[r];
    for (let c = 1; c <= 100; c++) {
      let id = 1 + rng.int(V);
      while (seen.has(id) || (distinct && drawn.has(id))) id = 1 + rng.int(V);
      out[r * 101 + c] = id;
      drawn.add(id);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const file = arg('file', path.join(__dirname, '../../shared/data/amazon-video-games/interactions.txt'));
  const modelName = arg('model', 'SASRec');
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const epochs = Number(arg('epochs', '20'));
  const dim = Number(arg('dim', '50'));
  const maxLen = Number(arg('maxLen', '50'));
  const dropout = Number(arg('dropout', '0.5'));
  const lr = Number(arg('lr', '0.001'));
  const batchSize = Number(arg('batch', '128'));
  const numNegatives = Number(arg('negatives', '128'));
  const scoring = arg('scoring', 'cosine') as 'cosine' | 'dot';
  const objective = arg('objective', 'softmax') as 'softmax' | 'bce';
  const negativesPerPosition = Number(arg('perPosition', '0'));
  const layout = arg('layout', 'pre-norm');
  // 0: batches of random rows as the authors' sampler draws them, instead of rows of similar length
  const lengthBuckets = arg('lengthBuckets', '1') !== '0';
  // the authors' optimizer: one Adam learning rate for embeddings and weights, beta2 0.98, epsilon 1e-8
  const embeddingLr = Number(arg('embeddingLr', '0'));
  const adam: Record<string, number> = {};
  if (arg('beta2', '')) adam.beta2 = Number(arg('beta2', ''));
  if (arg('epsilon', '')) adam.epsilon = Number(arg('epsilon', ''));
  // 0: dense-equivalent Adam on the item table (rows keep moving on momentum when absent), as TF1's AdamOptimizer and
  // torch.optim.Adam update the authors' embedding; default lazy (PyTorch SparseAdam)
  if (arg('lazy', '')) adam.lazy = Number(arg('lazy', ''));
  const training = { numNegatives, ...(scoring !== 'cosine' ? { scoring } : {}), ...(objective !== 'softmax' ? { objective } : {}), ...(negativesPerPosition > 0 ? { negativesPerPosition } : {}) };
  // smoke runs: stop each epoch after maxSteps steps and evaluate on the first evalRows test rows
  const maxSteps = arg('maxSteps', '') ? Number(arg('maxSteps', '')) : undefined;
  const evalRows = Number(arg('evalRows', '0'));
  const itemDim = Number(arg('itemDim', '32'));
  const levels = Number(arg('levels', '3'));
  const codes = Number(arg('codes', '64'));
  const rqEpochs = Number(arg('rqEpochs', '50'));
  const beam = Number(arg('beam', '20'));
  const curveEvery = Number(arg('curve', '0'));
  await initBackend({ log: false });
  const t0 = Date.now();
  const ds = await loadAmazonReviews(file, { format: 'pairs' });
  const seqs = ds.sequences();
  const split = nextItemExamples(seqs, { maxLen, examples: false });
  const { ids } = denseItemIds(seqs);
  const idOf = (key: unknown): number => ids.get(key as string)!;
  const train: number[][] = [];
  split.trainSequences.items.forEach((items) => {
    if (items.length >= 2) train.push(items.slice(Math.max(0, items.length - maxLen)).map(idOf));
  });
  const allTest = { hist: split.test.columns.hist.map((h) => (h as string[]).map(idOf)), target_item: Int32Array.from(split.test.columns.target, idOf) };
  const test = evalRows > 0 ? { hist: allTest.hist.slice(0, evalRows), target_item: allTest.target_item.slice(0, evalRows) } : allTest;
  // every item each test user interacted with (history, valid and test items): excluded from the sampled negatives
  const seenOf = new Map<string, Set<number>>();
  seqs.users.forEach((u, i) => seenOf.set(u, new Set(seqs.items[i].map(idOf))));
  const trainOf = new Map<string, Set<number>>();
  seqs.users.forEach((u, i) => trainOf.set(u, new Set(seqs.items[i].slice(0, -2).map(idOf))));
  const testUsers = split.test.columns.user as string[];
  const V = ids.size;
  console.error(`${file}: ${seqs.users.length} users, ${V} items; ${train.length} training sequences, ${test.target_item.length} test rows (${((Date.now() - t0) / 1000).toFixed(1)} s to load)`);

  type Metrics = { 'hr@10': number; 'ndcg@10': number };
  interface Run {
    seed: number;
    epochs: number;
    trainSeconds: number;
    sampled100: Record<string, number>;
    /** The authors' evaluation code: 100 negatives drawn with replacement, only the training items excluded. */
    sampled100TrainExcluded: Record<string, number>;
    fullCatalogue: Record<string, number>;
    finalLoss: number;
    curve?: Array<{ epoch: number; seconds: number; 'hr@10': number; 'ndcg@10': number; trainExcluded: Record<string, number> }>;
  }
  // HLLM / TIGER: item embeddings from the training sequences' co-occurrences (no content data in this file)
  let itemEmbeddings: Float32Array | null = null;
  if (modelName === 'HLLM' || modelName === 'TIGER') {
    const t = Date.now();
    itemEmbeddings = cooccurrenceEmbeddings(train, V, itemDim, { seed: 1, normalizeRows: true });
    console.error(`co-occurrence item embeddings ${V} x ${itemDim} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const runs: Run[] = [];
  for (const seed of seeds) {
    const history = new SequenceFeature({ name: 'hist', vocabSize: V + 1, embeddingDim: dim, maxLen, embeddingName: 'item' });
    const n = test.target_item.length;
    // the paper's protocol: target (column 0) vs 100 distinct items the user never interacted with
    const candidates = sampledCandidates(test.target_item, (r) => seenOf.get(testUsers[r])!, V, new Rng(1000 + seed), true);
    const candidatesTrainExcluded = sampledCandidates(test.target_item, (r) => trainOf.get(testUsers[r])!, V, new Rng(2000 + seed), false);
    let semanticIds: SemanticIds | null = null;
    let rqSeconds = 0;
    if (modelName === 'TIGER') {
      const t = Date.now();
      const vae = new RQVAE({ inputDim: itemDim, latentDim: 32, levels, codebookSize: codes, seed });
      await vae.fit(itemEmbeddings!, V, { epochs: rqEpochs, batchSize: 256 });
      semanticIds = vae.semanticIds(itemEmbeddings!, V);
      const report = vae.report(itemEmbeddings!, V);
      rqSeconds = (Date.now() - t) / 1000;
      const suffix = semanticIds.codebookSizes[levels];
      if (suffix > 4 * codes) console.error(`warning: ${report.maxCollisions} items share one code tuple; the deduplicating position has ${suffix} codes (train the RQ-VAE longer)`);
      if (suffix > 4096) throw new Error(`RQ-VAE: ${report.maxCollisions} items share one code tuple (the deduplicating position would need ${suffix} codes); train it longer (--rqEpochs) or add levels`);
      console.error(`RQ-VAE in ${rqSeconds.toFixed(1)} s: ${JSON.stringify(report)}; codebookSizes [${semanticIds.codebookSizes}]`);
      vae.dispose();
    }
    let m: SequentialRecommender | TIGER;
    if (modelName === 'TIGER') m = new TIGER({ sequenceFeatures: [history], seed, dropout: Math.min(dropout, 0.2), codebookSizes: semanticIds!.codebookSizes, beamSize: beam }).setSemanticIds(semanticIds!);
    else if (modelName === 'HLLM') m = new HLLM({ sequenceFeatures: [history], seed, dropout, ...training, blocks: 2, contentDim: itemDim, itemEncoderDims: [2 * dim] }).setItemEmbeddings(itemEmbeddings!);
    else {
      const Model = models.resolve(modelName) as unknown as new (c: object) => SequentialRecommender;
      if (layout !== 'pre-norm' && modelName !== 'SASRec') throw new Error(`--layout is a SASRec option (got --model ${modelName})`);
      m = new Model({ sequenceFeatures: [history], seed, dropout, ...training, ...(modelName === 'GRU4Rec' ? {} : { blocks: 2 }), ...(layout !== 'pre-norm' ? { layout } : {}), ...(lengthBuckets ? {} : { lengthBuckets }) });
    }
    m.compile({ lr, ...(embeddingLr > 0 ? { embeddingLr } : {}), ...(Object.keys(adam).length > 0 ? { optimizerParams: adam } : {}) });
    const start = Date.now();
    const model = m;
    // HR@10 and NDCG@10 of the target among its 101 candidates on every test row, for both candidate sets (the
    // paper's protocol and the authors' evaluation), from one pass over the user and item embeddings
    const sampled = async (): Promise<{ paper: Metrics; trainExcluded: Metrics }> => {
      let scoresOf: (ids: Int32Array) => Promise<Float32Array>;
      if (model instanceof TIGER) scoresOf = (ids) => model.scoreItems(test, ids);
      else {
        const users = await model.userEmbeddings(test);
        const items = await model.itemEmbeddings();
        scoresOf = async (ids) => {
          const scores = new Float32Array(n * 101);
          for (let i = 0; i < n * 101; i++) {
            const r = Math.floor(i / 101);
            let s = 0;
            for (let j = 0; j < dim; j++) s += users[r * dim + j] * items[(ids[i] - 1) * dim + j];
            scores[i] = s;
          }
          return scores;
        };
      }
      const metricsOf = (scores: Float32Array): Metrics => {
        let hr = 0;
        let ndcg = 0;
        for (let r = 0; r < n; r++) {
          let rank = 0;
          for (let c = 1; c <= 100; c++) if (scores[r * 101 + c] > scores[r * 101]) rank++;
          if (rank < 10) {
            hr++;
            ndcg += 1 / Math.log2(rank + 2);
          }
        }
        return { 'hr@10': hr / n, 'ndcg@10': ndcg / n };
      };
      return { paper: metricsOf(await scoresOf(candidates)), trainExcluded: metricsOf(await scoresOf(candidatesTrainExcluded)) };
    };
    const curve: NonNullable<Run['curve']> = [];
    let evalSeconds = 0;
    const onEpochEnd = async (log: { epoch: number }): Promise<void> => {
      const epoch = log.epoch;
      if (!(curveEvery > 0) || epoch % curveEvery !== 0 || epoch === epochs) return;
      const t = Date.now();
      const { paper, trainExcluded } = await sampled();
      const point = { epoch, seconds: Math.round((t - start) / 1000 - evalSeconds), ...paper, trainExcluded };
      evalSeconds += (Date.now() - t) / 1000;
      curve.push(point);
      console.error(JSON.stringify({ seed, ...point }));
    };
    const h = await m.fit({ hist: train }, { epochs, batchSize, verbose: 0, maxSteps, onEpochEnd });
    const trainS = (Date.now() - start) / 1000 - evalSeconds;
    console.error(`seed ${seed}: trained in ${trainS.toFixed(1)} s`);
    const { paper: sampledFinal, trainExcluded: sampledTrainExcluded } = await sampled();
    const full = await m.evaluate(test, { ks: [10] });
    if (curveEvery > 0) curve.push({ epoch: h.epochs.length, seconds: Math.round(trainS), ...sampledFinal, trainExcluded: sampledTrainExcluded });
    const run: Run = { seed, epochs: h.epochs.length, trainSeconds: Math.round(trainS + rqSeconds), sampled100: sampledFinal, sampled100TrainExcluded: sampledTrainExcluded, fullCatalogue: { 'hr@10': full['hr@10'], 'ndcg@10': full['ndcg@10'] }, finalLoss: h.epochs[h.epochs.length - 1].loss, ...(curveEvery > 0 ? { curve } : {}) };
    console.error(JSON.stringify(run));
    runs.push(run);
    m.dispose();
  }
  const stat = (f: (r: Run) => number) => {
    const xs = runs.map(f);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, min: Math.min(...xs), max: Math.max(...xs) };
  };
  console.log(
    JSON.stringify(
      {
        data: file,
        model: modelName,
        settings: {
          epochs,
          dim,
          maxLen,
          dropout: modelName === 'TIGER' ? Math.min(dropout, 0.2) : dropout,
          lr,
          batchSize,
          numNegatives,
          scoring,
          objective,
          negativesPerPosition,
          ...(layout !== 'pre-norm' ? { layout } : {}),
          ...(lengthBuckets ? {} : { lengthBuckets }),
          ...(embeddingLr > 0 ? { embeddingLr } : {}),
          ...(Object.keys(adam).length > 0 ? { adam } : {}),
          blocks: modelName === 'GRU4Rec' ? 1 : 2,
          // a subset of the test rows (the first N users of the file) or capped epochs must show in the results
          ...(evalRows > 0 ? { evalRows: test.hist.length } : {}),
          ...(maxSteps !== undefined ? { maxStepsPerEpoch: maxSteps } : {}),
          ...(modelName === 'HLLM' || modelName === 'TIGER' ? { itemEmbeddings: `co-occurrence SVD, dim ${itemDim}, window 3, unit rows` } : {}),
          ...(modelName === 'TIGER' ? { rqvae: { levels, codes, epochs: rqEpochs }, beam } : {}),
        },
        runs,
        sampled100: { 'hr@10': stat((r) => r.sampled100['hr@10']), 'ndcg@10': stat((r) => r.sampled100['ndcg@10']) },
        fullCatalogue: { 'hr@10': stat((r) => r.fullCatalogue['hr@10']), 'ndcg@10': stat((r) => r.fullCatalogue['ndcg@10']) },
        published: { model: 'SASRec', 'hr@10': 0.741, 'ndcg@10': 0.536 },
      },
      null,
      2,
    ),
  );
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
