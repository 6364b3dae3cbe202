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

  it('progress bars go to stderr on a terminal; progress off (--quiet) leaves every output unchanged', async () => {
    // a run file whose fit is not silent (the fixture's says verbose 0, which also turns the bars off)
    const yaml = (await fs.readFile(RUN, 'utf8'))
      .replace('train: ../ctr/train.csv', `train: ${TRAIN}`)
      .replace('test: ../ctr/train.csv', `test: ${TRAIN}`)
      .replace('verbose: 0', 'verbose: 1');
    const config = path.join(dir, 'loud.yaml');
    await fs.writeFile(config, yaml);
    // stderr as an interactive terminal outside CI, so that the bars are drawn; everything written is captured
    const ci = process.env.CI;
    delete process.env.CI;
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const drawn: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => drawn.push(String(chunk)) > 0);
    const logged: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => void logged.push(xs.join(' ')));
    const run = async (name: string, progress: boolean | undefined, args: string[]) => {
      drawn.length = 0;
      logged.length = 0;
      const opts = progress === undefined ? undefined : { progress };
      const out = await trainFromConfig(config, path.join(dir, name), opts);
      const metrics = await evaluateRun(out, TRAIN, opts);
      const preds = await predictRun(out, NEW_ROWS, path.join(dir, `${name}.csv`), opts);
      const fitLines = logged.filter((l) => l.startsWith('epoch '));
      logged.length = 0;
      expect(await main(['evaluate', '--run', out, '--data', TRAIN, ...args])).toBe(0);
      return { out, metrics, preds, fitLines, stdout: [...logged], stderr: drawn.join('') };
    };
    let loud, quiet;
    try {
      loud = await run('loud', undefined, []);
      quiet = await run('quiet', false, ['--quiet']);
    } finally {
      stderr.mockRestore();
      log.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
      if (ci !== undefined) process.env.CI = ci;
    }
    for (const step of ['reading train.csv', 'encoding train.csv', 'evaluating', 'encoding new_rows.csv', 'predicting']) expect(loud.stderr).toContain(step);
    expect(quiet.stderr).toBe('');
    // fit's own progress follows: lines with verbose 1, none when quiet
    expect(loud.fitLines.length).toBeGreaterThan(0);
    expect(quiet.fitLines).toEqual([]);
    // same model, metrics, predictions and files
    expect(quiet.metrics).toEqual(loud.metrics);
    expect(quiet.preds).toEqual(loud.preds);
    expect(quiet.stdout).toEqual(loud.stdout);
    const read = (run: string, file: string) => fs.readFile(path.join(dir, run, file), 'utf8');
    expect(await read('quiet', 'metrics.json')).toBe(await read('loud', 'metrics.json'));
    expect(await fs.readFile(path.join(dir, 'quiet.csv'), 'utf8')).toBe(await fs.readFile(path.join(dir, 'loud.csv'), 'utf8'));
    const losses = async (run: string) => JSON.parse(await read(run, 'history.json')).epochs.map((e: { loss: number }) => e.loss);
    expect(await losses('quiet')).toEqual(await losses('loud'));
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
