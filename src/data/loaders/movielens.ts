import { DataError } from '../../basic/dataset/dataset';
import { csvSource } from '../readers/csv';
import { readTable, requireFiles, toNumberColumn, RawTable } from './common';
import { InteractionDataset } from './interactions';

/** Genre flags of u.item, in file order. */
export const ML100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
];

/** Options of the MovieLens loaders. */
export interface MovieLensOptions {
  /** Read at most this many ratings (quick experiments). */
  limit?: number;
}

function index(table: RawTable, key: string, what: string): Map<string, number> {
  const m = new Map<string, number>();
  table.columns[key].forEach((v, i) => {
    const k = String(v).trim();
    if (m.has(k)) throw new DataError(`${what}: id ${k} appears twice (rows ${m.get(k)! + 1} and ${i + 1})`);
    m.set(k, i);
  });
  return m;
}

/** Join side columns onto interaction rows by id; ids without side information get null cells. */
function join(ids: unknown[], side: RawTable, at: Map<string, number>, cols: Record<string, string>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const dst of Object.keys(cols)) out[dst] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const r = at.get(String(ids[i]).trim());
    for (const [dst, src] of Object.entries(cols)) out[dst][i] = r === undefined ? null : side.columns[src][r];
  }
  return out;
}

function yearOf(text: unknown, pattern: RegExp): number | null {
  const m = pattern.exec(String(text ?? ''));
  return m ? Number(m[1]) : null;
}

/**
 * MovieLens 100K from the files of the ml-100k archive in `dir`: u.data (tab-separated user, item, rating,
 * timestamp), u.user (pipe-separated user, age, gender, occupation, zip) and u.item (pipe-separated, latin-1:
 * id, title, release date, video release date, IMDb URL, 19 genre flags). Columns: user_id, item_id, rating,
 * timestamp, age, gender, occupation, zip, title, year, genres ('|'-joined).
 */
export async function loadMovieLens100K(dir: string, opts: MovieLensOptions = {}): Promise<InteractionDataset> {
  const files = requireFiles('MovieLens 100K', dir, ['u.data', 'u.user', 'u.item'], 'Unpack the ml-100k archive from GroupLens and pass its folder.');
  const ratings = await readTable(
    csvSource(files['u.data'], { delimiter: '\t', header: ['user_id', 'item_id', 'rating', 'timestamp'], quote: false, limit: opts.limit }),
  );
  const users = await readTable(csvSource(files['u.user'], { delimiter: '|', header: ['user_id', 'age', 'gender', 'occupation', 'zip'], quote: false }));
  const itemHeader = ['item_id', 'title', 'release_date', 'video_release_date', 'url', ...ML100K_GENRES.map((g) => `g_${g}`)];
  const items = await readTable(csvSource(files['u.item'], { delimiter: '|', header: itemHeader, quote: false, encoding: 'latin1' }));
  items.columns.genres = items.columns.item_id.map((_, r) => ML100K_GENRES.filter((g) => items.columns[`g_${g}`][r] === '1').join('|'));
  items.columns.year = items.columns.release_date.map((d) => yearOf(d, /(\d{4})\s*$/));
  const u = join(ratings.columns.user_id, users, index(users, 'user_id', 'u.user'), { age: 'age', gender: 'gender', occupation: 'occupation', zip: 'zip' });
  u.age = u.age.map((a) => (a === null ? null : Number(a)));
  const it = join(ratings.columns.item_id, items, index(items, 'item_id', 'u.item'), { title: 'title', year: 'year', genres: 'genres' });
  const table: RawTable = {
    columns: {
      user_id: ratings.columns.user_id,
      item_id: ratings.columns.item_id,
      rating: toNumberColumn(ratings.columns.rating, 'u.data rating'),
      timestamp: toNumberColumn(ratings.columns.timestamp, 'u.data timestamp'),
      ...u,
      ...it,
    },
    numRows: ratings.numRows,
  };
  return new InteractionDataset('MovieLens 100K', table, {
    user: 'user_id',
    item: 'item_id',
    time: 'timestamp',
    rating: 'rating',
    sparse: ['user_id', 'item_id', 'gender', 'occupation', 'zip'],
    dense: ['age'],
    itemColumns: ['title', 'year', 'genres'],
    multiValued: ['genres'],
  });
}

/**
 * MovieLens 1M from the files of the ml-1m archive in `dir`: ratings.dat (UserID::MovieID::Rating::Timestamp),
 * users.dat (UserID::Gender::Age::Occupation::Zip-code; age is a bucket code, so categorical) and movies.dat
 * (MovieID::Title::Genres, latin-1, genres '|'-joined). Columns: user_id, item_id, rating, timestamp, gender,
 * age, occupation, zip, title, year, genres.
 */
export async function loadMovieLens1M(dir: string, opts: MovieLensOptions = {}): Promise<InteractionDataset> {
  const files = requireFiles('MovieLens 1M', dir, ['ratings.dat', 'users.dat', 'movies.dat'], 'Unpack the ml-1m archive from GroupLens and pass its folder.');
  const dat = (file: string, header: string[], limit?: number) =>
    readTable(csvSource(files[file], { delimiter: '::', header, quote: false, encoding: 'latin1', limit, description: files[file] }));
  const ratings = await dat('ratings.dat', ['user_id', 'item_id', 'rating', 'timestamp'], opts.limit);
  const users = await dat('users.dat', ['user_id', 'gender', 'age', 'occupation', 'zip']);
  const movies = await dat('movies.dat', ['item_id', 'title', 'genres']);
  movies.columns.year = movies.columns.title.map((t) => yearOf(t, /\((\d{4})\)\s*$/));
  const u = join(ratings.columns.user_id, users, index(users, 'user_id', 'users.dat'), { gender: 'gender', age: 'age', occupation: 'occupation', zip: 'zip' });
  const it = join(ratings.columns.item_id, movies, index(movies, 'item_id', 'movies.dat'), { title: 'title', year: 'year', genres: 'genres' });
  const table: RawTable = {
    columns: {
      user_id: ratings.columns.user_id,
      item_id: ratings.columns.item_id,
      rating: toNumberColumn(ratings.columns.rating, 'ratings.dat rating'),
      timestamp: toNumberColumn(ratings.columns.timestamp, 'ratings.dat timestamp'),
      ...u,
      ...it,
    },
    numRows: ratings.numRows,
  };
  return new InteractionDataset('MovieLens 1M', table, {
    user: 'user_id',
    item: 'item_id',
    time: 'timestamp',
    rating: 'rating',
    sparse: ['user_id', 'item_id', 'gender', 'age', 'occupation', 'zip'],
    dense: [],
    itemColumns: ['title', 'year', 'genres'],
    multiValued: ['genres'],
  });
}
