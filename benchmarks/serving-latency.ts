/**
 * Scoring latency of a trained-size model in the three serving paths, same run, same machine:
 *   tfjs-wasm in Node, ONNX Runtime in Node (onnxruntime-node, CPU), and tfjs-wasm in headless Chromium
 * for DeepFM, DIN, a two-tower model (DSSM) and HSTU, on 1 row and on 1 user x 1,000 candidates.
 * HSTU scores the whole 1,000-item catalogue for one history in both scenarios (that is its forward).
 * Median of --repeats runs after 3 warm-ups; untrained weights (latency does not depend on them).
 * ONNX: DSSM runs its exported user tower for the one user and scores the item matrix in JS; HSTU runs its exported
 * graph (history -> next-item vector) and scores the whole exported item matrix in JS, as tfjs does.
 *
 *   npx ts-node --transpile-only benchmarks/serving-latency.ts [--repeats 20] [--no-browser]
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import * as ort from 'onnxruntime-node';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import '../src/basic/onnx';
import { BaseModel } from '../src/basic/model/base-model';
import { DenseFeature, SequenceFeature, SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { DeepFM, DIN } from '../src/models/ranking';
import { DSSM } from '../src/models/match';
import { HSTU } from '../src/models/generative';
import { startStaticServer } from '../test/helpers/static-server';
import { bundlePage, findChromium, openHeadless, withTimeout } from '../test/helpers/headless-chromium';
import { arg } from './lib/args';
import { median } from './lib/timing';

type Columns = Record<string, Int32Array | Float32Array>;
const ITEMS = 1000;
const HIST = 20;

interface Case {
  name: string;
  model: BaseModel;
  scenarios: Record<string, Columns>;
}

function ids(rng: Rng, n: number, vocab: number): Int32Array {
  return Int32Array.from({ length: n }, () => 1 + Math.floor(rng.uniform(0, vocab - 1)));
}

/** One user (same user / context values on every row) against `n` candidate items 1..n. */
function rankingRows(n: number, withHist: boolean): Columns {
  const rng = new Rng(3);
  const one = (vocab: number) => new Int32Array(n).fill(ids(rng, 1, vocab)[0]);
  const cols: Columns = { item: Int32Array.from({ length: n }, (_, i) => 1 + (i % ITEMS)), user: one(10_000) };
  for (let f = 0; f < 6; f++) cols[`c${f}`] = one(100);
  cols.price = new Float32Array(n).fill(0.3);
  if (withHist) {
    const h = ids(rng, HIST, ITEMS + 1);
    cols.hist = Int32Array.from({ length: n * HIST }, (_, i) => h[i % HIST]);
  }
  return cols;
}

function cases(): Case[] {
  const item = new SparseFeature({ name: 'item', vocabSize: ITEMS + 1, embeddingDim: 16, embeddingName: 'item' });
  const sparse = [item, new SparseFeature({ name: 'user', vocabSize: 10_000, embeddingDim: 16 }), ...Array.from({ length: 6 }, (_, f) => new SparseFeature({ name: `c${f}`, vocabSize: 100, embeddingDim: 16 }))];
  const dense = [new DenseFeature({ name: 'price' })];
  const hist = new SequenceFeature({ name: 'hist', maxLen: HIST, vocabSize: ITEMS + 1, embeddingDim: 16, embeddingName: 'item' });
  const deepfm = new DeepFM({ sparseFeatures: sparse, denseFeatures: dense, mlp: { dims: [256, 128] }, seed: 1 });
  const din = new DIN({ sparseFeatures: sparse, denseFeatures: dense, sequenceFeatures: [hist], behaviorFeature: 'hist', targetItemFeature: 'item', contextFeatures: ['user', 'c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'price'], attention: { dims: [80, 40] }, mlp: { dims: [200, 80] }, seed: 1 });
  const user = new SparseFeature({ name: 'user_id', vocabSize: 10_000, embeddingDim: 32 });
  const tower = new SparseFeature({ name: 'item_id', vocabSize: ITEMS + 1, embeddingDim: 32 });
  const dssm = new DSSM({ userFeatures: [user], itemFeatures: [tower], userMlp: { dims: [128, 64] }, itemMlp: { dims: [128, 64] }, seed: 1 });
  const history = new SequenceFeature({ name: 'hist', maxLen: 50, vocabSize: ITEMS + 1, embeddingDim: 64 });
  const hstu = new HSTU({ sequenceFeatures: [history], seed: 1 });
  const twoTower = (n: number): Columns => ({ user_id: new Int32Array(n).fill(42), item_id: Int32Array.from({ length: n }, (_, i) => 1 + (i % ITEMS)) });
  const rng = new Rng(9);
  const hstuRow: Columns = { hist: ids(rng, 50, ITEMS + 1), target_item: Int32Array.of(5) };
  return [
    { name: 'DeepFM', model: deepfm, scenarios: { '1 row': rankingRows(1, false), '1 user x 1000': rankingRows(ITEMS, false) } },
    { name: 'DIN', model: din, scenarios: { '1 row': rankingRows(1, true), '1 user x 1000': rankingRows(ITEMS, true) } },
    { name: 'DSSM (two-tower)', model: dssm, scenarios: { '1 row': twoTower(1), '1 user x 1000': twoTower(ITEMS) } },
    { name: 'HSTU', model: hstu, scenarios: { '1 row': hstuRow, '1 user x 1000': hstuRow } },
  ];
}

async function time(repeats: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

interface OnnxRunner {
  run(c: Columns): Promise<unknown>;
}

/**
 * An ONNX Runtime scorer of the model's exported graph, or null when it is not exportable. Match models export the
 * user tower + item matrix: one user row through the graph, then the dot products with the item matrix in JS.
 */
async function onnxRunner(model: BaseModel, dir: string): Promise<OnnxRunner | null> {
  try {
    const { bytes, signature } = await model.toOnnx();
    const file = path.join(dir, `${model.modelName()}.onnx`);
    await fs.writeFile(file, bytes);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    const feeds = (c: Columns) => {
      const rows = c[signature.inputs[0].name].length / (signature.inputs[0].shape.length === 2 ? (signature.inputs[0].shape[1] as number) : 1);
      return Object.fromEntries(signature.inputs.map((i) => [i.name, new ort.Tensor(i.dtype, c[i.name], i.shape.length === 2 ? [rows, i.shape[1] as number] : [rows])]));
    };
    if (!signature.outputs.some((o) => o.name === 'item_embeddings')) return { run: (c) => session.run(feeds(c)) };
    if (!signature.inputs.some((i) => i.name === 'item_id')) {
      // next-item model: the history's vector against the whole catalogue (cosine / temperature, as recommend())
      const invT = 1 / (model as unknown as { temperature: number }).temperature;
      return {
        run: async (c) => {
          const out = await session.run(feeds(c));
          const user = out.user_vectors.data as Float32Array;
          const items = out.item_embeddings.data as Float32Array;
          const D = user.length;
          const scores = new Float32Array(items.length / D);
          for (let r = 0; r < scores.length; r++) {
            let s2 = 0;
            for (let j = 0; j < D; j++) s2 += user[j] * items[r * D + j];
            scores[r] = s2 * invT;
          }
          return scores;
        },
      };
    }
    return {
      run: async (c) => {
        const first = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.slice(0, v.length / c[signature.inputs[0].name].length)])) as Columns;
        const out = await session.run(feeds(first));
        const user = out.user_vectors.data as Float32Array;
        const items = out.item_embeddings.data as Float32Array;
        const rowOf = new Map(Array.from(out.item_ids.data as Int32Array, (id, r) => [id, r]));
        const D = user.length;
        const n = c[signature.inputs[0].name].length;
        const scores = new Float32Array(n);
        for (let r = 0; r < n; r++) {
          const item = c.item_id[r];
          let s2 = 0;
          const row = rowOf.get(item) ?? 0;
          for (let j = 0; j < D; j++) s2 += user[j] * items[row * D + j];
          scores[r] = s2;
        }
        return scores;
      },
    };
  } catch {
    return null;
  }
}

async function browserTimes(all: Case[], dir: string, repeats: number): Promise<Record<string, Record<string, number>> | string> {
  const chromium = findChromium();
  if (!chromium) return 'chromium not installed';
  for (const c of all) await c.model.save(path.join(dir, c.name.replace(/\W+/g, '_')), { weightsOnly: true });
  const script = await bundlePage(path.join(__dirname, 'lib', 'serving-bench-page.ts'));
  const config = {
    wasmPaths: '/wasm/',
    repeats,
    cases: all.map((c) => ({
      name: c.name,
      url: `/models/${c.name.replace(/\W+/g, '_')}/`,
      scenarios: Object.fromEntries(Object.entries(c.scenarios).map(([s, cols]) => [s, Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, { float: v instanceof Float32Array, values: Array.from(v) }]))])),
    })),
  };
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const server = await startStaticServer({ '/models/': dir, '/wasm/': wasmDir }, { '/index.html': '<!doctype html><script src="/page.js"></script>', '/page.js': script, '/config.json': JSON.stringify(config) });
  const close = await openHeadless(chromium, `${server.url}/index.html`);
  try {
    const got = JSON.parse(await withTimeout(server.results, 300_000, 'the benchmark page')) as { results?: Record<string, Record<string, number>>; error?: string };
    return got.results ?? `page error: ${got.error}`;
  } finally {
    await close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const repeats = Number(arg('repeats', '20'));
  const info = await initBackend({ log: false });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-serving-bench-'));
  const all = cases();
  const rows: string[] = [];
  try {
    const browser = process.argv.includes('--no-browser') ? 'skipped (--no-browser)' : await browserTimes(all, dir, repeats);
    for (const c of all) {
      const onnx = await onnxRunner(c.model, dir);
      for (const [scenario, cols] of Object.entries(c.scenarios)) {
        const tfjs = await time(repeats, () => c.model.predictTargets(cols));
        const ortMs = onnx ? (await time(repeats, () => onnx.run(cols))).toFixed(2) : 'n/a';
        const chrome = typeof browser === 'string' ? 'n/a' : browser[c.name]?.[scenario]?.toFixed(2) ?? 'n/a';
        rows.push(`| ${c.name} | ${scenario} | ${tfjs.toFixed(2)} | ${ortMs} | ${chrome} |`);
      }
    }
    console.log(`serving latency, median of ${repeats} (ms); Node ${process.version}, tfjs ${info.name} ${info.threads} thread(s), ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
    if (typeof browser === 'string') console.log(`headless Chromium: ${browser}`);
    console.log('| model | scenario | tfjs-wasm Node | ONNX Runtime Node | tfjs-wasm Chromium |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    all.forEach((c) => c.model.dispose());
    await fs.rm(dir, { recursive: true, force: true });
    await shutdownBackend();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
