import type { RunLogRecord, RunLogSink } from '../basic/run-log';

/**
 * Stands in for the Node JSONL run log in browser bundles (package.json "browser" field): a file path has no
 * meaning there, so `fit({ runLog: 'path' })` fails with the way out instead of pulling in `fs`.
 */
export class JsonlRunLog implements RunLogSink {
  constructor(readonly file: string) {
    throw new Error(`fit: runLog '${file}' is a file path, which needs Node's file system; in a browser pass a sink: { write(record) { ... } }`);
  }
  write(_record: RunLogRecord): void {
    throw new Error('unreachable');
  }
}
