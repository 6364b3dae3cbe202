/**
 * Run log: scalars of a training run as JSON lines, one record per training step and one per epoch, so runs can
 * be plotted (`nextrec-ts report RUN_DIR...`) and compared. The core only formats records; writing files is the
 * Node adapter's job (data/run-log-file.ts), so this module stays browser-safe.
 */

/** One line of a run log. */
export type RunLogRecord =
  | { kind: 'step'; globalStep: number; epoch: number; step: number; loss: number; lr: number; time: number; [scalar: string]: number | string }
  | { kind: 'epoch'; globalStep: number; epoch: number; loss: number; lr: number; samplesPerSec: number; seconds: number; time: number; [scalar: string]: number | string };

/** Receives run-log records (a file writer, or an array in tests). */
export interface RunLogSink {
  write(record: RunLogRecord): void;
  /** Flush buffered records (called at each epoch end and when fit ends). */
  flush?(): void | Promise<void>;
  /** Called once when fit ends (after a final flush). */
  close?(): void | Promise<void>;
}

/** A sink that keeps records in memory (tests, notebooks). */
export class MemoryRunLog implements RunLogSink {
  readonly records: RunLogRecord[] = [];
  write(record: RunLogRecord): void {
    this.records.push(record);
  }
}

/** Parse the text of a JSONL run log; throws naming the line that is not a JSON object. */
export function parseRunLog(text: string, source = 'run log'): RunLogRecord[] {
  const out: RunLogRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new Error(`${source}: line ${i + 1} is not JSON`);
    }
    if (!rec || typeof rec !== 'object' || ((rec as RunLogRecord).kind !== 'step' && (rec as RunLogRecord).kind !== 'epoch')) {
      throw new Error(`${source}: line ${i + 1} is not a run-log record (needs kind 'step' or 'epoch')`);
    }
    out.push(rec as RunLogRecord);
  });
  return out;
}
