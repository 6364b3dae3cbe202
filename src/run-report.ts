/**
 * `nextrec-ts report RUN_DIR...`: learning curves of one or more runs from their run logs (log.jsonl), drawn as
 * one SVG with vega-lite: a panel per scalar (training loss per step, learning rate, each validation metric per
 * epoch), one colour per run, all against the global step so runs of different lengths line up.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { parseRunLog, RunLogRecord } from './basic/run-log';

/** Keys of run-log records that are bookkeeping, not curves. */
const NOT_CURVES = new Set(['kind', 'globalStep', 'epoch', 'step', 'time', 'seconds']);

/** One plotted point. */
export interface CurvePoint {
  run: string;
  scalar: string;
  globalStep: number;
  value: number;
}

/** Read a run log: `dir/log.jsonl`, or the given file when it is one. */
export async function readRunLog(target: string): Promise<RunLogRecord[]> {
  const file = target.endsWith('.jsonl') ? target : path.join(target, 'log.jsonl');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new Error(`no run log at ${file} (runs trained with \`nextrec-ts train\` write one; from code pass fit({ runLog: 'DIR/log.jsonl' }))`);
  }
  return parseRunLog(text, file);
}

/**
 * Points of the curves: per-step training loss and rate (as 'loss (step)' and 'lr'), and every per-epoch scalar
 * (mean training loss, per-task losses, samples/s, validation metrics).
 */
export function curvePoints(run: string, records: RunLogRecord[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (NOT_CURVES.has(k) || typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (r.kind === 'step' && k !== 'loss' && k !== 'lr') continue;
      if (r.kind === 'epoch' && k === 'lr') continue;
      const scalar = r.kind === 'step' && k === 'loss' ? 'loss (step)' : r.kind === 'epoch' && k === 'loss' ? 'loss (epoch mean)' : k;
      out.push({ run, scalar, globalStep: r.globalStep, value: v });
    }
  }
  return out;
}

/** SVG of the learning curves of the given runs (names are made unique by their folder path). */
export async function renderRunReport(runs: string[]): Promise<string> {
  if (runs.length === 0) throw new Error('report: give at least one run directory');
  const values: CurvePoint[] = [];
  const names = runs.map((r) => path.basename(path.resolve(r)));
  const unique = names.map((n, i) => (names.indexOf(n) !== i || names.lastIndexOf(n) !== i ? path.relative(process.cwd(), path.resolve(runs[i])) || n : n));
  for (let i = 0; i < runs.length; i++) values.push(...curvePoints(unique[i], await readRunLog(runs[i])));
  if (values.length === 0) throw new Error(`report: the run logs of ${runs.join(', ')} hold no scalars`);
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    facet: { field: 'scalar', type: 'nominal', title: null },
    columns: 2,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 200,
      mark: { type: 'line', point: false, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'globalStep', type: 'quantitative', title: 'training step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
