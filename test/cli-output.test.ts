/** Output discipline: one progress line per epoch without a terminal; the backend banner goes to stderr. */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { SparseFeature } from '../src/basic/features';

afterAll(async () => {
  await shutdownBackend();
});

describe('output without a terminal', () => {
  it('the backend banner is written to stderr, stdout stays for results', async () => {
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await initBackend({ log: true });
      expect(out.mock.calls.flat().join('\n')).not.toMatch(/nextrec-ts: backend/);
      expect(err.mock.calls.flat().join('\n')).toMatch(/nextrec-ts: backend \w+ from/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('fit with the default verbose prints one line per epoch when stderr is not a terminal', async () => {
    expect(process.stderr.isTTY).toBeFalsy();
    const m = new DeepFM({ sparseFeatures: [new SparseFeature({ name: 'item', vocabSize: 20, embeddingDim: 4 })], mlp: { dims: [4] }, seed: 1 });
    m.compile();
    const rows = { item: Array.from({ length: 400 }, (_, i) => 1 + (i % 19)), label: Array.from({ length: 400 }, (_, i) => i % 2) };
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((msg: string) => void lines.push(msg));
    try {
      await m.fit(rows, { epochs: 3, batchSize: 20 }); // 20 steps per epoch
    } finally {
      spy.mockRestore();
    }
    expect(lines.length).toBe(3); // before: a line about every 10% of an epoch as well (33 lines)
    expect(lines[2]).toMatch(/^epoch 3\/3 loss /);
    m.dispose();
  });
});

describe('CLI predict', () => {
  it('writes the chosen id columns next to the scores, and prints a summary without --out', async () => {
    const fs = await import('fs/promises');
    const os = await import('os');
    const path = await import('path');
    const { trainFromConfig, predictRun, predictionSummary } = await import('../src/cli');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-cli-out-'));
    try {
      const run = await trainFromConfig(path.join(__dirname, 'fixtures/cli/run.yaml'), path.join(dir, 'run'), { progress: false });
      const csv = path.join(dir, 'preds.csv');
      const newRows = path.join(__dirname, 'fixtures/ctr/new_rows.csv');
      const preds = await predictRun(run, newRows, csv, { progress: false, ids: ['user_id', 'item_id'] });
      const lines = (await fs.readFile(csv, 'utf8')).trim().split('\n');
      const raw = (await fs.readFile(newRows, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('user_id,item_id,label');
      expect(lines[1].split(',').slice(0, 2)).toEqual(raw[1].split(',').slice(0, 2)); // u64,i199
      expect(lines.length).toBe(raw.length);
      const summary = predictionSummary(preds);
      expect(summary).toMatch(new RegExp(`^${raw.length - 1} rows scored \\(write them with --out FILE.csv\\)\\nlabel: mean 0\\.\\d{4} min 0\\.\\d{4} max 0\\.\\d{4}; first rows`));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
