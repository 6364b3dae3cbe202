/**
 * Does each multi-task model's mechanism show on the synthetic task built for it? Per seed (3 seeds; the seed draws
 * the data and the model's initialisation):
 *  - funnel: last-stage (click-and-conversion) test AUC, AITM vs Shared-Bottom, on the funnel with stage-specific
 *    non-linear dense responses (FUNNEL below);
 *  - scenario: mean per-scenario, per-task test AUC, HMoE / PEPNet / APG vs MMoE, on six scenarios of unequal size
 *    (SCENARIOS below);
 *  - two-tasks: each task's test AUC and their mean, MMoE / PLE vs Shared-Bottom at the models' default shapes and the
 *    settings of the leaderboard's two-task configs (TWO_TASKS below; the seed is the model's, the data stay those of
 *    the configs, data seed 5).
 * Prints each comparison per seed and its smallest margin, and writes benchmarks/results/multitask-mechanisms.json.
 *
 *   npx ts-node --transpile-only benchmarks/multitask-mechanisms.ts [--epochs 4] [--seeds 1,2,3] [--only funnel|scenario|two-tasks]
 *     [--funnel '{"denseScale":3}'] [--scenarios '{"scenarioShares":[0.5,0.3,0.2]}'] [--two-tasks '{"rows":45000}']
 * --funnel / --scenarios / --two-tasks override generator options of the presets (variants; such runs write no results
 * file). A run of some seeds keeps the previous file's rows of the other seeds, so seeds can run in parallel processes.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { auc } from '../src/basic/metrics';
import { BaseModel } from '../src/basic/model/base-model';
import { syntheticFunnel, SyntheticFunnelOptions } from '../src/data/synthetic/funnel';
import { syntheticMultiScenario, SyntheticMultiScenarioOptions } from '../src/data/synthetic/multi-scenario';
import { syntheticTwoTasks, SyntheticTwoTasksOptions } from '../src/data/synthetic/multitask';
import { AITM, APG, HMoE, MMoE, PEPNet, PLE, SharedBottom } from '../src/models/multitask';
import { arg } from './lib/args';

/** The funnel of the AITM comparison (see docs/models-multitask.md: the classic funnel is embedding-bound). */
export const FUNNEL: SyntheticFunnelOptions = { rows: 60000, ctrBias: -1.5, users: 500, items: 500, denseScale: 5, denseDirections: 4 };
/** The multi-scenario task of the HMoE / PEPNet / APG comparison. */
export const SCENARIOS: SyntheticMultiScenarioOptions = { rows: 12000, scenarioShares: [0.3, 0.2, 0.15, 0.15, 0.1, 0.1] };

/**
 * The two-task data of the leaderboard's multitask-{sharedbottom,mmoe,ple,...}-two-tasks configs (keep in step with them),
 * and their training settings: lr 3e-3, 6 epochs, batch 512, default model shapes.
 */
export const TWO_TASKS: SyntheticTwoTasksOptions = { rows: 150000, seed: 5 };
const TWO_TASKS_FIT = { lr: 3e-3, epochs: 6, batchSize: 512 };

type Row = { task: string; seed: number; baseline: string; baselineAuc: number; model: string; auc: number; diff: number };
/** Per-task AUCs of one model on one seed of the two-task comparison. */
type TwoTaskRow = { seed: number; model: string; denseParams: number; aucs: Record<string, number>; mean: number };

async function fitScore(m: BaseModel, train: Record<string, unknown>, epochs: number, score: (m: BaseModel) => Promise<number>): Promise<number> {
  await m.fit(train as never, { epochs, batchSize: 256, verbose: 0 });
  const s = await score(m);
  m.dispose();
  return s;
}

async function main(): Promise<void> {
  await initBackend({ log: false });
  const epochs = Number(arg('epochs', '4'));
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const only = arg('only', '');
  const funnelOptions: SyntheticFunnelOptions = { ...FUNNEL, ...JSON.parse(arg('funnel', '{}')) };
  const scenarioOptions: SyntheticMultiScenarioOptions = { ...SCENARIOS, ...JSON.parse(arg('scenarios', '{}')) };
  const twoTaskOptions: SyntheticTwoTasksOptions = { ...TWO_TASKS, ...JSON.parse(arg('two-tasks', '{}')) };
  const variant = process.argv.includes('--funnel') || process.argv.includes('--scenarios') || process.argv.includes('--two-tasks');
  const rows: Row[] = [];
  const twoTaskRows: TwoTaskRow[] = [];
  const add = (r: Omit<Row, 'diff'>) => {
    rows.push({ ...r, diff: r.auc - r.baselineAuc });
    console.log(`${r.task} seed ${r.seed}: ${r.baseline} ${r.baselineAuc.toFixed(4)} -> ${r.model} ${r.auc.toFixed(4)} (${r.auc - r.baselineAuc >= 0 ? '+' : ''}${(r.auc - r.baselineAuc).toFixed(4)})`);
  };
  for (const seed of seeds) {
    if (only === '' || only === 'funnel') {
      const d = syntheticFunnel({ ...funnelOptions, seed });
      const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: ['click', 'conversion'], seed, tower: { dims: [16] } };
      const y = d.test.conversion as Float32Array;
      const score = async (m: BaseModel) => auc(y, (await m.predictTargets(d.test)).conversion);
      const sb = await fitScore(new SharedBottom({ ...base, bottom: { dims: [64, 32] } }).compile({ lr: 3e-3 }), d.train, epochs, score);
      const aitm = await fitScore(new AITM({ ...base, encoder: { dims: [64, 32] } }).compile({ lr: 3e-3 }), d.train, epochs, score);
      add({ task: 'funnel (last stage AUC)', seed, baseline: 'SharedBottom', baselineAuc: sb, model: 'AITM', auc: aitm });
    }
    if (only === '' || only === 'two-tasks') {
      const d = syntheticTwoTasks(twoTaskOptions);
      const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed };
      for (const m of [new SharedBottom(base), new MMoE(base), new PLE(base)] as BaseModel[]) {
        m.compile({ lr: TWO_TASKS_FIT.lr });
        await m.fit(d.train, { epochs: TWO_TASKS_FIT.epochs, batchSize: TWO_TASKS_FIT.batchSize, verbose: 0 });
        const p = await m.predictTargets(d.test);
        const aucs = Object.fromEntries(d.taskNames.map((t) => [t, auc(d.test[t] as Float32Array, p[t])]));
        const row = { seed, model: m.modelName(), denseParams: m.parameterCount().dense, aucs, mean: (aucs[d.taskNames[0]] + aucs[d.taskNames[1]]) / 2 };
        m.dispose();
        twoTaskRows.push(row);
        const sb = twoTaskRows.find((r) => r.seed === seed && r.model === 'SharedBottom')!;
        console.log(`two-tasks seed ${seed}: ${row.model} (${row.denseParams} dense weights) ${d.taskNames.map((t) => `${t} ${aucs[t].toFixed(4)}`).join(', ')}, mean ${row.mean.toFixed(4)}`);
        if (row !== sb) add({ task: 'two-tasks (mean task AUC)', seed, baseline: 'SharedBottom', baselineAuc: sb.mean, model: row.model, auc: row.mean });
      }
    }
    if (only === '' || only === 'scenario') {
      const d = syntheticMultiScenario({ ...scenarioOptions, seed });
      const base = { sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, targets: d.taskNames, seed, tower: { dims: [16] } };
      const score = async (m: BaseModel) => {
        const r = await m.evaluate(d.test);
        const keys = Object.keys(r).filter((k) => /^auc_.*_scenario\d+$/.test(k));
        return keys.reduce((a, k) => a + r[k], 0) / keys.length;
      };
      const compile = { lr: 3e-3, scenarioColumn: d.scenarioColumn };
      const mmoe = await fitScore(new MMoE({ ...base, numExperts: 4, expert: { dims: [32, 16] } }).compile(compile), d.train, epochs, score);
      for (const [name, m] of [
        ['HMoE', new HMoE({ ...base, scenarioFeature: d.scenarioColumn, sharedExperts: 2, scenarioExperts: 1, expert: { dims: [32, 16] } })],
        ['PEPNet', new PEPNet({ ...base, domainFeatures: [d.scenarioColumn], personalizationFeatures: [d.scenarioColumn], tower: { dims: [64, 32] } })],
        ['APG', new APG({ ...base, conditionFeatures: [d.scenarioColumn], dims: [32, 16], rank: 16 })],
      ] as const) {
        const s = await fitScore(m.compile(compile), d.train, epochs, score);
        add({ task: 'multi-scenario (mean per-scenario AUC)', seed, baseline: 'MMoE', baselineAuc: mmoe, model: name, auc: s });
      }
    }
  }
  const summarise = (all: Row[]) => {
    const summary: Record<string, { min: number; mean: number; seeds: number }> = {};
    for (const r of all) {
      const diffs = all.filter((o) => o.model === r.model && o.baseline === r.baseline).map((o) => o.diff);
      summary[`${r.model} vs ${r.baseline}`] = { min: Math.min(...diffs), mean: diffs.reduce((a, b) => a + b, 0) / diffs.length, seeds: diffs.length };
    }
    return summary;
  };
  for (const [k, v] of Object.entries(summarise(rows))) console.log(`${k}: smallest margin ${v.min.toFixed(4)}, mean ${v.mean.toFixed(4)} over ${v.seeds} seeds`);
  if (!variant) {
    // a partial run (--only, --seeds) keeps the previous results file's rows of the comparisons and seeds it did not run
    const out = path.join(__dirname, 'results', 'multitask-mechanisms.json');
    const previous: { rows?: Row[]; twoTasks?: { rows?: TwoTaskRow[] } } = await fs.readFile(out, 'utf8').then((t) => JSON.parse(t), () => ({}));
    const ran = new Set(rows.map((r) => `${r.task}/${r.seed}`));
    const all = [...(previous.rows ?? []).filter((r) => !ran.has(`${r.task}/${r.seed}`)), ...rows].sort((a, b) => a.task.localeCompare(b.task) || a.seed - b.seed);
    const twoTaskSeeds = new Set(twoTaskRows.map((r) => r.seed));
    const allTwoTask = [...(previous.twoTasks?.rows ?? []).filter((r) => !twoTaskSeeds.has(r.seed)), ...twoTaskRows].sort((a, b) => a.seed - b.seed);
    const twoTasks = { options: TWO_TASKS, fit: TWO_TASKS_FIT, rows: allTwoTask, perModel: twoTaskSummary(allTwoTask) };
    const record = { command: 'npx ts-node --transpile-only benchmarks/multitask-mechanisms.ts', epochs, seeds, funnel: FUNNEL, scenarios: SCENARIOS, twoTasks, rows: all, summary: summarise(all) };
    await fs.writeFile(out, JSON.stringify(record, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  }
  await shutdownBackend();
}

/** Mean and spread (min..max) of each task's AUC and of the mean, per model, over the seeds run. */
function twoTaskSummary(rows: TwoTaskRow[]): Record<string, { denseParams: number; seeds: number[]; auc: Record<string, { mean: number; min: number; max: number }> }> {
  const out: ReturnType<typeof twoTaskSummary> = {};
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const mine = rows.filter((r) => r.model === model);
    const stat = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });
    const auc: Record<string, { mean: number; min: number; max: number }> = {};
    for (const t of Object.keys(mine[0].aucs)) auc[t] = stat(mine.map((r) => r.aucs[t]));
    auc.mean = stat(mine.map((r) => r.mean));
    out[model] = { denseParams: mine[0].denseParams, seeds: mine.map((r) => r.seed), auc };
  }
  return out;
}

if (require.main === module) main();
