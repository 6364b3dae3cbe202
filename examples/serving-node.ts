// Save a trained model for serving (weights only: no optimizer state) and score it from a fresh process or a
// server. Run: npx ts-node --transpile-only examples/serving-node.ts
import { BaseModel, DeepFM, datasets, initBackend, shutdownBackend } from '../src';

async function main(): Promise<void> {
  await initBackend({ log: false }); // wasm (SIMD) in Node; pass { wasmPaths } to load the binaries from elsewhere
  const d = datasets.syntheticCtr({ rows: 2000, seed: 1 });
  const model = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [32] } });
  model.compile({ lr: 3e-3 });
  await model.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });
  await model.save('runs/serving-node', { weightsOnly: true }); // serve this directory as static files for browsers

  const served = await BaseModel.load('runs/serving-node'); // or new FetchStore('https://host/models/deepfm/')
  const scores = await served.predict(d.test);
  const original = await model.predict(d.test);
  console.log(`first scores: ${Array.from(scores.slice(0, 3)).map((s) => s.toFixed(6)).join(' ')}`);
  if (scores.some((s, i) => s !== original[i])) throw new Error('reloaded scores differ');
  model.dispose();
  served.dispose();
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
