import { DataError } from '../../basic/dataset/dataset';
import { csvSource } from '../readers/csv';
import { jsonlSource } from '../readers/jsonl';
import { readTable, requireFiles, toNumberColumn } from './common';
import * as path from 'path';
import { InteractionDataset } from './interactions';

/** Options of {@link loadAmazonReviews}. */
export interface AmazonOptions {
  /**
   * 'reviews' (JSON lines of the 5-core review dumps), 'ratings' (ratings-only CSV: user,item,rating,timestamp; no
   * header) or 'pairs' (`user item` per line, space-separated, each user's lines in time order, as the SASRec
   * authors' preprocessed files such as Video.txt; rating 1, timestamp = line number). Default: by extension
   * (.csv is ratings, .txt is pairs, otherwise reviews).
   */
  format?: 'reviews' | 'ratings' | 'pairs';
  limit?: number;
}

/**
 * Amazon product reviews (a category's 5-core JSON-lines file with reviewerID, asin, overall and unixReviewTime per
 * line, or a ratings-only CSV of user,item,rating,timestamp). Columns: user_id, item_id, rating, timestamp.
 */
export async function loadAmazonReviews(file: string, opts: AmazonOptions = {}): Promise<InteractionDataset> {
  const lower = file.toLowerCase();
  const format = opts.format ?? (lower.endsWith('.csv') ? 'ratings' : lower.endsWith('.txt') ? 'pairs' : 'reviews');
  if (format !== 'reviews' && format !== 'ratings' && format !== 'pairs') throw new DataError(`loadAmazonReviews: format must be 'reviews', 'ratings' or 'pairs' (got '${format as string}')`);
  const expected = {
    reviews: 'Expected a 5-core reviews file such as reviews_Books_5.json (JSON lines with reviewerID, asin, overall, unixReviewTime).',
    ratings: 'Expected a ratings-only CSV such as ratings_Books.csv (user,item,rating,timestamp; no header).',
    pairs: "Expected a 'user item' file such as Video.txt (space-separated, each user's lines in time order).",
  };
  requireFiles('Amazon reviews', path.dirname(file), [path.basename(file)], expected[format]);
  let user: unknown[];
  let item: unknown[];
  let rating: unknown[];
  let time: unknown[];
  if (format === 'reviews') {
    const src = jsonlSource(file, { columns: ['reviewerID', 'asin', 'overall', 'unixReviewTime'], limit: opts.limit });
    const t = await readTable(src);
    for (const c of ['reviewerID', 'asin', 'overall', 'unixReviewTime']) {
      const i = t.columns[c].findIndex((v) => v === undefined || v === null);
      if (i >= 0) throw new DataError(`${file}: record ${i + 1} has no '${c}' (each line needs reviewerID, asin, overall, unixReviewTime)`);
    }
    ({ reviewerID: user, asin: item, overall: rating, unixReviewTime: time } = t.columns);
  } else if (format === 'pairs') {
    const t = await readTable(csvSource(file, { header: ['user_id', 'item_id'], delimiter: ' ', quote: false, limit: opts.limit }));
    ({ user_id: user, item_id: item } = t.columns);
    rating = user.map(() => 1);
    // the file is in time order per user: the line number orders each user's interactions
    time = user.map((_, i) => i);
  } else {
    const t = await readTable(csvSource(file, { header: ['user_id', 'item_id', 'rating', 'timestamp'], limit: opts.limit }));
    ({ user_id: user, item_id: item, rating, timestamp: time } = t.columns);
  }
  const table = {
    columns: { user_id: user, item_id: item, rating: toNumberColumn(rating, `${file} rating`), timestamp: toNumberColumn(time, `${file} timestamp`) },
    numRows: user.length,
  };
  return new InteractionDataset('Amazon reviews', table, {
    user: 'user_id',
    item: 'item_id',
    time: 'timestamp',
    rating: 'rating',
    sparse: ['user_id', 'item_id'],
    dense: [],
    itemColumns: [],
    multiValued: [],
  });
}
