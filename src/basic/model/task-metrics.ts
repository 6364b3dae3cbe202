import { metrics, MetricOptions } from '../catalog';
import { isIgnoredLabel } from '../dataset/dataset';

/** What `taskMetrics` needs about one target. */
export interface MetricTask {
  name: string;
  labels: Float32Array;
  preds: Float32Array;
  /** Missing-label marker (rows with it are left out of this task's metrics). */
  ignore?: number;
}

/**
 * Metrics of every task, keyed `<metric>` (one task) or `<metric>_<task>`. Rows whose label is the task's marker are
 * left out. With `scenarios` (compile's `scenarioColumn`), each metric is also reported per scenario id on that
 * scenario's rows as `<key>_<column><id>`, e.g. auc_click_scenario2. A metric of no rows is NaN.
 */
export function taskMetrics(
  metricNames: string[],
  tasks: MetricTask[],
  groups: Int32Array | undefined,
  scenarios?: { column: string; ids: ArrayLike<number> },
  options: MetricOptions = {},
): Record<string, number> {
  const report: Record<string, number> = {};
  const scenarioIds = scenarios ? [...new Set(Array.from(scenarios.ids))].sort((a, b) => a - b) : [];
  for (const task of tasks) {
    const base = tasks.length === 1 ? '' : `_${task.name}`;
    const rowsOf = (scenario: number | null): number[] | null => {
      if (scenario === null && task.ignore === undefined) return null;
      const keep: number[] = [];
      for (let i = 0; i < task.labels.length; i++) {
        if (isIgnoredLabel(task.labels[i], task.ignore)) continue;
        if (scenario !== null && scenarios!.ids[i] !== scenario) continue;
        keep.push(i);
      }
      return keep;
    };
    const score = (rows: number[] | null, suffix: string) => {
      const labels = rows ? Float32Array.from(rows, (i) => task.labels[i]) : task.labels;
      const preds = rows ? Float32Array.from(rows, (i) => task.preds[i]) : task.preds;
      const g = rows && groups ? Int32Array.from(rows, (i) => groups[i]) : groups;
      for (const m of metricNames) report[`${m}${base}${suffix}`] = labels.length ? metrics.resolve(m).fn(labels, preds, g, options) : NaN;
    };
    score(rowsOf(null), '');
    for (const s of scenarioIds) score(rowsOf(s), `_${scenarios!.column}${s}`);
  }
  return report;
}
