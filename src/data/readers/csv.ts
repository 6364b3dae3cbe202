import { createReadStream, promises as fs } from 'fs';
import { CsvError, parse } from 'csv-parse';
import { DataError } from '../../basic/dataset/dataset';
import { ChunkOptions, DEFAULT_CHUNK_ROWS, RawChunk, RawSource, RowError } from '../raw';

/** Options of {@link csvSource}. */
export interface CsvSourceOptions {
  /** Field separator, one or more characters (default ',', or a tab for .tsv / .tab files). */
  delimiter?: string;
  /** true (default): the first line names the columns; a list of names: the file has no header line. */
  header?: boolean | string[];
  /** Text encoding of the file (default 'utf8'; 'latin1' for MovieLens and other ISO-8859-1 files). */
  encoding?: BufferEncoding;
  /** Quote character (default '"'); false when quotes are ordinary characters (e.g. '::'-separated MovieLens). */
  quote?: string | false;
  /** Trim white space around fields (default false). */
  trim?: boolean;
  /** Read at most this many data rows. */
  limit?: number;
  /** Description used in messages (default: the path). */
  description?: string;
}

/** Throws a DataError unless `path` is a non-empty file. */
export async function assertFile(path: string, what: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(path);
  } catch {
    throw new DataError(`${what} not found: ${path}`);
  }
  if (!st.isFile()) throw new DataError(`${what} is not a file: ${path}`);
  if (st.size === 0) throw new DataError(`${what} ${path} is empty (0 bytes)`);
}

/**
 * A CSV / TSV file streamed with csv-parse: quoted fields, embedded separators and newlines, a BOM, multi-character
 * separators ('::') and latin-1 text are handled by the parser; memory stays bounded by the chunk size. Cells are
 * strings (empty string for an empty field); the DataProcessor decides what they mean. Errors name the file and line.
 */
export function csvSource(path: string, opts: CsvSourceOptions = {}): RawSource {
  const lower = path.toLowerCase();
  const delimiter = opts.delimiter ?? (lower.endsWith('.tsv') || lower.endsWith('.tab') ? '\t' : ',');
  const header = opts.header ?? true;
  const description = opts.description ?? path;
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 0)) throw new DataError(`csvSource: limit must be a non-negative integer (got ${opts.limit})`);
  let names: string[] | null = Array.isArray(header) ? [...header] : null;

  // per-record line tracking (csv-parse's on_record context) halves parsing speed, so it is used only by `locate`
  const open = (onRecord?: (record: string[], ctx: { lines: number }) => string[]) => {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const parser = parse({
      delimiter,
      quote: opts.quote === false ? null : (opts.quote ?? '"'),
      encoding: opts.encoding ?? 'utf8',
      trim: opts.trim ?? false,
      bom: true,
      skip_empty_lines: true,
      on_record: onRecord,
    });
    file.on('error', (err) => parser.destroy(err));
    file.pipe(parser);
    const close = () => {
      file.unpipe(parser);
      file.destroy();
      parser.destroy();
    };
    return { parser, close };
  };

  /** The file line of a 0-based data row, found by parsing up to it. */
  const locate = async (row: number): Promise<string> => {
    const line = await lineOfRow(row);
    return line >= 0 ? `${description} line ${line} (data row ${row + 1})` : `${description} data row ${row + 1}`;
  };

  /** The file line where a 0-based data row ends (-1 when the file has no such row). */
  const lineOfRow = async (row: number): Promise<number> => {
    const target = row + (header === true ? 1 : 0);
    let seen = 0;
    let line = -1;
    const { parser, close } = open((record, ctx) => {
      if (seen++ === target) line = ctx.lines;
      return record;
    });
    try {
      for await (const _ of parser as AsyncIterable<string[]>) {
        if (line >= 0) break;
      }
    } catch {
      // a parse error further on does not matter here
    } finally {
      close();
    }
    return line;
  };

  const wrap = (err: unknown): Error => {
    if (err instanceof DataError) return err;
    if (err instanceof CsvError) return new DataError(`${description}: ${err.message}`);
    return err as Error;
  };

  const readHeader = async (): Promise<string[]> => {
    if (names) return names;
    await assertFile(path, 'CSV file');
    const { parser, close } = open();
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        names = record.map((s) => s.trim());
        break;
      }
    } catch (err) {
      throw wrap(err);
    } finally {
      close();
    }
    if (!names) throw new DataError(`${description} is empty: expected a header line and data rows`);
    const dup = names.find((n, i) => names!.indexOf(n) !== i);
    if (dup !== undefined) throw new DataError(`${description}: column '${dup}' appears twice in the header`);
    return names;
  };

  return {
    description,
    columnNames: readHeader,
    locate,
    async *chunks(co: ChunkOptions = {}): AsyncGenerator<RawChunk> {
      const cols = await readHeader();
      await assertFile(path, 'CSV file');
      const chunkRows = co.chunkRows ?? DEFAULT_CHUNK_ROWS;
      if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new DataError(`chunkRows must be a positive integer (got ${co.chunkRows})`);
      const wanted = co.columns ?? cols;
      const pos = wanted.map((w) => {
        const i = cols.indexOf(w);
        if (i < 0) throw new DataError(`missing column '${w}' in ${description} (it has: ${cols.join(', ')})`);
        return i;
      });
      const limit = opts.limit ?? Infinity;
      const { parser, close } = open();
      let skipHeader = header === true;
      let offset = 0;
      let rows = 0;
      let buf: string[][] = wanted.map(() => []);
      let held = 0;
      const emit = (): RawChunk => {
        const columns: Record<string, string[]> = {};
        wanted.forEach((w, j) => (columns[w] = buf[j]));
        const start = offset;
        const chunk: RawChunk = { columns, numRows: held, offset: start, where: (i: number) => `${description} data row ${start + i + 1}` };
        offset += held;
        buf = wanted.map(() => []);
        held = 0;
        return chunk;
      };
      try {
        for await (const record of parser as AsyncIterable<string[]>) {
          if (skipHeader) {
            skipHeader = false;
            continue;
          }
          if (rows >= limit) break;
          if (record.length !== cols.length) {
            throw new RowError(`${description} data row ${rows + 1}`, `expected ${cols.length} fields (${cols.join(', ')}), got ${record.length}`, rows);
          }
          for (let j = 0; j < pos.length; j++) buf[j].push(record[pos[j]]);
          held++;
          rows++;
          if (held >= chunkRows) yield emit();
        }
      } catch (err) {
        if (err instanceof RowError) throw new RowError(await locate(err.sourceRow), err.detail, err.sourceRow);
        if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') {
          // csv-parse reports the end of the file; the field opened right after the last complete record
          const previous = rows > 0 ? await lineOfRow(rows - 1) : header === true ? 1 : 0;
          throw new DataError(`${description} line ${previous + 1} (data row ${rows + 1}): a quoted field opens here and is never closed (${err.message})`);
        }
        throw wrap(err);
      } finally {
        close();
      }
      if (held) yield emit();
    },
  };
}
