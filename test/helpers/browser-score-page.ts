/**
 * Page script of the headless-Chromium serving test (bundled with esbuild from the browser entry): loads a
 * saved model over HTTP, scores the rows it is given and POSTs the scores (or the error message) to /result.
 */
import { BaseModel, FetchStore, initBackend } from '../../src/browser';

interface PageConfig {
  modelUrl: string;
  wasmPaths: string;
  rows: Record<string, number>[];
}

async function report(body: unknown): Promise<void> {
  await fetch('/result', { method: 'POST', body: JSON.stringify(body) });
}

async function main(): Promise<void> {
  const cfg = (await (await fetch('/config.json')).json()) as PageConfig;
  try {
    const backend = await initBackend({ wasmPaths: cfg.wasmPaths });
    const model = await BaseModel.load(new FetchStore(cfg.modelUrl));
    const t0 = performance.now();
    const scores = await model.predict(cfg.rows);
    const ms = performance.now() - t0;
    await report({ backend: backend.name, scores: Array.from(scores), ms });
  } catch (err) {
    await report({ error: (err as Error).message });
  }
}

void main();
