import { existsSync, statSync } from 'fs';
import * as path from 'path';
import { DataError } from '../../basic/dataset/dataset';
import { csvSource } from '../readers/csv';
import { RawSource } from '../raw';
import { readTable, requireFiles } from './common';
import { deriveColumns, TabularDataset } from './tabular';

/** Avazu's categorical columns (all but id, click and hour), plus the derived hour_of_day and weekday. */
export const AVAZU_SPARSE = [
  'C1', 'banner_pos', 'site_id', 'site_domain', 'site_category', 'app_id', 'app_domain', 'app_category', 'device_id',
  'device_ip', 'device_model', 'device_type', 'device_conn_type', 'C14', 'C15', 'C16', 'C17', 'C18', 'C19', 'C20', 'C21',
  'hour_of_day', 'weekday',
];

function parseHour(v: unknown): { date: Date; hh: number } | null {
  const s = String(v ?? '').trim();
  if (!/^\d{8}$/.test(s)) return null;
  const yy = Number(s.slice(0, 2));
  const mm = Number(s.slice(2, 4));
  const dd = Number(s.slice(4, 6));
  const hh = Number(s.slice(6, 8));
  return { date: new Date(Date.UTC(2000 + yy, mm - 1, dd)), hh };
}

function hourOfDay(v: unknown): string | null {
  const p = parseHour(v);
  return p ? String(p.hh) : null;
}

function weekday(v: unknown): string | null {
  const p = parseHour(v);
  return p ? String(p.date.getUTCDay()) : null;
}

function avazuFile(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory()) return requireFiles('Avazu', p, ['train.csv'], 'Unpack the Avazu CTR prediction archive and pass train.csv or its folder.')['train.csv'];
  if (!existsSync(p)) requireFiles('Avazu', path.dirname(p), [path.basename(p)], 'Expected the Avazu train.csv (header: id, click, hour, C1, banner_pos, site_*, app_*, device_*, C14-C21).');
  return p;
}

/** The Avazu CSV streamed, with hour_of_day and weekday derived from hour (YYMMDDHH). */
export function avazuSource(file: string, opts: { limit?: number } = {}): RawSource {
  return deriveColumns(csvSource(avazuFile(file), { limit: opts.limit }), {
    hour_of_day: { from: ['hour'], fn: hourOfDay },
    weekday: { from: ['hour'], fn: weekday },
  });
}

/**
 * Avazu (CSV with header: id, click, hour, C1, banner_pos, site_id, site_domain, site_category, app_id, app_domain,
 * app_category, device_id, device_ip, device_model, device_type, device_conn_type, C14-C21) into memory. Label
 * 'click'; `hour` (YYMMDDHH) orders temporalSplit and yields hour_of_day and weekday features. Categories seen fewer
 * than 2 times map to 0.
 */
export async function loadAvazu(file: string, opts: { limit?: number } = {}): Promise<TabularDataset> {
  const src = avazuSource(file, opts);
  const names = await src.columnNames();
  const need = ['click', 'hour', ...AVAZU_SPARSE.filter((c) => c !== 'hour_of_day' && c !== 'weekday')];
  const missing = need.filter((n) => !names.includes(n));
  if (missing.length) throw new DataError(`${src.description} is not an Avazu file: missing column(s) ${missing.join(', ')}`);
  const table = await readTable(src);
  table.columns.hour = table.columns.hour.map((h, i) => {
    const p = parseHour(h);
    if (!p) throw new DataError(`${src.description} data row ${i + 1}: hour ${JSON.stringify(h)} is not YYMMDDHH`);
    return p.date.getTime() / 1000 + p.hh * 3600;
  });
  return new TabularDataset('Avazu', table, { labels: ['click'], dense: [], sparse: AVAZU_SPARSE, time: 'hour' }, { sparse: { minFreq: 2 } });
}
