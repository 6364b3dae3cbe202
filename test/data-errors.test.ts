import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DataProcessor, DataProcessorConfig } from '../src/data/processor';
import { DataError } from '../src/basic/dataset/dataset';
import { parquetSource } from '../src/data/readers/duckdb';
import { csvSource } from '../src/data/readers/csv';

const CONFIG: DataProcessorConfig = {
  sparse: ['user'],
  dense: ['price'],
  sequence: [{ name: 'hist', maxLen: 4, itemType: 'int' }],
  labels: ['label'],
};
const HEADER = 'user,price,hist,label';
const GOOD = [HEADER, 'a,1.5,1|2,1', 'b,2.5,3,0', 'a,,2|3|4,1'].join('\n') + '\n';

let dir: string;
const file = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nextrec-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function parquetFrom(csv: string, name: string, types = ''): Promise<string> {
  const out = path.join(dir, name);
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, all_varchar = true${types})) TO '${out}' (FORMAT parquet)`);
  conn.closeSync();
  inst.closeSync();
  return out;
}

describe('bad input gets a clear error', () => {
  it('missing column: names the column and what the data has, for CSV, Parquet and rows', async () => {
    const csv = file('nocol.csv', 'user,hist,label\na,1,1\n');
    await expect(new DataProcessor(CONFIG).fit(csv)).rejects.toThrow(/missing column\(s\) 'price' in .*nocol\.csv \(it has: user, hist, label\)/);
    const pq = await parquetFrom(csv, 'nocol.parquet');
    await expect(new DataProcessor(CONFIG).fit(pq)).rejects.toThrow(/missing column\(s\) 'price' in .*nocol\.parquet/);
    await expect(new DataProcessor(CONFIG).fit([{ user: 'a', hist: '1', label: 1 }])).rejects.toThrow(/missing column\(s\) 'price'/);
    const p = await new DataProcessor(CONFIG).fit(file('good.csv', GOOD));
    expect(() => p.transform([{ user: 'a', price: 1 }])).toThrow(/missing column\(s\) 'hist'/);
    await expect(p.transformAll(csv)).rejects.toThrow(DataError);
    // a stream for training requires the labels
    const nolabel = file('nolabel.csv', 'user,price,hist\na,1,1\n');
    const it = p.batchSource(nolabel).chunks(1)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(/missing column\(s\) 'label'/);
  });

  it('wrong type in a row: the message gives the row (and the file line)', async () => {
    const csv = file('badnum.csv', [HEADER, 'a,1,1,1', 'b,2,2,0', 'c,abc,3,1'].join('\n') + '\n');
    await expect(new DataProcessor(CONFIG).fit(csv)).rejects.toThrow(/badnum\.csv line 4 \(data row 3\): dense column 'price' holds "abc", which is not a finite number/);
    const pq = await parquetFrom(csv, 'badnum.parquet');
    // pushed down to SQL, the row is still found
    await expect(new DataProcessor(CONFIG).fit(pq)).rejects.toThrow(/badnum\.parquet row 3: dense column 'price' holds "abc"/);
    await expect(new DataProcessor(CONFIG).fit(parquetSource(pq), { pushdown: false })).rejects.toThrow(/badnum\.parquet row 3: dense column 'price' holds "abc"/);
    const rows = [{ user: 'a', price: 1, hist: '1', label: 1 }, { user: 'b', price: { v: 2 }, hist: '1', label: 0 }];
    await expect(new DataProcessor(CONFIG).fit(rows)).rejects.toThrow(/row 1: dense column 'price' holds \{"v":2\}/);
    const p = await new DataProcessor(CONFIG).fit(file('good2.csv', GOOD));
    expect(() => p.transform([{ user: ['x'], price: 1, hist: '1', label: 1 }])).toThrow(/row 0: column 'user' holds \["x"\], expected a single categorical value/);
    const ragged = file('ragged.csv', [HEADER, 'a,1,1,1', 'b,2,2'].join('\n') + '\n');
    await expect(new DataProcessor(CONFIG).fit(ragged)).rejects.toThrow(/ragged\.csv.*line 3/);
  });

  it('empty file: 0 bytes, header only, and empty in-memory data', async () => {
    await expect(new DataProcessor(CONFIG).fit(file('empty.csv', ''))).rejects.toThrow(/empty\.csv is empty \(0 bytes\)/);
    await expect(new DataProcessor(CONFIG).fit(file('header.csv', HEADER + '\n'))).rejects.toThrow(/header\.csv has no data rows/);
    const pq = await parquetFrom(file('header2.csv', HEADER + '\n'), 'empty.parquet', ", types = {'price': 'DOUBLE'}");
    await expect(new DataProcessor(CONFIG).fit(pq)).rejects.toThrow(/empty\.parquet has no data rows/);
    await expect(new DataProcessor(CONFIG).fit([])).rejects.toThrow(/in-memory rows: data is empty \(0 rows\)/);
    await expect(new DataProcessor(CONFIG).fit({ user: [], price: [], hist: [], label: [] })).rejects.toThrow(/no data rows/);
    await expect(new DataProcessor(CONFIG).fit(path.join(dir, 'nope.csv'))).rejects.toThrow(/CSV file not found: .*nope\.csv/);
    await expect(new DataProcessor(CONFIG).fit(path.join(dir, 'nope.parquet'))).rejects.toThrow(/file not found: .*nope\.parquet/);
  });

  it('label outside {0, 1} for a binary task', async () => {
    const p = await new DataProcessor(CONFIG).fit(file('good3.csv', GOOD));
    const bad = file('badlabel.csv', [HEADER, 'a,1,1,1', 'b,2,2,2'].join('\n') + '\n');
    await expect(p.transformAll(bad)).rejects.toThrow(/badlabel\.csv line 3 \(data row 2\): label 'label' is "2", but a binary label must be 0 or 1/);
    expect(() => p.transform([{ user: 'a', price: 1, hist: '1', label: 0.5 }])).toThrow(/row 0: label 'label' is 0\.5/);
    expect(() => p.transform([{ user: 'a', price: 1, hist: '1', label: '' }])).toThrow(/row 0: label 'label' is missing/);
    // a regression label accepts it
    const reg = await new DataProcessor({ ...CONFIG, labels: [{ name: 'label', type: 'regression' }] }).fit(file('good4.csv', GOOD));
    expect(Array.from((await reg.transformAll(bad)).label as Float32Array)).toEqual([1, 2]);
  });

  it('sequence column that does not parse', async () => {
    const csv = file('badseq.csv', [HEADER, 'a,1,1|2,1', 'b,2,3;4,0'].join('\n') + '\n');
    await expect(new DataProcessor(CONFIG).fit(csv)).rejects.toThrow(/badseq\.csv line 3 \(data row 2\): sequence column 'hist' value "3;4" does not parse: item 0 \("3;4"\) is not an integer \(separator '\|'\)/);
    const json = new DataProcessor({ sequence: [{ name: 's', maxLen: 3, format: 'json' }] });
    await expect(json.fit({ s: ['[1, 2]', '[1, 2'] })).rejects.toThrow(/row 1: sequence column 's' value "\[1, 2" does not parse as a JSON list/);
    await expect(json.fit({ s: ['{"a": 1}'] })).rejects.toThrow(/is not a JSON list/);
    const split = new DataProcessor({ sequence: [{ name: 's', maxLen: 3 }] });
    await expect(split.fit({ s: ['a|b', '[1, 2]'] })).rejects.toThrow(/row 1: .*looks like a JSON list .* set format: 'json'/);
    await expect(split.fit({ s: [{ a: 1 }] })).rejects.toThrow(/row 0: sequence column 's' holds \{"a":1\}, expected a list/);
  });

  it('loses nothing: a failed fit keeps the fitted state, files are untouched, no row is silently dropped', async () => {
    const good = file('keep.csv', GOOD);
    const p = await new DataProcessor(CONFIG).fit(good);
    const before = JSON.stringify(p.toJSON());
    const encoded = p.transform([{ user: 'a', price: 2, hist: '1|2', label: 1 }]);
    const bad = file('keep-bad.csv', [HEADER, 'zz,1,1,1', 'b,oops,3,0'].join('\n') + '\n');
    const text = readFileSync(bad, 'utf8');
    await expect(p.fit(bad)).rejects.toThrow(/oops/);
    expect(JSON.stringify(p.toJSON())).toBe(before);
    expect(p.transform([{ user: 'a', price: 2, hist: '1|2', label: 1 }])).toEqual(encoded);
    expect(readFileSync(bad, 'utf8')).toBe(text);
    // every row of a good file comes out, in order
    let n = 0;
    for await (const c of csvSource(good).chunks({ chunkRows: 1 })) n += c.numRows;
    expect(n).toBe(3);
    expect(Array.from((await p.transformAll(good)).label as Float32Array)).toEqual([1, 0, 1]);
  });

  it('invalid declarations fail at construction with the column named', () => {
    expect(() => new DataProcessor({ dense: [{ name: 'x', scaler: 'zscore' as never }] })).toThrow(/dense 'x': scaler must be/);
    expect(() => new DataProcessor({ sequence: [{ name: 's', maxLen: 0 }] })).toThrow(/sequence 's': maxLen must be an integer >= 1/);
    expect(() => new DataProcessor({ sparse: ['a', 'a'] })).toThrow(/column 'a' is declared twice/);
    expect(() => new DataProcessor({ sparse: ['a'], labels: [{ name: 'y', type: 'regression', threshold: 3 }] })).toThrow(/label 'y'/);
    expect(() => new DataProcessor({})).toThrow(/declare at least one/);
  });
});
