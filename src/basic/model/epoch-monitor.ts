/**
 * What fit watches at the end of each epoch: which logged metric an early-stopping rule or a plateau schedule
 * monitors (and whether higher is better), and the early-stopping bookkeeping (best value, patience).
 */
import { metrics, MetricSpec } from '../catalog';
import type { EarlyStoppingOptions, EpochLog } from './types';

/** A monitored metric of the epoch log and its direction. */
export interface Monitor {
  monitor: string;
  mode: 'min' | 'max';
}

/** What the monitor needs to know about the model being trained. */
export interface MonitorContext {
  /** Target names, in the model's order. */
  targets: string[];
  /** Metrics compiled into the model. */
  metricNames: string[];
  hasValid: boolean;
}

/**
 * Resolve the metric a rule named `field` watches: the given name, else validation AUC (of the first target) when
 * compiled, else validation loss. The direction comes from the metric catalogue unless given.
 */
export function resolveMonitor(given: string | undefined, givenMode: 'min' | 'max' | undefined, ctx: MonitorContext, field: string): Monitor {
  if (!ctx.hasValid && !(given ?? '').startsWith('loss')) throw new Error(`fit: ${field} needs validData or validationSplit (or monitor "loss" for the training loss)`);
  const monitor = given ?? (ctx.metricNames.includes('auc') ? (ctx.targets.length === 1 ? 'val_auc' : `val_auc_${ctx.targets[0]}`) : 'val_loss');
  let mode = givenMode;
  if (!mode) {
    const base = monitor.replace(/^val_/, '').replace(new RegExp(`_(${ctx.targets.join('|')})$`), '');
    // a suffix that is not a target name (e.g. ESMM's auc_cvr) still names its metric by the longest known prefix
    const words = base.split('_');
    let spec: MetricSpec | null = null;
    for (let n = words.length; n >= 1 && !spec; n--) if (metrics.has(words.slice(0, n).join('_'))) spec = metrics.resolve(words.slice(0, n).join('_'));
    mode = spec ? (spec.higherIsBetter ? 'max' : 'min') : 'min';
  }
  return { monitor, mode };
}

/** Early-stopping options with every default filled in. */
export type EarlyStoppingRule = Required<EarlyStoppingOptions>;

/** `fit`'s earlyStopping option resolved (null when off); patience must be a positive integer. */
export function resolveEarlyStopping(opt: EarlyStoppingOptions | boolean | undefined, ctx: MonitorContext): EarlyStoppingRule | null {
  if (!opt) return null;
  const o: EarlyStoppingOptions = opt === true ? {} : opt;
  const { monitor, mode } = resolveMonitor(o.monitor, o.mode, ctx, 'earlyStopping');
  const patience = o.patience ?? 2;
  if (!Number.isInteger(patience) || patience < 1) throw new Error(`earlyStopping.patience must be a positive integer (got ${o.patience})`);
  return { monitor, mode, patience, minDelta: o.minDelta ?? 0, restoreBest: o.restoreBest ?? true };
}

/** The value of `monitor` in an epoch log; an unknown name is an error that lists what is reported. */
export function monitoredValue(log: EpochLog, monitor: string, field: string): number {
  const value = log[monitor];
  if (value === undefined) throw new Error(`${field}.monitor '${monitor}' is not reported (available: ${Object.keys(log).join(', ')})`);
  return value;
}

/** Best epoch so far and epochs without improvement, under one early-stopping rule. */
export class EarlyStoppingTracker<S> {
  best: { value: number; epoch: number; snapshot: S | null } | null = null;
  private stale = 0;

  constructor(readonly rule: EarlyStoppingRule) {}

  /**
   * Record an epoch's log. Returns whether it improved on the best (then `snapshot()` is kept when the rule restores
   * the best weights) and whether patience has run out. A NaN value never counts as an improvement.
   */
  observe(log: EpochLog, epoch: number, snapshot: () => S): { improved: boolean; stop: boolean } {
    const { monitor, mode, minDelta, patience, restoreBest } = this.rule;
    const value = monitoredValue(log, monitor, 'earlyStopping');
    const b = this.best;
    const improved = !Number.isNaN(value) && (!b || (mode === 'max' ? value > b.value + minDelta : value < b.value - minDelta));
    if (improved) {
      this.best = { value, epoch, snapshot: restoreBest ? snapshot() : null };
      this.stale = 0;
    }
    return { improved, stop: !improved && ++this.stale >= patience };
  }

  /** One line for the progress output when training stops early. */
  stopMessage(epoch: number): string {
    const { monitor, patience } = this.rule;
    const bestText = this.best ? `best ${this.best.value.toFixed(5)} at epoch ${this.best.epoch}` : `no epoch had a defined ${monitor}`;
    return `early stopping at epoch ${epoch}: ${monitor} did not improve for ${patience} epoch(s); ${bestText}`;
  }
}

/** The progress line of a finished epoch: every logged value, rounded by kind. */
export function formatEpochLine(log: EpochLog, epochs: number): string {
  const parts = Object.entries(log)
    .filter(([k]) => k !== 'epoch')
    .map(([k, v]) => `${k} ${k === 'samplesPerSec' ? Math.round(v) : k === 'seconds' ? v.toFixed(1) : k === 'lr' ? v.toPrecision(3) : v.toFixed(5)}`);
  return `epoch ${log.epoch}/${epochs} ${parts.join(' ')}`;
}
