import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { MIND } from '../src/models/match/mind';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
import { DSSM } from '../src/models/match/dssm';
import { SequenceFeature, SparseFeature } from '../src/basic/features';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : d; };
async function main() {
  await initBackend({ log: false });
  const dim = Number(arg('dim', '16'));
  const d = syntheticRetrieval({ numUsers: Number(arg('users', '2000')), numItems: Number(arg('items', '2000')), numClusters: Number(arg('clusters', '50')), clustersPerUser: [2, 4], historyLen: 20, trainPerUser: Number(arg('tpu', '10')), embeddingDim: dim, seed: 3, noise: 0.05 });
  const epochs = Number(arg('epochs', '5'));
  const useUser = arg('user', '0') === '1';
  const userFeatures = useUser ? d.userFeatures : d.userFeatures.filter((f) => f.name !== 'user_id');
  const which = arg('models', 'ytb,mind').split(',');
  console.log('oracle hit@50', d.oracle.hitRateAt(50).toFixed(4));
  for (const w of which) {
    const t0 = Date.now();
    const common = { userFeatures, itemFeatures: d.itemFeatures, seed: 1, numNegatives: Number(arg('neg', '128')), temperature: Number(arg('tau', '1')) } as const;
    const m = w === 'mind' ? new MIND({ ...common, numInterests: Number(arg('K', '4')), attentionPower: arg('p', '2') === 'hard' ? 'hard' : Number(arg('p', '2')), mlp: { dims: [64] } })
      : w === 'dssm' ? new DSSM({ userFeatures, itemFeatures: d.itemFeatures, seed: 1 })
      : new YouTubeDNN({ ...common, mlp: { dims: [64] } });
    m.compile({ lr: Number(arg('lr', '3e-3')) });
    for (let e = 1; e <= epochs; e++) {
      const h = await m.fit(d.train, { epochs: 1, batchSize: Number(arg('bs', '256')), verbose: 0 });
      const r = await m.evaluateRetrieval(d.test, { ks: [50] });
      console.log(w, 'epoch', e, 'loss', h.epochs[0].loss.toFixed(4), 'sps', Math.round(h.epochs[0].samplesPerSec), 'recall@50', r['recall@50'].toFixed(4));
    }
    if (w === 'mind') {
      const ue = await m.userEmbeddings(d.test);
      const [N, K, D] = ue.shape;
      let s = 0, c = 0;
      for (let n = 0; n < N; n++) for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) {
        let dot = 0, na = 0, nb = 0;
        for (let j = 0; j < D; j++) { const x = ue.values[(n * K + a) * D + j], y = ue.values[(n * K + b) * D + j]; dot += x * y; na += x * x; nb += y * y; }
        s += dot / Math.sqrt(na * nb + 1e-12); c++;
      }
      console.log('mean pairwise interest cosine', (s / c).toFixed(4));
    }
    console.log(w, 'seconds', (Date.now() - t0) / 1000);
    m.dispose();
  }
  await shutdownBackend();
}
main().catch((e) => { console.error(e); process.exit(1); });
