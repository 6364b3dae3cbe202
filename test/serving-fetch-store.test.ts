/**
 * Serving a saved model over HTTP: FetchStore loads what model.save wrote (full or weightsOnly) from a static
 * server on 127.0.0.1, including tables whose file names are percent-encoded on disk, with identical scores.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { BaseModel } from '../src/basic/model/base-model';
import { FetchStore } from '../src/basic/fetch-store';
import { MemoryStore } from '../src/basic/store';
import { startStaticServer, StaticServer } from './helpers/static-server';
import { servingData, trainedServingModel } from './helpers/serving-fixture';

let dir: string;
let server: StaticServer;
let model: DeepFM;

async function dirBytes(d: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await fs.stat(p)).size;
  }
  return total;
}

beforeAll(async () => {
  await initBackend({ log: false });
  model = await trainedServingModel();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-serving-'));
  await model.save(path.join(dir, 'full'));
  await model.save(path.join(dir, 'serve'), { weightsOnly: true });
  server = await startStaticServer({ '/models/': dir });
});

afterAll(async () => {
  await server?.close();
  model?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
  await shutdownBackend();
});

describe('FetchStore and weightsOnly saves', () => {
  it('weightsOnly drops optimizer state and Adam slots: about a third of the full save', async () => {
    const files = await fs.readdir(path.join(dir, 'serve'));
    expect(files).not.toContain('optimizer.bin');
    // the table file name is percent-encoded on disk
    expect(await fs.readdir(path.join(dir, 'serve', 'tables'))).toContain('site%3Aid.bin');
    const full = await dirBytes(path.join(dir, 'full'));
    const serve = await dirBytes(path.join(dir, 'serve'));
    expect(serve).toBeLessThan(0.5 * full);
  });

  it('loads over HTTP with scores equal to the trained model (full and weights-only saves)', async () => {
    const data = servingData(200, 9);
    const expected = Array.from(await model.predict(data));
    for (const which of ['serve', 'full']) {
      const loaded = await BaseModel.load(new FetchStore(`${server.url}/models/${which}/`));
      expect(loaded).toBeInstanceOf(DeepFM);
      expect(Array.from(await loaded.predict(data))).toEqual(expected);
      loaded.dispose();
    }
  });

  it('a weights-only model can be compiled and trained again', async () => {
    const loaded = await DeepFM.load<DeepFM>(new FetchStore(`${server.url}/models/serve`));
    loaded.compile({ optimizer: 'adam', lr: 1e-3 });
    const hist = await loaded.fit(servingData(128, 2), { epochs: 1, batchSize: 64, verbose: 0 });
    expect(Number.isFinite(hist.epochs[0].loss)).toBe(true);
    loaded.dispose();
  });

  it('names the URL when a file is missing, and refuses to write', async () => {
    await expect(DeepFM.load(new FetchStore(`${server.url}/models/nowhere/`))).rejects.toThrow(
      new RegExp(`model file not found: ${server.url}/models/nowhere/manifest.json \\(HTTP 404\\)`),
    );
    await expect(model.save(new FetchStore(`${server.url}/models/x/`))).rejects.toThrow(/FetchStore is read-only/);
    expect(() => new FetchStore('')).toThrow(/baseUrl must be a non-empty URL/);
    await expect(model.save(new MemoryStore(), { weightsOnly: true, optimizer: false } as never)).rejects.toThrow(/unknown option 'optimizer'/);
  });
});
