import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DataProcessor, DataProcessorConfig } from '../src/data/processor';
import { csvSource } from '../src/data/readers/csv';
import { duckdbSource, parquetSource } from '../src/data/readers/duckdb';
import { jsonlSource } from '../src/data/readers/jsonl';
import { bufferedBatches, concatColumns } from '../src/basic/dataset/stream';
import { Dataset, ColumnarInput } from '../src/basic/dataset/dataset';
import { Rng } from '../src/basic/random';
import { DuckDBInstance } from '@duckdb/node-api';

const CONFIG: DataProcessorConfig = {
  sparse: ['user_id', { name: 'item_id', minFreq: 2 }, 'category'],
  dense: [{ name: 'price', scaler: 'standard' }, { name: 'age', scaler: 'minmax' }],
  sequence: [{ name: 'hist', maxLen: 5, shareVocabWith: 'item_id' }],
  labels: ['label'],
};

interface Row {
  user_id: string;
  item_id: string;
  category: string;
  price: number;
  age: number | null;
  hist: string;
  label: number;
}

function makeRows(n: number): Row[] {
  const rng = new Rng(5);
  const cats = ['a', 'b', 'c', 'd'];
  return Array.from({ length: n }, () => {
    const hist = Array.from({ length: rng.int(9) }, () => `i${1 + rng.int(120)}`).join('|');
    return {
      user_id: `u${1 + rng.int(60)}`,
      item_id: `i${1 + rng.int(120)}`,
      category: cats[rng.int(4)],
      price: Math.round(rng.uniform(0, 500) * 100) / 100,
      age: rng.next() < 0.1 ? null : 18 + rng.int(50),
      hist,
      label: rng.next() < 0.3 ? 1 : 0,
    };
  });
}

let dir: string;
let rows: Row[];
let csvPath: string;
let parquetPath: string;
let parquetListPath: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nextrec-readers-'));
  rows = makeRows(1500);
  csvPath = path.join(dir, 'data.csv');
  const lines = ['user_id,item_id,category,price,age,hist,label', ...rows.map((r) => [r.user_id, r.item_id, r.category, r.price, r.age ?? '', r.hist, r.label].join(','))];
  writeFileSync(csvPath, lines.join('\n') + '\n');
  parquetPath = path.join(dir, 'data.parquet');
  parquetListPath = path.join(dir, 'data-list.parquet');
  // typed Parquet columns (DOUBLE, INTEGER, VARCHAR and a LIST), written by DuckDB from the CSV
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`COPY (SELECT * FROM read_csv('${csvPath}', header = true, all_varchar = true, types = {'price': 'DOUBLE', 'age': 'INTEGER', 'label': 'INTEGER'})) TO '${parquetPath}' (FORMAT parquet)`);
  await conn.run(
    `COPY (SELECT * REPLACE (CASE WHEN hist IS NULL THEN []::VARCHAR[] ELSE string_split(hist, '|') END AS hist) FROM read_parquet('${parquetPath}')) TO '${parquetListPath}' (FORMAT parquet)`,
  );
  conn.closeSync();
  instance.closeSync();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSameEncoding(a: ColumnarInput, b: ColumnarInput, exactDense = true): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    if (!exactDense && a[k] instanceof Float32Array && k !== 'label') {
      const x = a[k] as Float32Array;
      const y = b[k] as Float32Array;
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5);
    } else {
      expect(b[k]).toEqual(a[k]);
    }
  }
}

describe('readers give the same encoded data as the in-memory path', () => {
  it('CSV (csv-parse), Parquet (DuckDB, typed and list columns) and DuckDB-over-CSV match rows and columns', async () => {
    const memory = await new DataProcessor(CONFIG).fit(rows as unknown as Record<string, unknown>[]);
    const expected = memory.transform(rows as unknown as Record<string, unknown>[]);
    const columns: Record<string, unknown[]> = {};
    for (const k of Object.keys(rows[0])) columns[k] = rows.map((r) => r[k as keyof Row]);
    expect(memory.transform(columns)).toEqual(expected);

    const sources = {
      csv: () => csvSource(csvPath),
      parquet: () => parquetSource(parquetPath),
      parquetList: () => parquetSource(parquetListPath),
      duckCsv: () => duckdbSource({ csv: csvPath }),
    };
    for (const [name, make] of Object.entries(sources)) {
      const src = make();
      // one processor fitted on this source: same vocabularies, statistics equal to rounding
      const own = await new DataProcessor(CONFIG).fit(src);
      for (const col of ['user_id', 'item_id', 'category', 'hist']) expect([name, own.vocabulary(col)]).toEqual([name, memory.vocabulary(col)]);
      for (const d of ['price', 'age']) {
        const s = own.toJSON().dense[d];
        const m = memory.toJSON().dense[d];
        expect(s.count).toBe(m.count);
        expect(s.mean).toBeCloseTo(m.mean, 9);
        expect(s.std).toBeCloseTo(m.std, 9);
        expect([s.min, s.max]).toEqual([m.min, m.max]);
      }
      // encoding with the in-memory processor: bit-identical, streamed in small chunks
      const parts: ColumnarInput[] = [];
      for await (const c of memory.stream(src, { chunkRows: 333 })) parts.push(c.data);
      expect(parts.length).toBeGreaterThan(1);
      expectSameEncoding(expected, concatColumns(parts));
      expectSameEncoding(expected, await own.transformAll(src), false);
      await (src as { close?: () => Promise<void> }).close?.();
    }
  });

  it('pushes vocabulary and statistics into SQL for DuckDB sources, with the same result as scanning', async () => {
    const src = parquetSource(parquetPath);
    const counts = jest.spyOn(src.stats, 'valueCounts');
    const stats = jest.spyOn(src.stats, 'numericStats');
    const chunks = jest.spyOn(src, 'chunks');
    const pushed = await new DataProcessor(CONFIG).fit(src);
    expect(counts).toHaveBeenCalledTimes(4);
    expect(stats).toHaveBeenCalledTimes(2);
    expect(chunks).not.toHaveBeenCalled();
    const scanned = await new DataProcessor(CONFIG).fit(src, { pushdown: false });
    expect(chunks).toHaveBeenCalled();
    expect(pushed.toJSON().vocabularies).toEqual(scanned.toJSON().vocabularies);
    expect(pushed.numRowsFitted).toBe(1500);
    // maxSize is cut exactly even when the SQL side keeps ties at the boundary
    const capped = { ...CONFIG, sparse: ['user_id', { name: 'item_id', maxSize: 17 }, 'category'] };
    const a = await new DataProcessor(capped).fit(src);
    const b = await new DataProcessor(capped).fit(rows as unknown as Record<string, unknown>[]);
    expect(a.vocabulary('item_id')).toEqual(b.vocabulary('item_id'));
    expect(a.vocabulary('item_id')).toHaveLength(17);
    await src.close();
  });

  it('shuffled batches are identical across sources for the same seed', async () => {
    const p = await new DataProcessor(CONFIG).fit(csvPath);
    const f = p.features();
    const features = [...f.sparse, ...f.sequence, ...f.dense];
    const bind = (c: ColumnarInput | Dataset) => Dataset.bind(c as ColumnarInput, features, [{ name: 'label', type: 'binary' }]);
    const collect = async (input: Parameters<DataProcessor['batchSource']>[0]) => {
      const out: number[][] = [];
      const chunks = p.batchSource(input, { chunkRows: 256 }).chunks(1);
      for await (const b of bufferedBatches(chunks, { batchSize: 64, bufferRows: 400, rng: new Rng(9), bind: bind as never })) {
        const item = b.data.column('item_id').data;
        out.push(Array.from(b.indices, (i) => item[i]));
      }
      return out;
    };
    const fromCsv = await collect(csvPath);
    const src = parquetSource(parquetPath);
    const fromParquet = await collect(src);
    const fromMemory = await collect(rows as unknown as Record<string, unknown>[]);
    await src.close();
    expect(fromCsv.length).toBe(Math.ceil(1500 / 64));
    expect(fromParquet).toEqual(fromCsv);
    expect(fromMemory).toEqual(fromCsv);
  });
});

describe('readers', () => {
  it('csv-parse handles quotes, embedded separators, multi-character delimiters and latin-1', async () => {
    const f = path.join(dir, 'quoted.csv');
    writeFileSync(f, 'id,text\n1,"a, b"\n2,"line\nbreak"\n3,"say ""hi"""\n');
    const src = csvSource(f);
    const got: unknown[] = [];
    for await (const c of src.chunks()) got.push(...Array.from(c.columns.text as string[]));
    expect(got).toEqual(['a, b', 'line\nbreak', 'say "hi"']);
    const g = path.join(dir, 'latin.dat');
    writeFileSync(g, Buffer.from('1::Caf\xe9::x\n2::Na\xefve::y\n', 'latin1'));
    const lat = csvSource(g, { delimiter: '::', header: ['id', 'title', 'tag'], quote: false, encoding: 'latin1' });
    const titles: string[] = [];
    for await (const c of lat.chunks()) titles.push(...(c.columns.title as string[]));
    expect(titles).toEqual(['Café', 'Naïve']);
  });

  it('reads JSON lines', async () => {
    const f = path.join(dir, 'r.jsonl');
    writeFileSync(f, '{"a": 1, "b": "x"}\n\n{"a": 2, "b": null}\n');
    const src = jsonlSource(f);
    expect(await src.columnNames()).toEqual(['a', 'b']);
    const chunks = [];
    for await (const c of src.chunks()) chunks.push(c);
    expect(chunks[0].columns).toEqual({ a: [1, 2], b: ['x', null] });
    expect(chunks[0].where(1)).toMatch(/line 3/);
  });
});
