/** Browser half of benchmarks/serving-latency.ts: times predict() of saved models fetched over HTTP (wasm). */
import { BaseModel, FetchStore, initBackend } from '../../src/browser';

interface Case {
  name: string;
  url: string;
  /** Rows to score, by scenario ('1 row', '1 user x 1000 candidates'). */
  scenarios: Record<string, Record<string, { float: boolean; values: number[] }>>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const cfg = (await (await fetch('/config.json')).json()) as { wasmPaths: string; repeats: number; cases: Case[] };
  const out: Record<string, Record<string, number>> = {};
  try {
    await initBackend({ wasmPaths: cfg.wasmPaths });
    for (const c of cfg.cases) {
      const model = await BaseModel.load(new FetchStore(c.url));
      out[c.name] = {};
      for (const [scenario, cols] of Object.entries(c.scenarios)) {
        const data = Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, c.float ? Float32Array.from(c.values) : Int32Array.from(c.values)]));
        for (let i = 0; i < 3; i++) await model.predictTargets(data);
        const times: number[] = [];
        for (let i = 0; i < cfg.repeats; i++) {
          const t0 = performance.now();
          await model.predictTargets(data);
          times.push(performance.now() - t0);
        }
        out[c.name][scenario] = median(times);
      }
      model.dispose();
    }
    await fetch('/result', { method: 'POST', body: JSON.stringify({ results: out }) });
  } catch (err) {
    await fetch('/result', { method: 'POST', body: JSON.stringify({ error: (err as Error).message }) });
  }
}

void main();
