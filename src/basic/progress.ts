/** Receives training progress; the default prints a bar on a TTY and plain lines otherwise. */
export interface ProgressSink {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  step(step: number, stats: { loss: number; samplesPerSec: number; lr?: number }): void;
  endEpoch(summary: string): void;
  /** A one-off message (e.g. early stopping). */
  message(text: string): void;
}

type Bar = {
  start(total: number, value: number, payload: object): void;
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  stop(): void;
};

/** A stream progress can be drawn on (process.stderr, or a test double). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Whether `stream` is an interactive terminal (and not a CI log, where bars would only add noise). */
function interactive(stream: ProgressStream | undefined): boolean {
  return typeof process !== 'undefined' && !!stream && !!stream.isTTY && !process.env.CI;
}

function isTTY(): boolean {
  return typeof process !== 'undefined' && interactive(process.stdout);
}

/** cli-progress, loaded lazily: bars are a terminal nicety and must not be required in browsers. */
function cliProgress(): { SingleBar: new (options: object, preset: object) => Bar; Presets: { shades_classic: object } } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('cli-progress');
}

/** A progress bar (cli-progress) with loss and samples/s; used when stdout is a terminal. */
class BarProgress implements ProgressSink {
  private bar: Bar | null = null;
  startEpoch(epoch: number, epochs: number, steps: number): void {
    const bars = cliProgress();
    this.bar = new bars.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} | loss {loss} | lr {lr} | {sps} samples/s | eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      bars.Presets.shades_classic,
    );
    this.bar.start(steps, 0, { loss: '-', sps: '-', lr: '-' });
  }
  step(step: number, s: { loss: number; samplesPerSec: number; lr?: number }): void {
    this.bar?.update(step, { loss: s.loss.toFixed(4), sps: Math.round(s.samplesPerSec).toLocaleString('en-US'), lr: s.lr === undefined ? '-' : s.lr.toPrecision(3) });
  }
  endEpoch(summary: string): void {
    this.bar?.stop();
    this.bar = null;
    console.log(summary);
  }
  message(text: string): void {
    console.log(text);
  }
}

/** Plain log lines about every 10% of an epoch: readable in CI logs and files. */
class LineProgress implements ProgressSink {
  private steps = 0;
  private epoch = 0;
  private epochs = 0;
  private lastLogged = 0;
  constructor(private readonly everyFraction = 0.1) {}
  startEpoch(epoch: number, epochs: number, steps: number): void {
    Object.assign(this, { epoch, epochs, steps, lastLogged: 0 });
  }
  step(step: number, s: { loss: number; samplesPerSec: number; lr?: number }): void {
    const every = Math.max(1, Math.round(this.steps * this.everyFraction));
    if (step - this.lastLogged >= every || step === this.steps) {
      this.lastLogged = step;
      console.log(`epoch ${this.epoch}/${this.epochs} step ${step}/${this.steps} loss ${s.loss.toFixed(4)}${s.lr === undefined ? '' : ` lr ${s.lr.toPrecision(3)}`} ${Math.round(s.samplesPerSec).toLocaleString('en-US')} samples/s`);
    }
  }
  endEpoch(summary: string): void {
    console.log(summary);
  }
  message(text: string): void {
    console.log(text);
  }
}

/** Only epoch summaries. */
class EpochProgress extends LineProgress {
  step(): void {}
}

class SilentProgress implements ProgressSink {
  startEpoch(): void {}
  step(): void {}
  endEpoch(): void {}
  message(): void {}
}

/** verbose 0: silent; 1: bar on a TTY, one line per epoch otherwise; 2: one line per epoch. */
export function createProgress(verbose: 0 | 1 | 2): ProgressSink {
  if (verbose === 0) return new SilentProgress();
  if (verbose === 2) return new EpochProgress();
  // without a terminal (CI logs, files, pipes) step lines would flood the log: one line per epoch
  return isTTY() ? new BarProgress() : new EpochProgress();
}

/** Progress of one long step besides training (reading a file, scoring rows); see {@link taskProgress}. */
export interface TaskProgress {
  /** `done` units so far, out of `total` when it is known (a bar with percentage and eta; else a running count). */
  update(done: number, total?: number): void;
  /** Remove the bar (it is cleared, like fit's). Safe to call when nothing was drawn. */
  stop(): void;
}

/** Options of {@link taskProgress}. */
export interface TaskProgressOptions {
  /** false draws nothing (a `--quiet` flag, `verbose: 0`). Default true: drawn when `stream` is a terminal and CI is unset. */
  enabled?: boolean;
  /** Where the bar is drawn (default process.stderr, so that stdout carries only results, as with fit's bar). */
  stream?: ProgressStream;
  /** What is counted (default 'rows'). */
  unit?: string;
}

const NO_PROGRESS: TaskProgress = { update() {}, stop() {} };

/**
 * A cli-progress bar for a long step other than fit's epochs, e.g. `reading train.csv | 120,000 rows | 48,000 rows/s`
 * while a file of unknown length is read, or `evaluating |████░░| 40% | 4,096/10,240 rows | eta 3s` when the total
 * is known. Nothing is drawn when disabled or when the stream is not an interactive terminal.
 */
export function taskProgress(label: string, opts: TaskProgressOptions = {}): TaskProgress {
  const stream = opts.stream ?? (typeof process !== 'undefined' ? process.stderr : undefined);
  if (opts.enabled === false || !interactive(stream)) return NO_PROGRESS;
  const unit = opts.unit ?? 'rows';
  let bar: Bar | null = null;
  let counting = false;
  const t0 = Date.now();
  let of = 0;
  const payload = (done: number) => ({
    count: Math.round(done).toLocaleString('en-US'),
    of: Math.round(of).toLocaleString('en-US'),
    rate: Math.round(done / Math.max((Date.now() - t0) / 1000, 1e-3)).toLocaleString('en-US'),
  });
  return {
    update(done, total) {
      if (!bar) {
        const bars = cliProgress();
        counting = total === undefined;
        const format = counting
          ? `${label} | {count} ${unit} | {rate} ${unit}/s | {duration_formatted}`
          : `${label} |{bar}| {percentage}% | {count}/{of} ${unit} | eta {eta_formatted}`;
        bar = new bars.SingleBar({ format, hideCursor: true, clearOnComplete: true, stream }, bars.Presets.shades_classic);
        of = total ?? 0;
        bar.start(of, done, payload(done));
        return;
      }
      if (!counting && total !== undefined && total !== of) bar.setTotal((of = total));
      bar.update(done, payload(done));
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** Run `work` with a {@link taskProgress} bar that is removed when it ends, whether it succeeds or throws. */
export async function withTaskProgress<T>(label: string, opts: TaskProgressOptions, work: (progress: TaskProgress) => Promise<T>): Promise<T> {
  const progress = taskProgress(label, opts);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
