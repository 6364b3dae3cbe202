import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { main, parseRunConfig, trainFromConfig, evaluateRun, predictRun } from '../src/cli';

const RUN = path.join(__dirname, 'fixtures', 'cli', 'run.yaml');
const NEW_ROWS = path.join(__dirname, 'fixtures', 'ctr', 'new_rows.csv');
const TRAIN = path.join(__dirname, 'fixtures', 'ctr', 'train.csv');

describe('command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-cli-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('train writes model, processor, history, metrics and config to the run directory; evaluate and predict reuse it', async () => {
    const out = await trainFromConfig(RUN, path.join(dir, 'run'));
    for (const f of ['manifest.json', 'processor.json', 'history.json', 'metrics.json', 'run.yaml']) await expect(fs.stat(path.join(out, f))).resolves.toBeTruthy();
    const saved = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
    const again = await evaluateRun(out, TRAIN);
    expect(again.auc).toBeCloseTo(saved.auc, 10);
    const csv = path.join(dir, 'preds.csv');
    const preds = await predictRun(out, NEW_ROWS, csv);
    const lines = (await fs.readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('label');
    expect(lines.length - 1).toBe(preds.label.length);
    expect(preds.label.every((p) => p > 0 && p < 1)).toBe(true);
  });

  it('validation errors name the field', () => {
    expect(() => parseRunConfig('data: {}\nmodel: {name: DeepFM}', 'x.yaml')).toThrow(/x.yaml: data.train must be a file path/);
    expect(() => parseRunConfig('data: {train: a.csv}\nmodel: {name: DeepFMM}', 'x.yaml')).toThrow(/model.name 'DeepFMM' is unknown \(known: .*DeepFM/);
    expect(() => parseRunConfig('data: {train: a.csv}\nmodel: {name: DeepFM}\nfitt: {}', 'x.yaml')).toThrow(/unknown field 'fitt'/);
    expect(() => parseRunConfig('data: {train: a.csv}\nmodel: {name: DeepFM}\nthreads: 0', 'x.yaml')).toThrow(/threads must be a positive integer/);
  });

  it('main reports errors with a non-zero exit code', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['evaluate', '--run', path.join(dir, 'nope')])).toBe(1);
    expect(err.mock.calls.flat().join(' ')).toMatch(/missing --data/);
    expect(await main(['frobnicate'])).toBe(2);
    err.mockRestore();
  });
});
