import * as fs from 'fs';
import * as path from 'path';
import type { RunLogRecord, RunLogSink } from '../basic/run-log';

/**
 * Appends run-log records to a JSONL file (created with its folder). Lines are buffered and written at each
 * flush (fit flushes at every epoch end) so that per-step records cost no system call each.
 */
export class JsonlRunLog implements RunLogSink {
  private lines: string[] = [];
  private fd: number;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.fd = fs.openSync(file, 'a');
  }

  write(record: RunLogRecord): void {
    this.lines.push(JSON.stringify(record));
    if (this.lines.length >= 512) this.flush();
  }

  flush(): void {
    if (!this.lines.length || this.fd < 0) return;
    fs.writeSync(this.fd, this.lines.join('\n') + '\n');
    this.lines = [];
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
