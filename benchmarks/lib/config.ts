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
    /** Built-in synthetic task of the family (see benchmarks/lib/tasks.ts). */
    synthetic?: string;
    /** Generator options. */
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
