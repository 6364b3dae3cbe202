import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { main, trainFromConfig } from '../src/cli';
import { curvePoints } from '../src/run-report';
import { parseRunLog } from '../src/basic/run-log';

const RUN = path.join(__dirname, 'fixtures', 'cli', 'run.yaml');

describe('run logs from the CLI and `nextrec-ts report`', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-report-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const config = async (name: string, compile: string, fit: string) => {
    const yaml = (await fs.readFile(RUN, 'utf8'))
      .replace(/train: \.\.\/ctr\/train.csv/, `train: ${path.join(__dirname, 'fixtures', 'ctr', 'train.csv')}`)
      .replace(/\n {2}test: .*\n/, '\n')
      .replace(/^compile: .*$/m, `compile: ${compile}`)
      .replace(/^fit: .*$/m, `fit: ${fit}`);
    const file = path.join(dir, `${name}.yaml`);
    await fs.writeFile(file, yaml);
    return file;
  };

  it('train writes log.jsonl into the run folder with the new options from YAML; report draws both runs', async () => {
    const a = await trainFromConfig(
      await config('a', '{ lr: 0.003, optimizer: adamw, schedule: { type: cosine, warmupSteps: 2 }, clipNorm: 5, metrics: [auc, ks, f1], threshold: 0.3 }', '{ epochs: 2, batchSize: 128, verbose: 0, validationSplit: 0.25, validationSplitBy: random }'),
      path.join(dir, 'run-a'),
      { progress: false },
    );
    const b = await trainFromConfig(await config('b', '{ lr: 0.003, optimizer: ftrl, embeddingL1: 0.0001 }', '{ epochs: 2, batchSize: 128, verbose: 0 }'), path.join(dir, 'run-b'), { progress: false });
    const logA = parseRunLog(await fs.readFile(path.join(a, 'log.jsonl'), 'utf8'));
    const epochs = logA.filter((r) => r.kind === 'epoch');
    expect(epochs.length).toBe(2);
    for (const k of ['val_auc', 'val_ks', 'val_f1', 'lr']) expect(typeof epochs[1][k]).toBe('number');
    const points = curvePoints('a', logA);
    expect(new Set(points.map((p) => p.scalar))).toEqual(new Set(['loss (step)', 'lr', 'loss (epoch mean)', 'samplesPerSec', 'val_loss', 'val_auc', 'val_ks', 'val_f1']));
    const svg = path.join(dir, 'curves.svg');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['report', a, b, '--out', svg])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const text = await fs.readFile(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    for (const s of ['run-a', 'run-b', 'val_auc', 'loss (step)']) expect(text).toContain(s);
  });

  it('errors name the field or the missing log', async () => {
    await expect(trainFromConfig(await config('bad', '{ schedule: { type: step } }', '{ epochs: 1, verbose: 0 }'), path.join(dir, 'bad'), { progress: false })).rejects.toThrow(
      /schedule.stepSize is required/,
    );
    await expect(trainFromConfig(await config('bad2', '{ lr: 0.01 }', '{ epochs: 1, verbose: 0, validationSplitBy: time }'), path.join(dir, 'bad2'), { progress: false })).rejects.toThrow(
      /validationSplitBy \/ validationSplitColumn need validationSplit/,
    );
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['report', path.join(dir, 'nope')])).toBe(1);
      expect(err.mock.calls.flat().join(' ')).toMatch(/no run log at .*nope\/log.jsonl/);
    } finally {
      err.mockRestore();
    }
  });
});
