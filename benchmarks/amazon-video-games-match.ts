/**
 * Match (two-tower / retrieval) models on real data: Amazon Video Games as preprocessed by the SASRec authors
 * (a local `user item` file, each user's lines in time order; see ../shared/data/amazon-video-games or --file), on
 * the same leave-one-out split as benchmarks/amazon-video-games.ts (last item test, second-to-last valid, the rest
 * train). Training rows are (history prefix -> next item) for every position of the training part; the user tower
 * reads the history (SDM: its last --session items as the short-term session, the whole history as long-term).
 * Reports on the test rows, per seed and as mean / min / max over seeds:
 * - the full catalogue (all items, the user's history excluded): recall@50 (= hit@50: one relevant item per row),
 *   HR@10 and NDCG@10 (MatchModel.evaluateRetrieval);
 * - the SASRec paper's protocol: the target against 100 items drawn uniformly from those the user never interacted
 *   with, HR@10 and NDCG@10, scored from the exported user / item vectors (multi-interest users: best interest);
 * - training time.
 *
 * After every epoch, recall@50 on the first --validRows validation rows (second-to-last items) is logged, so that
 * the epoch count can be chosen on validation data, never on the test rows.
 * The report (settings, per-seed runs, mean / min / max) is printed and written to --out (default
 * benchmarks/results/amazon-video-games-match-<model><--tag>.json).
 *
 *   npx ts-node --transpile-only benchmarks/amazon-video-games-match.ts [--file path/interactions.txt]
 *     [--model DSSM|YouTubeDNN|MIND|ComiRec|SDM] [--seeds 1,2,3] [--epochs 5] [--dim 64] [--maxLen 20] [--session 5]
 *     [--lr 0.001] [--embeddingLr X] [--batch 256] [--negatives 512] [--validRows 5000] [--tag -name] [--out file]
 *     MIND / ComiRec: [--interests 4] [--routing 3] [--power 2|0|hard] [--initStd 0.1] [--variant sa|dr] [--dynamic 1]
 *     [--embStd 0.01]   (std of the normal initialiser of the item table)
 *     [--maxSteps N --evalRows N]   (smoke runs: N steps per epoch, the first N test rows)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { loadAmazonReviews } from '../src/data/loaders/amazon';
import { denseItemIds, nextItemExamples } from '../src/data/loaders/views';
import { DSSM, YouTubeDNN, MIND, ComiRec, SDM, MatchModel } from '../src/models/match';
import { arg } from './lib/args';

const MODELS = ['DSSM', 'YouTubeDNN', 'MIND', 'ComiRec', 'SDM'] as const;
type ModelName = (typeof MODELS)[number];

/** Histories as a padded [rows x width] id matrix (most recent `width` items, oldest first, zeros after). */
function padded(lists: number[][], width: number): Int32Array {
  const out = new Int32Array(lists.length * width);
  lists.forEach((items, r) => {
    const recent = items.slice(Math.max(0, items.length - width));
    out.set(recent, r * width);
  });
  return out;
}

/** Options of the multi-interest models (absent: the model's default). */
interface InterestOptions {
  numInterests?: number;
  routingIterations?: number;
  attentionPower?: number | 'hard';
  routingInitStd?: number;
  variant?: 'sa' | 'dr';
  dynamicInterests?: boolean;
}

function makeModel(name: ModelName, hist: SequenceFeature, session: SequenceFeature, item: SparseFeature, seed: number, numNegatives: number, mi: InterestOptions): MatchModel {
  const base = { itemFeatures: [item], seed, numNegatives };
  switch (name) {
    case 'DSSM':
      return new DSSM({ ...base, userFeatures: [hist], userMlp: { dims: [128] }, itemMlp: { dims: [128] }, outputDim: item.embeddingDim });
    case 'YouTubeDNN':
      return new YouTubeDNN({ ...base, userFeatures: [hist], mlp: { dims: [128] } });
    case 'MIND':
      return new MIND({ ...base, userFeatures: [hist], numInterests: mi.numInterests, routingIterations: mi.routingIterations, attentionPower: mi.attentionPower, routingInitStd: mi.routingInitStd, dynamicInterests: mi.dynamicInterests });
    case 'ComiRec':
      return new ComiRec({ ...base, userFeatures: [hist], numInterests: mi.numInterests, routingIterations: mi.routingIterations, variant: mi.variant });
    case 'SDM':
      return new SDM({ ...base, userFeatures: [hist, session], shortTermFeature: 'session', longTermFeature: 'hist' });
  }
}

async function main(): Promise<void> {
  const file = arg('file', path.join(__dirname, '../../shared/data/amazon-video-games/interactions.txt'));
  const modelName = arg('model', 'YouTubeDNN') as ModelName;
  if (!MODELS.includes(modelName)) throw new Error(`--model must be one of ${MODELS.join(', ')} (got '${modelName}')`);
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const epochs = Number(arg('epochs', '5'));
  const dim = Number(arg('dim', '64'));
  const maxLen = Number(arg('maxLen', '20'));
  const sessionLen = Number(arg('session', '5'));
  const lr = Number(arg('lr', '0.001'));
  const batchSize = Number(arg('batch', '256'));
  const embeddingLr = arg('embeddingLr', '') ? Number(arg('embeddingLr', '')) : undefined;
  const numNegatives = Number(arg('negatives', '512'));
  const validRows = Number(arg('validRows', '5000'));
  const embStd = arg('embStd', '') ? Number(arg('embStd', '')) : undefined;
  const num = (name: string) => (arg(name, '') ? Number(arg(name, '')) : undefined);
  const power = arg('power', '');
  const mi: InterestOptions = {
    numInterests: num('interests'),
    routingIterations: num('routing'),
    attentionPower: power === '' ? undefined : power === 'hard' ? 'hard' : Number(power),
    routingInitStd: num('initStd'),
    variant: (arg('variant', '') || undefined) as 'sa' | 'dr' | undefined,
    dynamicInterests: arg('dynamic', '') ? arg('dynamic', '') === '1' : undefined,
  };
  const tag = arg('tag', '');
  const out = arg('out', path.join(__dirname, 'results', `amazon-video-games-match-${modelName}${tag}.json`));
  const maxSteps = arg('maxSteps', '') ? Number(arg('maxSteps', '')) : undefined;
  const evalRows = Number(arg('evalRows', '0'));
  await initBackend({ log: false });
  const t0 = Date.now();
  const ds = await loadAmazonReviews(file, { format: 'pairs' });
  const seqs = ds.sequences();
  const split = nextItemExamples(seqs, { maxLen });
  const { ids } = denseItemIds(seqs);
  const idOf = (key: unknown): number => ids.get(key as string)!;
  const V = ids.size;
  const columns = (table: { columns: Record<string, unknown[]> }, rows?: number) => {
    const n = rows ? Math.min(rows, table.columns.target.length) : table.columns.target.length;
    const hist = (table.columns.hist as string[][]).slice(0, n).map((h) => h.map(idOf));
    return {
      hist: padded(hist, maxLen),
      session: padded(hist, sessionLen),
      item_id: Int32Array.from(table.columns.target.slice(0, n), idOf),
      label: new Float32Array(n).fill(1),
    };
  };
  const train = columns(split.train as unknown as { columns: Record<string, unknown[]> });
  const test = columns(split.test as unknown as { columns: Record<string, unknown[]> }, evalRows || undefined);
  const valid = columns(split.valid as unknown as { columns: Record<string, unknown[]> }, validRows || 1);
  const n = test.item_id.length;
  // every item each test user interacted with (history, valid and test items): excluded from the sampled negatives
  const seenOf = new Map<string, Set<number>>();
  seqs.users.forEach((u, i) => seenOf.set(u, new Set(seqs.items[i].map(idOf))));
  const testUsers = split.test.columns.user as string[];
  console.error(`${file}: ${seqs.users.length} users, ${V} items; ${train.item_id.length} training rows, ${n} test rows (${((Date.now() - t0) / 1000).toFixed(1)} s to load)`);

  interface Run {
    seed: number;
    epochs: number;
    trainSeconds: number;
    /** CPU seconds of this process while training (user + system; wall time varies with the machine's load). */
    trainCpuSeconds: number;
    fullCatalogue: Record<string, number>;
    sampled100: Record<string, number>;
    finalLoss: number;
    /** 1-minute load average of the machine sampled at every epoch end (mean, max) and its CPU count. */
    machineLoad: { cpus: number; mean: number; max: number };
    /** Per epoch: mean training loss and validation recall@50 (full catalogue, first validRows rows). */
    curve: Array<{ epoch: number; loss: number; validRecall50?: number; seconds: number }>;
  }
  const runs: Run[] = [];
  /** The report over the seeds finished so far, printed and (re)written after every seed. */
  const writeReport = (): void => {
    const stat = (f: (r: Run) => number) => {
      const xs = runs.map(f);
      return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };
    };
    const report = JSON.stringify(
        {
          data: `${path.relative(path.join(__dirname, '..'), file)} (${seqs.users.length} users, ${V} items; not committed)`,
          split: 'leave-one-out: last item test, second-to-last valid, the rest train (every prefix -> next item)',
          command: `npx ts-node --transpile-only benchmarks/amazon-video-games-match.ts ${process.argv.slice(2).join(' ')}`,
          model: modelName,
          settings: { epochs, dim, maxLen, session: modelName === 'SDM' ? sessionLen : undefined, lr, embeddingLr, batchSize, numNegatives, embStd, ...mi, validRows, maxSteps, evalRows: evalRows || undefined },
          runs,
          fullCatalogue: { 'recall@50': stat((r) => r.fullCatalogue['recall@50']), 'hr@10': stat((r) => r.fullCatalogue['hr@10']), 'ndcg@10': stat((r) => r.fullCatalogue['ndcg@10']) },
          sampled100: { 'hr@10': stat((r) => r.sampled100['hr@10']), 'ndcg@10': stat((r) => r.sampled100['ndcg@10']) },
          trainSeconds: stat((r) => r.trainSeconds),
      trainCpuSeconds: stat((r) => r.trainCpuSeconds),
        },
        null,
        2,
      );
    console.log(report);
    fs.writeFileSync(out, report + '\n');
    console.error(`wrote ${out}`);
  };
  for (const seed of seeds) {
    const initializer = embStd === undefined ? undefined : { type: 'normal' as const, std: embStd };
    const item = new SparseFeature({ name: 'item_id', vocabSize: V + 1, embeddingDim: dim, embeddingName: 'item', initializer });
    const hist = new SequenceFeature({ name: 'hist', vocabSize: V + 1, embeddingDim: dim, maxLen, embeddingName: 'item', pooling: 'mean', initializer });
    const session = new SequenceFeature({ name: 'session', vocabSize: V + 1, embeddingDim: dim, maxLen: sessionLen, embeddingName: 'item', pooling: 'mean' });
    const m = makeModel(modelName, hist, session, item, seed, numNegatives, mi);
    m.compile({ lr, embeddingLr });
    const { session: trainSession, ...rest } = train;
    void trainSession;
    const userCols = (t: typeof train): Record<string, Int32Array> => (modelName === 'SDM' ? { hist: t.hist, session: t.session } : { hist: t.hist });
    const curve: Run['curve'] = [];
    let evalSeconds = 0;
    const start = Date.now();
    const cpu0 = process.cpuUsage();
    let evalCpu = 0;
    const loads: number[] = [os.loadavg()[0]];
    const h = await m.fit(modelName === 'SDM' ? train : rest, {
      epochs,
      batchSize,
      verbose: 0,
      maxSteps,
      onEpochEnd: async (log) => {
        const point: Run['curve'][number] = { epoch: log.epoch, loss: log.loss, seconds: Math.round(log.seconds) };
        if (validRows > 0) {
          const e0 = Date.now();
          const c0 = process.cpuUsage();
          point.validRecall50 = (await m.evaluateRetrieval({ ...userCols(valid), item_id: valid.item_id }, { ks: [50], excludeSeen: true }))['recall@50'];
          evalSeconds += (Date.now() - e0) / 1000;
          const c1 = process.cpuUsage(c0);
          evalCpu += (c1.user + c1.system) / 1e6;
        }
        curve.push(point);
        loads.push(os.loadavg()[0]);
        console.error(`seed ${seed} epoch ${log.epoch}: loss ${log.loss.toFixed(4)}${point.validRecall50 === undefined ? '' : `, valid recall@50 ${point.validRecall50.toFixed(4)}`} (${log.seconds.toFixed(0)} s)`);
      },
    });
    const trainS = (Date.now() - start) / 1000 - evalSeconds;
    const cpu1 = process.cpuUsage(cpu0);
    const trainCpu = (cpu1.user + cpu1.system) / 1e6 - evalCpu;
    console.error(`seed ${seed}: trained in ${trainS.toFixed(1)} s`);
    const users = userCols(test);
    const full = await m.evaluateRetrieval({ ...users, item_id: test.item_id }, { ks: [10, 50], excludeSeen: true });
    // the paper's protocol from the exported vectors; a multi-interest user scores an item by its best interest
    const u = await m.userEmbeddings(users);
    const itemsM = m.itemEmbeddings();
    const rowOf = new Map<number, number>();
    (itemsM.ids ?? Int32Array.from({ length: itemsM.shape[0] }, (_, r) => r + 1)).forEach((id, r) => rowOf.set(id, r));
    const K = u.shape.length === 3 ? u.shape[1] : 1;
    const D = u.shape[u.shape.length - 1];
    const score = (r: number, id: number) => {
      const row = rowOf.get(id);
      if (row === undefined) return -Infinity;
      let best = -Infinity;
      for (let k = 0; k < K; k++) {
        if (u.interestMask && u.interestMask[r * K + k] === 0) continue;
        let s = 0;
        for (let j = 0; j < D; j++) s += u.values[(r * K + k) * D + j] * itemsM.values[row * D + j];
        best = Math.max(best, s);
      }
      return best;
    };
    const rng = new Rng(1000 + seed);
    let hr = 0;
    let ndcg = 0;
    for (let r = 0; r < n; r++) {
      const seen = seenOf.get(testUsers[r])!;
      const target = score(r, test.item_id[r]);
      const drawn = new Set<number>();
      let rank = 0;
      while (drawn.size < 100) {
        const id = 1 + rng.int(V);
        if (seen.has(id) || drawn.has(id)) continue;
        drawn.add(id);
        if (score(r, id) > target) rank++;
      }
      if (rank < 10) {
        hr++;
        ndcg += 1 / Math.log2(rank + 2);
      }
    }
    const run: Run = {
      seed,
      epochs: h.epochs.length,
      trainSeconds: Math.round(trainS),
      trainCpuSeconds: Math.round(trainCpu),
      fullCatalogue: { 'recall@50': full['recall@50'], 'hr@10': full['hit@10'], 'ndcg@10': full['ndcg@10'] },
      sampled100: { 'hr@10': hr / n, 'ndcg@10': ndcg / n },
      finalLoss: h.epochs[h.epochs.length - 1].loss,
      machineLoad: { cpus: os.cpus().length, mean: Number((loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2)), max: Number(Math.max(...loads).toFixed(2)) },
      curve,
    };
    console.error(JSON.stringify(run));
    runs.push(run);
    writeReport();
    m.dispose();
  }
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
