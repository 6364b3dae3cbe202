import { createReadStream } from 'fs';
import { createInterface } from 'readline';
import { DataError } from '../../basic/dataset/dataset';
import { ChunkOptions, DEFAULT_CHUNK_ROWS, RawChunk, RawSource } from '../raw';
import { assertFile } from './csv';

/** Options of {@link jsonlSource}. */
export interface JsonlSourceOptions {
  /** Column names (default: the keys of the first record). */
  columns?: string[];
  /** Read at most this many records. */
  limit?: number;
  description?: string;
}

/**
 * A JSON-lines file (one JSON object per line, e.g. Amazon review dumps), streamed line by line. Blank lines are
 * skipped; a line that is not a JSON object is an error naming the line.
 */
export function jsonlSource(path: string, opts: JsonlSourceOptions = {}): RawSource {
  const description = opts.description ?? path;
  let names: string[] | null = opts.columns ? [...opts.columns] : null;

  async function* records(): AsyncGenerator<{ rec: Record<string, unknown>; line: number }> {
    await assertFile(path, 'JSON-lines file');
    const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    const rl = createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const text of rl) {
        line++;
        const t = text.trim();
        if (t === '') continue;
        let rec: unknown;
        try {
          rec = JSON.parse(t);
        } catch (err) {
          throw new DataError(`${description} line ${line}: not valid JSON (${(err as Error).message})`);
        }
        if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new DataError(`${description} line ${line}: expected a JSON object`);
        yield { rec: rec as Record<string, unknown>, line };
      }
    } finally {
      rl.close();
      input.destroy();
    }
  }

  const columnNames = async (): Promise<string[]> => {
    if (names) return names;
    for await (const { rec } of records()) {
      names = Object.keys(rec);
      break;
    }
    if (!names) throw new DataError(`${description} has no records`);
    return names;
  };

  return {
    description,
    columnNames,
    async *chunks(co: ChunkOptions = {}): AsyncGenerator<RawChunk> {
      const wanted = co.columns ?? (await columnNames());
      const chunkRows = co.chunkRows ?? DEFAULT_CHUNK_ROWS;
      const limit = opts.limit ?? Infinity;
      let cols: unknown[][] = wanted.map(() => []);
      let lines: number[] = [];
      let offset = 0;
      const emit = (): RawChunk => {
        const columns: Record<string, unknown[]> = {};
        wanted.forEach((w, j) => (columns[w] = cols[j]));
        const at = lines;
        const start = offset;
        const chunk: RawChunk = { columns, numRows: at.length, offset: start, where: (i) => `${description} line ${at[i]}` };
        offset += at.length;
        cols = wanted.map(() => []);
        lines = [];
        return chunk;
      };
      let n = 0;
      for await (const { rec, line } of records()) {
        if (n++ >= limit) break;
        for (let j = 0; j < wanted.length; j++) cols[j].push(rec[wanted[j]]);
        lines.push(line);
        if (lines.length >= chunkRows) yield emit();
      }
      if (lines.length) yield emit();
    },
  };
}
