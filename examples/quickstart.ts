/**
 * Train and evaluate DeepFM on the built-in synthetic CTR dataset, then save, reload and check the reloaded
 * model scores identically. Run: npm run quickstart   (options: --rows N --epochs N --threads N)
 */
import { DeepFM, datasets, initBackend, shutdownBackend } from '../src';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  await initBackend({ threads: arg('threads', 1) });
  const { train, valid, test, features, oracle } = datasets.syntheticCtr({ rows: arg('rows', 200_000), seed: 7 });
  const model = new DeepFM({ sparseFeatures: features.sparse, denseFeatures: features.dense, mlp: { dims: [256, 128], dropout: 0 }, seed: 7 });
  model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'bce', metrics: ['auc', 'logloss'] });
  await model.fit(train, { validData: valid, epochs: arg('epochs', 3), batchSize: 1024, earlyStopping: { patience: 2 } });
  const report = await model.evaluate(test);
  console.log(`test metrics: ${JSON.stringify(report)}`);
  console.log(`oracle AUC on test: ${oracle.test.oracleAuc.toFixed(4)} -> DeepFM reaches ${((100 * report.auc) / oracle.test.oracleAuc).toFixed(1)}%`);
  const scores = await model.predict(test);
  await model.save('runs/deepfm');
  const again = await DeepFM.load<DeepFM>('runs/deepfm');
  const same = (await again.predict(test)).every((v, i) => v === scores[i]);
  console.log(`saved to runs/deepfm; reloaded model scores identically: ${same}`);
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
