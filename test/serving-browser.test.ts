/**
 * The same saved model scores in headless Chromium (browser bundle, wasm backend, FetchStore over
 * 127.0.0.1) with scores equal to Node's; a page whose wasm files cannot be fetched gets a clear error rather
 * than a silent switch to the cpu backend. Needs Debian's `chromium` (.ci/run installs it); skipped without it.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { startStaticServer } from './helpers/static-server';
import { servingData, trainedServingModel } from './helpers/serving-fixture';
import { bundlePage, findChromium, openHeadless, withTimeout } from './helpers/headless-chromium';

const chromium = findChromium();
if (!chromium) console.warn('serving-browser.test.ts skipped: Debian package `chromium` is not installed (apt-get install -y chromium)');
const describeWithChromium = chromium ? describe : describe.skip;

const WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

interface PageResult {
  backend?: string;
  scores?: number[];
  error?: string;
}

let pageScript: Promise<string> | null = null;

async function scoreInBrowser(modelDir: string, rows: Record<string, number>[], wasmPaths: string): Promise<PageResult> {
  pageScript ??= bundlePage(path.join(__dirname, '..', 'examples', 'serving-browser.ts'));
  const script = await pageScript;
  const server = await startStaticServer(
    { '/models/': modelDir, '/wasm/': WASM_DIR },
    { '/index.html': '<!doctype html><script src="/page.js"></script>', '/page.js': script, '/config.json': JSON.stringify({ modelUrl: '/models/', wasmPaths, rows }) },
  );
  const close = await openHeadless(chromium!, `${server.url}/index.html`);
  try {
    return JSON.parse(await withTimeout(server.results, 60_000, 'the headless Chromium page')) as PageResult;
  } finally {
    await close();
    await server.close();
  }
}

describeWithChromium('serving in headless Chromium', () => {
  let dir: string;
  let model: DeepFM;
  const data = servingData(300, 11);
  const rows = Array.from({ length: 300 }, (_, i) => Object.fromEntries(Object.entries(data).map(([k, col]) => [k, col[i]])));

  beforeAll(async () => {
    // the browser runs the wasm kernels alone; Node's reference scores must too (the optional native sgemm rounds
    // differently in the last bit, so bit-equality holds only engine to engine)
    await initBackend({ backend: 'wasm', log: false });
    model = await trainedServingModel();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-browser-'));
    await model.save(dir, { weightsOnly: true });
  });
  afterAll(async () => {
    model?.dispose();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    await shutdownBackend();
  });

  it('scores a saved model with the wasm backend, equal to Node scores', async () => {
    const expected = Array.from(await model.predict(rows));
    const got = await scoreInBrowser(dir, rows, '/wasm/');
    expect(got.error).toBeUndefined();
    expect(got.backend).toBe('wasm');
    expect(got.scores).toHaveLength(expected.length);
    // float32 scores serialised as JSON doubles: compare the float32 values exactly
    expect(Array.from(Float32Array.from(got.scores!))).toEqual(expected);
  });

  it('reports a clear error when the wasm files cannot be fetched (no silent cpu fallback)', async () => {
    const got = await scoreInBrowser(dir, rows.slice(0, 2), '/no-such-dir/');
    expect(got.scores).toBeUndefined();
    expect(got.error).toMatch(/wasm backend failed to initialise.*initBackend\(\{ wasmPaths/);
  });
});
