// Export a trained model to ONNX and score it with ONNX Runtime (here onnxruntime-node; the same file works
// from Python, C++, Java, C# or onnxruntime-web). Run: npx ts-node --transpile-only examples/serving-onnx.ts
import * as ort from 'onnxruntime-node';
import { DeepFM, datasets, initBackend, shutdownBackend } from '../src';

async function main(): Promise<void> {
  await initBackend({ log: false });
  const d = datasets.syntheticCtr({ rows: 2000, seed: 1 });
  const model = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [32] } });
  model.compile({ lr: 3e-3 });
  await model.fit(d.train, { epochs: 1, batchSize: 256, verbose: 0 });

  const { signature } = await model.exportOnnx('runs/serving-onnx/deepfm.onnx'); // + deepfm.onnx.json
  const session = await ort.InferenceSession.create('runs/serving-onnx/deepfm.onnx');
  const rows = 5;
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of signature.inputs) {
    const width = input.shape.length === 2 ? (input.shape[1] as number) : 1;
    // one column per input: int32 ids or float32 dense values, `width` per row
    const column = (d.test[input.name] as Int32Array | Float32Array).slice(0, rows * width);
    feeds[input.name] = new ort.Tensor(input.dtype, column, input.shape.length === 2 ? [rows, width] : [rows]);
  }
  const onnxScores = (await session.run(feeds)).predictions.data as Float32Array;
  const tfjsScores = (await model.predict(d.test)).slice(0, rows);
  for (let i = 0; i < rows; i++) {
    console.log(`row ${i}: onnxruntime ${onnxScores[i].toFixed(6)}  tfjs ${tfjsScores[i].toFixed(6)}`);
    if (Math.abs(onnxScores[i] - tfjsScores[i]) > 1e-5) throw new Error(`row ${i}: scores differ`);
  }
  model.dispose();
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
