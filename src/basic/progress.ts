/** Receives training progress; the default prints a bar on a TTY and plain lines otherwise. */
export interface ProgressSink {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  step(step: number, stats: { loss: number; samplesPerSec: number }): void;
  endEpoch(summary: string): void;
  /** A one-off message (e.g. early stopping). */
  message(text: string): void;
}

type Bar = { start(total: number, value: number, payload: object): void; update(value: number, payload: object): void; stop(): void };

function isTTY(): boolean {
  return typeof process !== 'undefined' && !!process.stdout && !!process.stdout.isTTY && !process.env.CI;
}

/** A progress bar (cli-progress) with loss and samples/s; used when stdout is a terminal. */
class BarProgress implements ProgressSink {
  private bar: Bar | null = null;
  startEpoch(epoch: number, epochs: number, steps: number): void {
    // loaded lazily: the bar is a terminal nicety and must not be required in browsers
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const cliProgress = require('cli-progress');
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} | loss {loss} | {sps} samples/s | eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    ) as Bar;
    this.bar.start(steps, 0, { loss: '-', sps: '-' });
  }
  step(step: number, s: { loss: number; samplesPerSec: number }): void {
    this.bar?.update(step, { loss: s.loss.toFixed(4), sps: Math.round(s.samplesPerSec).toLocaleString('en-US') });
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
  step(step: number, s: { loss: number; samplesPerSec: number }): void {
    const every = Math.max(1, Math.round(this.steps * this.everyFraction));
    if (step - this.lastLogged >= every || step === this.steps) {
      this.lastLogged = step;
      console.log(`epoch ${this.epoch}/${this.epochs} step ${step}/${this.steps} loss ${s.loss.toFixed(4)} ${Math.round(s.samplesPerSec).toLocaleString('en-US')} samples/s`);
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

/** verbose 0: silent; 1: bar on a TTY, lines otherwise; 2: one line per epoch. */
export function createProgress(verbose: 0 | 1 | 2): ProgressSink {
  if (verbose === 0) return new SilentProgress();
  if (verbose === 2) return new EpochProgress();
  return isTTY() ? new BarProgress() : new LineProgress();
}
