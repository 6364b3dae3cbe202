// Scores an ONNX file with onnxruntime-node in a plain Node process (jest's sandbox gives typed arrays from
// another realm, which onnxruntime-node's output tensors reject). Usage: node ort-score.js model.onnx input.json
// input.json: { rows, columns: { name: number[] }, shapes?: { name: dims } }; the signature is read from model.onnx.json. Several
// `model.onnx input.json` pairs may follow each other (one process start for many models); prints a JSON array.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function score(file, inputFile) {
  const signature = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'));
  const { rows, columns, shapes = {} } = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
  const session = await ort.InferenceSession.create(file);
  const feeds = {};
  for (const i of signature.inputs) {
    const Typed = i.dtype === 'int32' ? Int32Array : i.dtype === 'float64' ? Float64Array : Float32Array;
    // 'batch' is the rows; other named (dynamic) dims come from `shapes`
    const dims = shapes[i.name] || i.shape.map((d) => (d === 'batch' ? rows : d));
    feeds[i.name] = new ort.Tensor(i.dtype, Typed.from(columns[i.name]), dims);
  }
  const all = await session.run(feeds);
  const out = all[signature.outputs[0].name];
  const outputs = {};
  for (const o of signature.outputs) outputs[o.name] = { dims: all[o.name].dims, values: Array.from(all[o.name].data, Number) };
  return { dims: out.dims, values: Array.from(out.data, Number), outputs };
}

(async () => {
  const args = process.argv.slice(2);
  const results = [];
  for (let i = 0; i + 1 < args.length; i += 2) results.push(await score(args[i], args[i + 1]));
  process.stdout.write(JSON.stringify(results));
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
