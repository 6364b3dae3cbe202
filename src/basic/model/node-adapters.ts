import type { ModelStore } from '../store';
import type { RunLogSink } from '../run-log';

/*
 * The file-system services a model reaches when it is given paths: each is required lazily, so the core stays
 * loadable in browsers, where package.json's "browser" field swaps these modules for stubs that name the way out.
 */

/** A store for a directory path (Node's file store), or the given store. */
export async function resolveStore(target: string | ModelStore): Promise<ModelStore> {
  if (typeof target !== 'string') return target;
  // the file store is Node-only; requiring it lazily keeps the core loadable in browsers
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { FileStore } = require('../../data/file-store') as typeof import('../../data/file-store');
  return new FileStore(target);
}

/** A run log sink from fit's `runLog` option: a JSONL file path (Node only) or a sink. */
export function openRunLog(target: string | RunLogSink | undefined): RunLogSink | null {
  if (target === undefined) return null;
  if (typeof target !== 'string') {
    if (!target || typeof target.write !== 'function') throw new Error('fit: runLog must be a file path or an object with a write(record) method');
    return target;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { JsonlRunLog } = require('../../data/run-log-file') as typeof import('../../data/run-log-file');
  return new JsonlRunLog(target);
}

/** `dir/name` for a checkpoint folder (string paths only: a ModelStore is not accepted as checkpointDir). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
