import { existsSync, statSync } from 'fs';
import * as path from 'path';
import { DataError } from '../../basic/dataset/dataset';
import { csvSource } from '../readers/csv';
import { readTable, requireFiles, RawTable } from './common';
import { TabularDataset } from './tabular';

/** Options of {@link loadAliCCP}. */
export interface AliCcpOptions {
  /** Columns to treat as numeric (default none: every feature column is categorical). */
  dense?: string[];
  limit?: number;
}

/** Prefix of Ali-CCP field ids used as column names: feature names must start with a letter or _ (101 -> f_101). */
export const ALI_CCP_FIELD_PREFIX = 'f_';

function featureName(column: string): string {
  return /^[A-Za-z_]/.test(column) ? column : `${ALI_CCP_FIELD_PREFIX}${column}`;
}

/** The table with every column renamed by {@link featureName}; an error if that makes two columns one. */
function withFeatureNames(t: RawTable, file: string): RawTable {
  const columns: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(t.columns)) {
    const renamed = featureName(name);
    if (renamed in columns) throw new DataError(`${file}: columns '${name}' and '${renamed}' would both be named '${renamed}' (field ids get the prefix '${ALI_CCP_FIELD_PREFIX}')`);
    columns[renamed] = values;
  }
  return { columns, numRows: t.numRows };
}

async function readAliCcp(file: string, dense: string[], limit?: number): Promise<RawTable> {
  const t = await readTable(csvSource(file, { limit }));
  for (const need of ['click', 'purchase']) {
    if (!t.columns[need]) throw new DataError(`${file} is not an Ali-CCP export: it has no '${need}' column (columns: ${Object.keys(t.columns).join(', ')})`);
  }
  for (const d of dense) if (!t.columns[d]) throw new DataError(`${file}: dense column '${d}' is not in the header`);
  const click = t.columns.click.map(Number);
  const buy = t.columns.purchase.map(Number);
  for (let i = 0; i < t.numRows; i++) {
    if ((click[i] !== 0 && click[i] !== 1) || (buy[i] !== 0 && buy[i] !== 1)) {
      throw new DataError(`${file} data row ${i + 1}: click and purchase must be 0 or 1 (got ${t.columns.click[i]}, ${t.columns.purchase[i]})`);
    }
    if (buy[i] === 1 && click[i] === 0) throw new DataError(`${file} data row ${i + 1}: purchase without click; Ali-CCP conversions happen after a click`);
  }
  t.columns.click = click;
  t.columns.purchase = buy;
  return withFeatureNames(t, file);
}

/**
 * Ali-CCP in a simplified CSV export, not the published sample_skeleton / common_features files (whose joined,
 * variable-length feature lists need a separate conversion step). Format: a header line; `click` and `purchase`
 * (0/1, a purchase implies a click, so purchase is the CTCVR label of ESMM); every other column a categorical feature
 * id (empty = missing) unless listed in `dense` (by its header name). Columns named by a numeric field id ('101',
 * '109_14') are renamed with the prefix {@link ALI_CCP_FIELD_PREFIX} ('f_101'), since feature names must start with
 * a letter or _. Pass the file, or a folder with ali_ccp_train.csv and optionally
 * ali_ccp_test.csv (the test file becomes `testTable`).
 */
export async function loadAliCCP(p: string, opts: AliCcpOptions = {}): Promise<TabularDataset> {
  let trainFile = p;
  let testFile: string | undefined;
  const hint = 'Export Ali-CCP to CSV with a header: click, purchase, then one column per feature field (see docs/data.md).';
  if (existsSync(p) && statSync(p).isDirectory()) {
    const files = requireFiles('Ali-CCP', p, ['ali_ccp_train.csv'], hint, ['ali_ccp_test.csv']);
    trainFile = files['ali_ccp_train.csv'];
    testFile = files['ali_ccp_test.csv'];
  } else if (!existsSync(p)) {
    requireFiles('Ali-CCP', path.dirname(p), [path.basename(p)], hint);
  }
  const headerDense = opts.dense ?? [];
  const train = await readAliCcp(trainFile, headerDense, opts.limit);
  const test = testFile ? await readAliCcp(testFile, headerDense, opts.limit) : null;
  const dense = headerDense.map(featureName);
  const sparse = Object.keys(train.columns).filter((c) => c !== 'click' && c !== 'purchase' && !dense.includes(c));
  return new TabularDataset('Ali-CCP', train, { labels: ['click', 'purchase'], dense, sparse }, {}, test);
}
