import { initBackend, shutdownBackend } from '../src/basic/backend';
import { syntheticRetrieval } from '../src/data/synthetic/retrieval';
import { YouTubeDNN } from '../src/models/match/youtube-dnn';
async function main() {
  await initBackend({ log: false });
  const d = syntheticRetrieval({ numUsers: 2000, numItems: 2000, numClusters: 50, clustersPerUser: [2, 4], historyLen: 20, trainPerUser: 10, embeddingDim: 16, seed: 3 });
  const userFeatures = d.userFeatures.filter((f) => f.name !== 'user_id');
  const m = new YouTubeDNN({ userFeatures, itemFeatures: d.itemFeatures, seed: 1, mlp: { dims: [64] } });
  m.compile({ lr: 3e-3 });
  let t = Date.now();
  const r = await m.recommend(d.test, 50);
  console.log('rec ms', Date.now() - t);
  t = Date.now();
  await m.recommend(d.test, 50);
  console.log('rec2 ms', Date.now() - t);
  t = Date.now();
  await m.recommend(d.test, 50, {excludeSeen: true});
  console.log('rec3 ms', Date.now() - t);
  await shutdownBackend();
}
main();
