import { promises as fs } from 'fs';
import * as path from 'path';
import YAML from 'yaml';

/** One leaderboard entry: a model, its hyper-parameters and the data it is measured on (a YAML file). */
export interface BenchConfig {
  /** Unique row name, e.g. 'deepfm-synthetic-ctr'. */
  name: string;
  /** Model family: ranking, multitask, match, generative. */
  family: string;
  /** Registered model class name. */
  model: string;
  /** Constructor parameters besides the features the data provides. */
  params?: Record<string, unknown>;
  data: {
    /** Built-in synthetic task of the family (see benchmarks/lib/tasks.ts); configs under benchmarks/configs. */
    synthetic?: string;
    /**
     * Real datasets the config runs on with `--data <dataset>:<path>` (names of FILE_DATASETS in
     * benchmarks/lib/file-tasks.ts), each through its task for the config's family; configs under
     * benchmarks/configs/datasets. Exactly one of synthetic / datasets.
     */
    datasets?: string[];
    /** Generator options; for real datasets, the options of the dataset's task (e.g. the next-item view's maxLen). */
    options?: Record<string, unknown>;
    /** Overrides of `options` in --quick mode. */
    quick?: Record<string, unknown>;
  };
  compile?: Record<string, unknown>;
  fit?: Record<string, unknown>;
  /** Overrides of `fit` in --quick mode. */
  quickFit?: Record<string, unknown>;
}

const REQUIRED = ['name', 'family', 'model', 'data'] as const;

/** Read and check one config file; errors name the file and the field. */
export async function readConfig(file: string): Promise<BenchConfig> {
  const text = await fs.readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object') throw new Error(`${file}: expected a mapping at the top level`);
  const cfg = parsed as BenchConfig;
  for (const key of REQUIRED) if (cfg[key] === undefined) throw new Error(`${file}: missing required field '${key}'`);
  if (typeof cfg.data !== 'object' || cfg.data === null) throw new Error(`${file}: 'data' must be a mapping`);
  const { synthetic, datasets } = cfg.data;
  if ((synthetic === undefined) === (datasets === undefined)) throw new Error(`${file}: 'data' needs exactly one of 'synthetic' (a built-in task) or 'datasets' (real datasets)`);
  if (datasets !== undefined && (!Array.isArray(datasets) || datasets.length === 0 || datasets.some((d) => typeof d !== 'string'))) {
    throw new Error(`${file}: 'data.datasets' must be a non-empty list of dataset names`);
  }
  for (const key of ['params', 'compile', 'fit', 'quickFit'] as const) {
    if (cfg[key] !== undefined && (typeof cfg[key] !== 'object' || Array.isArray(cfg[key]))) throw new Error(`${file}: '${key}' must be a mapping`);
  }
  return cfg;
}

/** All configs under a directory, sorted by file name. */
export async function readConfigs(dir: string): Promise<Array<{ file: string; config: BenchConfig }>> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const out: Array<{ file: string; config: BenchConfig }> = [];
  for (const f of files) out.push({ file: path.join(dir, f), config: await readConfig(path.join(dir, f)) });
  const names = new Set<string>();
  for (const { file, config } of out) {
    if (names.has(config.name)) throw new Error(`${file}: duplicate leaderboard name '${config.name}'`);
    names.add(config.name);
  }
  return out;
}

/** Which configs a leaderboard run trains. */
export interface ConfigFilter {
  /** One row by name. */
  only?: string;
  family?: string;
  /** A real dataset (`--data`): configs listing it in `data.datasets`; without it, the synthetic configs. */
  dataset?: string;
}

/** The configs matching a filter; the error says what matched nothing (and, for a dataset, which configs exist). */
export function selectConfigs<T extends { config: BenchConfig }>(configs: T[], filter: ConfigFilter): T[] {
  const { only, family, dataset } = filter;
  const onData = configs.filter(({ config }) => (dataset ? config.data.datasets?.includes(dataset) : config.data.synthetic !== undefined));
  const selected = onData.filter(({ config }) => (!only || config.name === only) && (!family || config.family === family));
  if (selected.length === 0) {
    const what = [only && `--only ${only}`, family && `--family ${family}`, dataset && `dataset ${dataset}`].filter(Boolean).join(' and ');
    const available = onData.map(({ config }) => `${config.name} (${config.family})`).join(', ');
    throw new Error(`no config matches ${what || 'the run'}${dataset ? `; configs for ${dataset}: ${available || 'none'}` : ''}`);
  }
  return selected;
}
