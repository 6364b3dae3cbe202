/**
 * Strict options: a misspelt key anywhere a user writes options is an error that names the key and suggests the
 * nearest valid one (before: silently ignored, e.g. `mlp.dropuot` trained without dropout).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { SASRec } from '../src/models/generative/sasrec';
import { DSSM } from '../src/models/match/dssm';
import { SequenceFeature, SparseFeature } from '../src/basic/features';
import { DataProcessor } from '../src/data/processor';
import { applyOverride, main, parseRunConfig } from '../src/cli';
import { editDistance, nearestName, UnknownOptionError } from '../src/basic/options-schema';
import { COMPILE_KEYS } from '../src/basic/model/option-checks';
import { generate, OUTPUT } from '../scripts/option-schemas';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

const item = new SparseFeature({ name: 'item', vocabSize: 20, embeddingDim: 4 });
const user = new SparseFeature({ name: 'user', vocabSize: 20, embeddingDim: 4 });

describe('nearest-name suggestions', () => {
  it('edit distance counts insertions, deletions, substitutions and swaps', () => {
    expect(editDistance('dropuot', 'dropout')).toBe(1);
    expect(editDistance('mpl', 'mlp')).toBe(1);
    expect(editDistance('dimz', 'dims')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(nearestName('sparce', ['dense', 'sparse', 'sequence'])).toBe('sparse');
    expect(nearestName('zzzzzz', ['dense', 'sparse'])).toBeUndefined();
  });
});

describe('model options', () => {
  it('a misspelt nested key (mlp.dropuot) names the path and suggests dropout', () => {
    expect(() => new DeepFM({ sparseFeatures: [item], mlp: { dims: [4], dropuot: 0.5 } as never })).toThrow(/DeepFM options: unknown option 'mlp.dropuot'; did you mean 'dropout'\?/);
  });
  it('a misspelt top-level key (mpl) suggests mlp', () => {
    expect(() => new DeepFM({ sparseFeatures: [item], mpl: { dims: [4] } } as never)).toThrow(/unknown option 'mpl'; did you mean 'mlp'\?/);
  });
  it("mlp: { dimz } names 'dimz'", () => {
    expect(() => new DeepFM({ sparseFeatures: [item], mlp: { dimz: [4] } } as never)).toThrow(/'mlp.dimz'; did you mean 'dims'/);
  });
  it('the error is typed and carries key and suggestion', () => {
    try {
      new DeepFM({ sparseFeatures: [item], mpl: {} } as never);
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownOptionError);
      expect((err as UnknownOptionError).key).toBe('mpl');
      expect((err as UnknownOptionError).suggestion).toBe('mlp');
    }
  });
  it('models that rewrite their config before BaseModel (SASRec, DSSM) check what the user wrote', () => {
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 11, embeddingDim: 8, maxLen: 5 });
    expect(() => new SASRec({ sequenceFeatures: [hist], numBlock: 1 } as never)).toThrow(/SASRec options: unknown option 'numBlock'/);
    expect(() => new SASRec({ sequenceFeatures: [hist] }).dispose()).not.toThrow();
    expect(() => new DSSM({ userFeatures: [user], itemFeatures: [item], tempreature: 0.1 } as never)).toThrow(/DSSM options: unknown option 'tempreature'; did you mean 'temperature'/);
    expect(() => new DSSM({ userFeatures: [user], itemFeatures: [item], userMlp: { dims: [4] } }).dispose()).not.toThrow();
  });
});

describe('compile, fit, evaluate and predict options', () => {
  const data = { item: [1, 2, 3, 4], label: [0, 1, 0, 1] };
  it('compile, fit (including earlyStopping) and evaluate reject unknown keys', async () => {
    const m = new DeepFM({ sparseFeatures: [item], mlp: { dims: [4] } });
    expect(() => m.compile({ optimiser: 'adam' } as never)).toThrow(/compile options: unknown option 'optimiser'; did you mean 'optimizer'/);
    m.compile({ lr: 0.01 });
    await expect(m.fit(data, { epoch: 2, verbose: 0 } as never)).rejects.toThrow(/fit options: unknown option 'epoch'; did you mean 'epochs'/);
    await expect(m.fit(data, { verbose: 0, validData: data, earlyStopping: { patiance: 1 } } as never)).rejects.toThrow(/'earlyStopping.patiance'; did you mean 'patience'/);
    await expect(m.evaluate(data, { metrics: ['auc'] } as never)).rejects.toThrow(/evaluate options \(metrics are set in compile\(\)\): unknown option 'metrics'/);
    await expect(m.predict(data, { batchsize: 2 } as never)).rejects.toThrow(/did you mean 'batchSize'/);
    m.dispose();
  });
  it("metrics: 'auc' (a string) asks for a list instead of reporting metric 'a'", () => {
    const m = new DeepFM({ sparseFeatures: [item], mlp: { dims: [4] } });
    expect(() => m.compile({ metrics: 'auc' } as never)).toThrow(/metrics must be a list of metric names, e.g. metrics: \['auc'\] \(got "auc"\)/);
    m.dispose();
  });
  it('training controls are checked down to their nested keys (schedule, clipping, L1, task balancing, missing labels)', () => {
    for (const k of ['clipNorm', 'clipValue', 'denseL1', 'embeddingL1', 'ignoreLabel', 'taskBalancing']) expect(COMPILE_KEYS[k]).toBeTruthy();
    const m = new DeepFM({ sparseFeatures: [item], mlp: { dims: [4] } });
    expect(() => m.compile({ schedule: { type: 'cosine', warmupStep: 10 } } as never)).toThrow(/compile options: unknown option 'schedule.warmupStep'; did you mean 'warmupSteps'/);
    expect(() => m.compile({ l1: 1e-4 } as never)).toThrow(/compile options: unknown option 'l1'/);
    expect(() => m.compile({ clipNorm: 1, schedule: { type: 'step', stepSize: 100, gamma: 0.5 } })).not.toThrow();
    m.dispose();
  });
});

describe('processor and run files', () => {
  it('a misspelt processor section (sparce) and column key (scalar) are named', () => {
    expect(() => new DataProcessor({ sparce: ['a'] } as never)).toThrow(/processor config: unknown option 'sparce'; did you mean 'sparse'/);
    expect(() => new DataProcessor({ dense: [{ name: 'x', scalar: 'minmax' }] } as never)).toThrow(/dense\[0\] \('x'\): unknown option 'scalar'; did you mean 'scaler'/);
    expect(() => new DataProcessor({ sequence: [{ name: 's', maxLen: 3, seperator: ',' }] } as never)).toThrow(/did you mean 'separator'/);
  });
  it('run files name a misspelt section', () => {
    expect(() => parseRunConfig('data: {train: a.csv}\nmodle: {name: DeepFM}\n', 'run.yaml')).toThrow(/run.yaml: unknown field 'modle'; did you mean 'model'/);
  });
  it('--set overrides run-file values (YAML scalars), creating sections as needed', () => {
    const cfg = parseRunConfig('data: {train: a.csv}\nmodel: {name: DeepFM}\nfit: {epochs: 1}\n', 'run.yaml', ['fit.epochs=3', 'compile.lr=0.01', 'model.params.mlp.dims=[8, 4]']);
    expect(cfg.fit).toEqual({ epochs: 3 });
    expect(cfg.compile).toEqual({ lr: 0.01 });
    expect(cfg.model.params).toEqual({ mlp: { dims: [8, 4] } });
    expect(() => applyOverride({}, 'epochs')).toThrow(/--set expects key.path=value/);
  });
  it('unknown CLI flags are errors naming the nearest flag', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((msg: string) => void errors.push(msg));
    try {
      expect(await main(['train', '--confg', 'run.yaml'])).toBe(1);
      expect(await main(['predict', '--run', 'r', '--data', 'd', '--idz', 'user'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toMatch(/unknown flag --confg for train; did you mean '--config'\?/);
    expect(errors[1]).toMatch(/unknown flag --idz for predict; did you mean '--ids'\?/);
  });
  it('a run whose fit section has a typo fails before training', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-strict-'));
    await fs.writeFile(path.join(dir, 'train.csv'), 'item,label\na,1\nb,0\n');
    await fs.writeFile(path.join(dir, 'run.yaml'), 'data: {train: train.csv}\nprocessor: {sparse: [item], labels: [label]}\nmodel: {name: DeepFM, params: {mlp: {dims: [4]}}}\nfit: {epocs: 2, verbose: 0}\n');
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((msg: string) => void errors.push(msg));
    try {
      expect(await main(['train', '--config', path.join(dir, 'run.yaml'), '--out', path.join(dir, 'out'), '--quiet'])).toBe(1);
    } finally {
      spy.mockRestore();
      await fs.rm(dir, { recursive: true, force: true });
    }
    expect(errors.join('\n')).toMatch(/unknown option 'epocs'; did you mean 'epochs'/);
  });
});

describe('the generated schema', () => {
  it('matches the current config interfaces (else run scripts/option-schemas.ts)', async () => {
    expect(generate()).toBe(await fs.readFile(OUTPUT, 'utf8'));
  }, 180_000);
});
