import { existsSync, statSync } from 'fs';
import * as path from 'path';
import { csvSource } from '../readers/csv';
import { RawSource } from '../raw';
import { readTable, requireFiles } from './common';
import { TabularDataset } from './tabular';

/** Integer (count) columns I1..I13 of Criteo. */
export const CRITEO_DENSE = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);
/** Hashed categorical columns C1..C26 of Criteo (8-digit hex strings). */
export const CRITEO_SPARSE = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);

/** Options of the Criteo readers. */
export interface CriteoOptions {
  /** The file has the label column first (default true; the published test.txt has none). */
  withLabel?: boolean;
  /** Read at most this many rows. */
  limit?: number;
}

function criteoFile(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory()) return requireFiles('Criteo', p, ['train.txt'], 'Unpack the Criteo display advertising challenge archive (dac.tar.gz) and pass train.txt or its folder.')['train.txt'];
  if (!existsSync(p)) requireFiles('Criteo', path.dirname(p), [path.basename(p)], 'Expected the tab-separated train.txt of the Criteo display advertising challenge.');
  return p;
}

/**
 * A Criteo file streamed (for files bigger than memory: fit a DataProcessor on it and train with fitStream):
 * tab-separated, no header, label then I1..I13 then C1..C26, empty fields for missing values.
 */
export function criteoSource(file: string, opts: CriteoOptions = {}): RawSource {
  const header = [...(opts.withLabel === false ? [] : ['label']), ...CRITEO_DENSE, ...CRITEO_SPARSE];
  return csvSource(criteoFile(file), { delimiter: '\t', header, quote: false, limit: opts.limit });
}

/**
 * Criteo (display advertising challenge) into memory; pass train.txt or its folder, and `limit` for the 45M-row file.
 * Processor defaults follow common practice: log(1+x) for counts (missing as 0), categories seen fewer than 10 times
 * mapped to 0.
 */
export async function loadCriteo(file: string, opts: CriteoOptions = {}): Promise<TabularDataset> {
  const table = await readTable(criteoSource(file, opts));
  return new TabularDataset(
    'Criteo',
    table,
    { labels: opts.withLabel === false ? [] : ['label'], dense: CRITEO_DENSE, sparse: CRITEO_SPARSE },
    { dense: { scaler: 'log', fill: 0 }, sparse: { minFreq: 10 } },
  );
}
