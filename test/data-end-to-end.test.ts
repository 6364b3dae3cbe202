import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { csvEndToEnd } from '../examples/csv-end-to-end';

const FX = path.join(__dirname, 'fixtures', 'ctr');

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('raw CSV -> DataProcessor -> DeepFM -> save -> load -> predict (examples/csv-end-to-end.ts)', () => {
  it('learns from the CSV and serves identical predictions after reloading model and processor', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nextrec-e2e-test-'));
    try {
      const { predictions, reloaded, valAuc } = await csvEndToEnd(path.join(FX, 'train.csv'), path.join(FX, 'new_rows.csv'), out, () => undefined);
      expect(valAuc).toBeGreaterThan(0.7);
      expect(reloaded).toHaveLength(20);
      expect(Array.from(reloaded).every((p) => p > 0 && p < 1)).toBe(true);
      expect(reloaded).toEqual(predictions);
      expect(readdirSync(out)).toEqual(expect.arrayContaining(['manifest.json', 'processor.json']));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
