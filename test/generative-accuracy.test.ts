import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticNextItem } from '../src/data/synthetic/next-item';
import { HSTU } from '../src/models/generative/hstu';
import { SASRec } from '../src/models/generative/sasrec';
import { SequentialRecommender } from '../src/models/generative/sequential-recommender';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('next-item accuracy on a known Markov / topic process', () => {
  // transitions carry 80% of the next-item mass; 300 items, 3000 users of 20-50 items
  const d = syntheticNextItem({ seed: 5, numUsers: 3000, numItems: 300, markovWeight: 0.8, embeddingDim: 32 });
  const oracle = d.oracle.hitRateAt(10);
  const results: Record<string, Record<string, number>> = {};
  const shared = { sequenceFeatures: [d.historyFeature], seed: 3, dropout: 0, temperature: 0.1 };
  // HSTU with the output projection over [U, Norm(AV), U * Norm(AV)] (`concatUA`, an option of the authors' code);
  // with the paper's U * Norm(AV) alone it trails SASRec by ~0.015 HR@10 here (docs/models-generative.md)
  const models: Array<[string, () => SequentialRecommender]> = [
    ['HSTU', () => new HSTU({ ...shared, layer: { concatUA: true } })],
    ['SASRec', () => new SASRec(shared)],
  ];

  it.each(models)('%s approaches the oracle HR@10', async (name, make) => {
    const m = make();
    m.compile({ lr: 3e-3 });
    await m.fit({ hist: d.trainSequences.slice(1) }, { epochs: 12, batchSize: 128, verbose: 0 });
    const r = await m.evaluate(d.test);
    results[name] = r;
    console.log(`${name}: test HR@10 ${r['hr@10'].toFixed(3)} NDCG@10 ${r['ndcg@10'].toFixed(3)} HR@50 ${r['hr@50'].toFixed(3)} MRR ${r.mrr.toFixed(3)} (oracle HR@10 ${oracle.toFixed(3)}, ${((100 * r['hr@10']) / oracle).toFixed(1)}%)`);
    expect(r['hr@10']).toBeGreaterThanOrEqual(0.9 * oracle);
    expect(r['hr@50']).toBeGreaterThanOrEqual(r['hr@10']);
    m.dispose();
  });

  // measured: HSTU 0.850 vs SASRec 0.846 at this seed; over model seeds 3-5 both average 0.845 (parity, see the docs).
  // Computing q / k / v as three products instead of one split product changed only float rounding, and this seed
  // then gave HSTU 0.8447 vs SASRec 0.8453 (one test row of 1,500): parity is asserted within 0.005 (7 rows), while
  // HSTU as the paper writes it (without concatUA) trails by ~0.015
  it('HSTU is as good as SASRec on HR@10 (within 0.005) and within 0.01 on NDCG@10', () => {
    expect(results.HSTU['hr@10']).toBeGreaterThanOrEqual(results.SASRec['hr@10'] - 0.005);
    expect(results.HSTU['ndcg@10']).toBeGreaterThanOrEqual(results.SASRec['ndcg@10'] - 0.01);
  });
});
