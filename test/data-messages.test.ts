/** Data errors that used to be unclear or silent: each names the file line, row and column. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DataProcessor } from '../src/data/processor';
import { Dataset } from '../src/basic/dataset/dataset';
import { SequenceFeature, SparseFeature } from '../src/basic/features';

let dir: string;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nextrec-messages-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('clear data errors', () => {
  it('a CSV value 1e999 (Infinity) is reported with its line and column instead of poisoning the scaling', async () => {
    const csv = file('inf.csv', 'user,price,label\na,1.5,1\nb,1e999,0\nc,2,1\n');
    await expect(new DataProcessor({ sparse: ['user'], dense: ['price'], labels: ['label'] }).fit(csv)).rejects.toThrow(
      /inf\.csv line 3 \(data row 2\): dense column 'price' holds "1e999", which is not a finite number/,
    );
  });
  it('an unclosed quote names the line where the quoted field starts', async () => {
    const csv = file('quote.csv', 'user,price,label\na,1,1\n"b,2,0\nc,3,1\nd,4,0\n');
    await expect(new DataProcessor({ sparse: ['user'], dense: ['price'], labels: ['label'] }).fit(csv)).rejects.toThrow(/quote\.csv.*line 3/);
  });
  it('a string where a sequence was expected names the column instead of "2.4 rows"', () => {
    const hist = new SequenceFeature({ name: 'hist', vocabSize: 10, embeddingDim: 4, maxLen: 5 });
    expect(() => Dataset.bind({ hist: 'a|b|c|d|e|f|g|h|i|j|k|l' } as never, [hist], [])).toThrow(/sequence column 'hist' row 0: expected a list of ids per row/);
    expect(() => Dataset.bind({ hist: ['3|4', '5'] } as never, [hist], [])).toThrow(/sequence column 'hist' row 0: expected a list of ids per row \(e.g. \[\[3, 7\], \[5\]\]\), got the string "3\|4"/);
    expect(() => Dataset.bind({ hist: [1, 2, 3, 4, 5, 6, 7] }, [hist], [])).toThrow(/a flat column needs rows x maxLen \(5\) values, got 7/);
  });
  it('an id of 3e9 is reported as 3000000000, not as a wrapped negative number', () => {
    const item = new SparseFeature({ name: 'item', vocabSize: 10, embeddingDim: 4 });
    expect(() => Dataset.bind({ item: [1, 3e9] }, [item], [])).toThrow(/column 'item' row 1: id 3000000000 does not fit in 32 bits/);
  });
});
