/**
 * Learning-rate schedules. A schedule gives a factor by which the compiled rates are multiplied before each
 * training step; the dense rate and the embedding rate get the same factor, so their ratio is kept. Positions
 * count optimizer steps over the model's life (`globalStep`), so a model that is saved and loaded resumes its
 * schedule where it stopped.
 */

/** Linear warmup, combinable with every schedule: the factor climbs from `warmupStartFactor` to 1. */
export interface WarmupOptions {
  /** Steps of linear warmup before the schedule proper starts (default 0). */
  warmupSteps?: number;
  /** Factor at the first warmup step (default 0: the k-th of W warmup steps uses k / W). */
  warmupStartFactor?: number;
}

/** Constant rate (warmup still applies). */
export interface ConstantSchedule extends WarmupOptions {
  type: 'constant';
}
/** factor = gamma ^ floor(t / stepSize). */
export interface StepSchedule extends WarmupOptions {
  type: 'step';
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}
/** factor = gamma ^ (t / decaySteps). */
export interface ExponentialSchedule extends WarmupOptions {
  type: 'exponential';
  gamma: number;
  /** Default 1 (gamma per step). */
  decaySteps?: number;
}
/**
 * Cosine annealing from 1 to `minFactor` over `decaySteps` (default: the steps left in the fit after warmup);
 * with `restarts`, SGDR: the cycle restarts at 1 and each cycle is `cycleMult` times longer than the previous.
 */
export interface CosineSchedule extends WarmupOptions {
  type: 'cosine';
  decaySteps?: number;
  /** Default 0. */
  minFactor?: number;
  restarts?: boolean;
  /** Default 1. */
  cycleMult?: number;
}
/** Multiply the rate by `factor` when `monitor` has not improved for `patience` epochs. */
export interface PlateauSchedule extends WarmupOptions {
  type: 'plateau';
  /** Default: the same as early stopping's (val_auc when computed, else val_loss). */
  monitor?: string;
  /** 'min' or 'max' (default: from the metric). */
  mode?: 'min' | 'max';
  /** Default 0.1. */
  factor?: number;
  /** Default 2. */
  patience?: number;
  /** Default 0. */
  minDelta?: number;
  /** Lower bound of the factor (default 0). */
  minFactor?: number;
}

/** `compile({ schedule })`. */
export type ScheduleSpec = ConstantSchedule | StepSchedule | ExponentialSchedule | CosineSchedule | PlateauSchedule;

const KEYS: Record<ScheduleSpec['type'], string[]> = {
  constant: [],
  step: ['stepSize', 'gamma'],
  exponential: ['gamma', 'decaySteps'],
  cosine: ['decaySteps', 'minFactor', 'restarts', 'cycleMult'],
  plateau: ['monitor', 'mode', 'factor', 'patience', 'minDelta', 'minFactor'],
};

/** Check a schedule spec; errors name the field (`schedule.<field>`) and what it accepts. */
export function validateSchedule(spec: unknown): ScheduleSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`compile: schedule must be an object such as { type: 'cosine', warmupSteps: 100 }`);
  const s = spec as Record<string, unknown>;
  const type = s.type as ScheduleSpec['type'];
  if (!(type in KEYS)) throw new Error(`compile: schedule.type must be one of ${Object.keys(KEYS).join(', ')} (got ${JSON.stringify(s.type)})`);
  const allowed = ['type', 'warmupSteps', 'warmupStartFactor', ...KEYS[type]];
  for (const k of Object.keys(s)) if (!allowed.includes(k)) throw new Error(`compile: schedule.${k} is not an option of a '${type}' schedule (allowed: ${allowed.join(', ')})`);
  const num = (k: string, ok: (v: number) => boolean, what: string, required = false) => {
    const v = s[k];
    if (v === undefined) {
      if (required) throw new Error(`compile: schedule.${k} is required for a '${type}' schedule (${what})`);
      return;
    }
    if (typeof v !== 'number' || !ok(v)) throw new Error(`compile: schedule.${k} must be ${what} (got ${JSON.stringify(v)})`);
  };
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  num('warmupSteps', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  num('warmupStartFactor', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  if (type === 'step') {
    num('stepSize', posInt, 'a positive integer number of steps', true);
    num('gamma', (v) => v > 0, '> 0');
  } else if (type === 'exponential') {
    num('gamma', (v) => v > 0, '> 0', true);
    num('decaySteps', (v) => v > 0, '> 0');
  } else if (type === 'cosine') {
    num('decaySteps', posInt, 'a positive integer number of steps');
    num('minFactor', (v) => v >= 0 && v <= 1, 'in [0, 1]');
    num('cycleMult', (v) => v >= 1, '>= 1');
    if (s.restarts !== undefined && typeof s.restarts !== 'boolean') throw new Error(`compile: schedule.restarts must be true or false`);
  } else if (type === 'plateau') {
    num('factor', (v) => v > 0 && v < 1, 'in (0, 1)');
    num('patience', posInt, 'a positive integer number of epochs');
    num('minDelta', (v) => v >= 0, '>= 0');
    num('minFactor', (v) => v >= 0 && v <= 1, 'in [0, 1]');
    if (s.monitor !== undefined && typeof s.monitor !== 'string') throw new Error(`compile: schedule.monitor must be a metric name such as 'val_auc'`);
    if (s.mode !== undefined && s.mode !== 'min' && s.mode !== 'max') throw new Error(`compile: schedule.mode must be 'min' or 'max'`);
  }
  return s as unknown as ScheduleSpec;
}

/** Cosine factor at step t of a schedule with (first) period T, as a pure function for tests and plots. */
export function cosineFactor(t: number, period: number, minFactor: number, restarts: boolean, cycleMult: number): number {
  let pos = t;
  let T = period;
  if (restarts) {
    while (pos >= T) {
      pos -= T;
      T *= cycleMult;
    }
  } else pos = Math.min(pos, T);
  return minFactor + ((1 - minFactor) * (1 + Math.cos((Math.PI * pos) / T))) / 2;
}

/** Saved between fits and in checkpoints: what a plateau schedule has learnt. */
export interface ScheduleState {
  plateauFactor: number;
  best: number | null;
  stale: number;
  /** Cosine period resolved from the first fit when decaySteps was not given. */
  decaySteps: number | null;
}

/** A schedule in use: the factor at a step, plus the plateau bookkeeping fed once per epoch. */
export class LearningRateSchedule {
  private state: ScheduleState = { plateauFactor: 1, best: null, stale: 0, decaySteps: null };

  constructor(readonly spec: ScheduleSpec) {}

  get warmupSteps(): number {
    return this.spec.warmupSteps ?? 0;
  }

  /**
   * Called when a fit starts at `startStep` and will run `steps` steps (0 when unknown, e.g. a stream without a
   * row count). A cosine schedule without `decaySteps` anneals over the rest of this fit.
   */
  beginFit(startStep: number, steps: number): void {
    if (this.spec.type !== 'cosine' || this.spec.decaySteps !== undefined || this.state.decaySteps !== null) return;
    const left = startStep + steps - this.warmupSteps;
    if (!(steps > 0) || left < 1) {
      throw new Error(`compile: schedule.decaySteps is required for a cosine schedule when the number of training steps is unknown or within the warmup (${steps} steps, warmupSteps ${this.warmupSteps})`);
    }
    this.state.decaySteps = left;
  }

  /** Multiplier of the compiled rates for the update with 0-based index `step`. */
  factor(step: number): number {
    const W = this.warmupSteps;
    if (step < W) {
      const start = this.spec.warmupStartFactor ?? 0;
      return (start + ((1 - start) * (step + 1)) / W) * this.state.plateauFactor;
    }
    const t = step - W;
    const s = this.spec;
    let f: number;
    switch (s.type) {
      case 'constant':
      case 'plateau':
        f = 1;
        break;
      case 'step':
        f = Math.pow(s.gamma ?? 0.1, Math.floor(t / s.stepSize));
        break;
      case 'exponential':
        f = Math.pow(s.gamma, t / (s.decaySteps ?? 1));
        break;
      case 'cosine':
        f = cosineFactor(t, s.decaySteps ?? this.state.decaySteps ?? 1, s.minFactor ?? 0, !!s.restarts, s.cycleMult ?? 1);
        break;
    }
    return f * this.state.plateauFactor;
  }

  /**
   * Feed the monitored value at the end of an epoch (plateau schedules only). Returns the new factor when the
   * rate was reduced, else null.
   */
  endEpoch(value: number, mode: 'min' | 'max'): number | null {
    const s = this.spec;
    if (s.type !== 'plateau') return null;
    const st = this.state;
    const minDelta = s.minDelta ?? 0;
    if (st.best === null || (mode === 'max' ? value > st.best + minDelta : value < st.best - minDelta)) {
      st.best = value;
      st.stale = 0;
      return null;
    }
    if (++st.stale < (s.patience ?? 2)) return null;
    st.stale = 0;
    const next = Math.max(st.plateauFactor * (s.factor ?? 0.1), s.minFactor ?? 0);
    if (next === st.plateauFactor) return null;
    st.plateauFactor = next;
    return next;
  }

  getState(): ScheduleState {
    return { ...this.state };
  }

  setState(state: ScheduleState): void {
    this.state = { ...state };
  }
}
