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
