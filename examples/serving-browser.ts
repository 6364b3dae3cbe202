// Browser page script: load a model saved with model.save(dir, { weightsOnly: true }) over HTTP and score rows.
// Bundle it with esbuild/vite/webpack (they pick the browser build); serve the saved directory and the tfjs wasm
// files (node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm) next to the page.
import { BaseModel, FetchStore, initBackend } from '../src/browser';

async function main(): Promise<void> {
  const cfg = await (await fetch('/config.json')).json(); // { modelUrl, wasmPaths, rows }
  try {
    const backend = await initBackend({ wasmPaths: cfg.wasmPaths }); // a wasm load failure is an error here
    const model = await BaseModel.load(new FetchStore(cfg.modelUrl));
    const scores = await model.predict(cfg.rows); // rows: [{ 'site:id': 3, user: 7, price: 0.2 }, ...]
    await fetch('/result', { method: 'POST', body: JSON.stringify({ backend: backend.name, scores: Array.from(scores) }) });
  } catch (err) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ error: (err as Error).message }) });
  }
}

void main();
