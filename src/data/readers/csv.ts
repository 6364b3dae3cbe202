import { createReadStream, promises as fs } from 'fs';
import { CsvError, parse } from 'csv-parse';
import { DataError } from '../dataset';
import { ChunkOptions, DEFAULT_CHUNK_ROWS, RawChunk, RawSource } from '../raw';

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

/** Positions of the records the parser has emitted but the reader has not consumed yet. */
class LineQueue {
  private buf = new Float64Array(1024);
  private head = 0;
  private tail = 0;
  push(line: number): void {
    if (this.tail === this.buf.length) {
      const live = this.buf.subarray(this.head, this.tail);
      const next = new Float64Array(Math.max(1024, live.length * 2));
      next.set(live);
      this.buf = next;
      this.tail -= this.head;
      this.head = 0;
    }
    this.buf[this.tail++] = line;
  }
  shift(): number {
    return this.head < this.tail ? this.buf[this.head++] : -1;
  }
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

  const open = (lines: LineQueue | null) => {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const parser = parse({
      delimiter,
      quote: opts.quote === false ? null : (opts.quote ?? '"'),
      encoding: opts.encoding ?? 'utf8',
      trim: opts.trim ?? false,
      bom: true,
      skip_empty_lines: true,
      on_record: lines
        ? (record: string[], ctx: { lines: number }) => {
            lines.push(ctx.lines);
            return record;
          }
        : undefined,
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

  const wrap = (err: unknown): Error => {
    if (err instanceof DataError) return err;
    if (err instanceof CsvError) return new DataError(`${description}: ${err.message}`);
    return err as Error;
  };

  const readHeader = async (): Promise<string[]> => {
    if (names) return names;
    await assertFile(path, 'CSV file');
    const { parser, close } = open(null);
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
      const lines = new LineQueue();
      const { parser, close } = open(lines);
      let skipHeader = header === true;
      let offset = 0;
      let rows = 0;
      let buf: string[][] = wanted.map(() => []);
      let bufLines: number[] = [];
      const emit = (): RawChunk => {
        const columns: Record<string, string[]> = {};
        wanted.forEach((w, j) => (columns[w] = buf[j]));
        const start = offset;
        const at = bufLines;
        const chunk: RawChunk = {
          columns,
          numRows: at.length,
          offset: start,
          where: (i: number) => `${description} line ${at[i]} (data row ${start + i + 1})`,
        };
        offset += at.length;
        buf = wanted.map(() => []);
        bufLines = [];
        return chunk;
      };
      try {
        for await (const record of parser as AsyncIterable<string[]>) {
          const line = lines.shift();
          if (skipHeader) {
            skipHeader = false;
            continue;
          }
          if (rows >= limit) break;
          if (record.length !== cols.length) {
            throw new DataError(`${description} line ${line}: expected ${cols.length} fields (${cols.join(', ')}), got ${record.length}`);
          }
          for (let j = 0; j < pos.length; j++) buf[j].push(record[pos[j]]);
          bufLines.push(line);
          rows++;
          if (bufLines.length >= chunkRows) yield emit();
        }
      } catch (err) {
        throw wrap(err);
      } finally {
        close();
      }
      if (bufLines.length) yield emit();
    },
  };
}
