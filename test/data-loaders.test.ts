import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  DatasetFilesMissingError,
  loadAliCCP,
  loadAmazonReviews,
  loadAvazu,
  loadCensusIncome,
  loadCriteo,
  loadMovieLens100K,
  loadMovieLens1M,
  criteoSource,
  CRITEO_SPARSE,
} from '../src/data/loaders';
import { DataProcessor } from '../src/data/processor';
import { Dataset } from '../src/basic/dataset/dataset';

const FX = path.join(__dirname, 'fixtures');
let empty: string;
beforeAll(() => {
  empty = mkdtempSync(path.join(tmpdir(), 'nextrec-loaders-'));
});
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('MovieLens', () => {
  it('100K: joins users and items (latin-1 titles), builds CTR rows, sequences and splits', async () => {
    const ml = await loadMovieLens100K(path.join(FX, 'ml-100k'));
    const t = ml.table;
    expect(t.numRows).toBeGreaterThan(20);
    expect(Object.keys(t.columns)).toEqual(['user_id', 'item_id', 'rating', 'timestamp', 'age', 'gender', 'occupation', 'zip', 'title', 'year', 'genres']);
    const cafe = t.columns.item_id.indexOf('8');
    expect(t.columns.title[cafe]).toBe('Café au lait (1994)');
    const toy = t.columns.item_id.indexOf('1');
    expect(t.columns.genres[toy]).toBe("Animation|Children's|Comedy");
    expect(typeof t.columns.age[0]).toBe('number');

    const ctr = ml.ctr();
    ctr.columns.label.forEach((y, i) => expect(y).toBe((t.columns.rating[i] as number) >= 4 ? 1 : 0));

    const seqs = ml.sequences();
    for (const times of seqs.times) for (let j = 1; j < times.length; j++) expect(times[j]).toBeGreaterThanOrEqual(times[j - 1]);
    const loo = ml.leaveOneOut();
    expect(loo.train.numRows + loo.valid.numRows + loo.test.numRows).toBe(t.numRows);
    expect(new Set(loo.test.columns.user_id).size).toBe(loo.test.numRows);
    // each test row is its user's latest interaction
    loo.test.columns.user_id.forEach((u, i) => {
      const u_ = seqs.users.indexOf(String(u));
      expect(loo.test.columns.timestamp[i]).toBe(seqs.times[u_][seqs.times[u_].length - 1]);
    });
    const temporal = ml.temporalSplit([0.6, 0.2, 0.2]);
    const maxTrain = Math.max(...(temporal.train.columns.timestamp as number[]));
    expect(Math.min(...(temporal.test.columns.timestamp as number[]))).toBeGreaterThanOrEqual(maxTrain);
    expect(ml.randomSplit(3)).toEqual(ml.randomSplit(3));
    expect(ml.randomSplit(3)).not.toEqual(ml.randomSplit(4));

    const next = ml.nextItem({ maxLen: 3 });
    expect(next.test.numRows).toBe(seqs.items.filter((s) => s.length >= 3).length);
    next.test.columns.hist.forEach((h) => expect((h as string[]).length).toBeLessThanOrEqual(3));
    // times travel with the items: each history's times, and the target's time (the request time)
    next.test.columns.hist_time.forEach((ts, i) => expect((ts as number[]).length).toBe((next.test.columns.hist[i] as string[]).length));
    next.test.columns.target_time.forEach((t, i) => {
      const u = seqs.users.indexOf(String(next.test.columns.user[i]));
      expect(t).toBe(seqs.times[u][seqs.times[u].length - 1]);
    });
    const sequencesOnly = ml.nextItem({ maxLen: 3, examples: false });
    expect([sequencesOnly.train.numRows, sequencesOnly.test.numRows]).toEqual([0, next.test.numRows]);
    expect(sequencesOnly.trainSequences.times.map((t) => t.length)).toEqual(sequencesOnly.trainSequences.items.map((s) => s.length));
    const hist = ml.withHistory({ maxLen: 4 });
    expect((hist.columns.hist as string[][]).every((h) => h.length <= 4)).toBe(true);

    // negatives are deterministic for a seed and never items the user saw
    const imp = ml.implicitCtr({ ratio: 2, seed: 1 });
    expect(imp).toEqual(ml.implicitCtr({ ratio: 2, seed: 1 }));
    const seen = new Map(seqs.users.map((u, k) => [u, new Set(seqs.items[k])]));
    imp.columns.label.forEach((y, i) => {
      if (y === 0) expect(seen.get(String(imp.columns.user_id[i]))!.has(String(imp.columns.item_id[i]))).toBe(false);
    });

    // the suggested processor encodes the CTR view with history
    const withHist = { ...hist, columns: { ...hist.columns, label: ctr.columns.label } };
    const p = await new DataProcessor(ml.processorConfig({ historyMaxLen: 4 })).fit(withHist);
    const f = p.features();
    const ds = Dataset.bind(p.transform(withHist), [...f.sparse, ...f.sequence, ...f.dense], [{ name: 'label', type: 'binary' }]);
    expect(ds.numRows).toBe(t.numRows);
  });

  it('1M: parses "::" files in latin-1', async () => {
    const ml = await loadMovieLens1M(path.join(FX, 'ml-1m'));
    const t = ml.table;
    expect(t.numRows).toBeGreaterThan(10);
    const pere = t.columns.item_id.indexOf('5');
    expect(t.columns.title[pere]).toBe('Père tranquille, Le (1946)');
    expect(t.columns.year[pere]).toBe(1946);
    expect(new Set(t.columns.gender)).toEqual(new Set(['F', 'M']));
    expect(ml.leaveOneOut().test.numRows).toBe(4);
    expect(ml.processorConfig().sparse).toHaveLength(6);
  });

  it('names the expected files when they are absent', async () => {
    await expect(loadMovieLens100K(empty)).rejects.toThrow(DatasetFilesMissingError);
    await expect(loadMovieLens100K(empty)).rejects.toThrow(/MovieLens 100K: missing 'u.data', 'u.user', 'u.item' in .* \(expected 'u.data', 'u.user', 'u.item'\)/);
    await expect(loadMovieLens1M(empty)).rejects.toThrow(/missing 'ratings.dat', 'users.dat', 'movies.dat'/);
    await expect(loadCriteo(empty)).rejects.toThrow(/Criteo: missing 'train.txt'/);
    await expect(loadAvazu(path.join(empty, 'train.csv'))).rejects.toThrow(/Avazu: missing 'train.csv'/);
    await expect(loadAmazonReviews(path.join(empty, 'reviews_Books_5.json'))).rejects.toThrow(/Amazon reviews: missing 'reviews_Books_5.json'.*reviewerID, asin, overall, unixReviewTime/);
    await expect(loadAliCCP(empty)).rejects.toThrow(/Ali-CCP: missing 'ali_ccp_train.csv'/);
    await expect(loadCensusIncome(empty)).rejects.toThrow(/census-income: missing 'census-income.data' .*census-income.test \(optional\)/);
  });
});

describe('CTR datasets', () => {
  it('Criteo: 13 counts and 26 hex categories, empty fields as missing, streamable', async () => {
    const c = await loadCriteo(path.join(FX, 'criteo'));
    expect(c.numRows).toBe(60);
    expect(c.columns.sparse).toEqual(CRITEO_SPARSE);
    const cfg = c.processorConfig();
    expect(cfg.dense![0]).toEqual({ scaler: 'log', fill: 0, name: 'I1' });
    const p = await new DataProcessor({ ...cfg, sparse: CRITEO_SPARSE.map((name) => ({ name })) }).fit(criteoSource(path.join(FX, 'criteo', 'train.txt')));
    const enc = await p.transformAll(criteoSource(path.join(FX, 'criteo', 'train.txt')));
    expect((enc.label as Float32Array).length).toBe(60);
    const blanks = c.table.columns.C1.map((v, i) => [v, i] as const).filter(([v]) => v === '');
    for (const [, i] of blanks) expect((enc.C1 as Int32Array)[i]).toBe(0);
    expect((await loadCriteo(path.join(FX, 'criteo', 'train.txt'), { limit: 5 })).numRows).toBe(5);
  });

  it('Avazu: header CSV, hour -> time, hour_of_day and weekday', async () => {
    const a = await loadAvazu(path.join(FX, 'avazu'));
    expect(a.numRows).toBe(30);
    expect(a.columns.labels).toEqual(['click']);
    expect(a.table.columns.weekday[0]).toBe('2'); // 2014-10-21 was a Tuesday
    const split = a.temporalSplit([0.5, 0.25, 0.25]);
    expect(Math.min(...(split.test.columns.hour as number[]))).toBeGreaterThanOrEqual(Math.max(...(split.train.columns.hour as number[])));
    const p = await new DataProcessor(a.processorConfig()).fit(split.train);
    expect(p.sparseFeatures()).toHaveLength(23);
  });

  it('Amazon: 5-core JSON lines and ratings-only CSV agree', async () => {
    const j = await loadAmazonReviews(path.join(FX, 'amazon', 'reviews_Toys_5.json'));
    const c = await loadAmazonReviews(path.join(FX, 'amazon', 'ratings_Toys.csv'));
    expect(j.table).toEqual(c.table);
    expect(j.nextItem().valid.numRows).toBe(5);
  });

  it('Ali-CCP (documented simplified CSV): click and purchase labels, test file kept apart', async () => {
    const d = await loadAliCCP(path.join(FX, 'aliccp'), { dense: ['d_price'] });
    expect(d.columns.labels).toEqual(['click', 'purchase']);
    expect(d.columns.dense).toEqual(['d_price']);
    expect(d.columns.sparse).toHaveLength(23);
    // numeric field ids are not valid feature names, so they get a prefix; the suggested processor then builds features
    expect(d.columns.sparse.slice(0, 2)).toEqual(['f_101', 'f_121']);
    expect(d.columns.sparse).toContain('f_109_14');
    const p = await new DataProcessor(d.processorConfig()).fit(d.table);
    expect(p.modelConfig().sparseFeatures.map((f) => f.name)).toEqual(d.columns.sparse);
    expect(d.testTable!.numRows).toBe(10);
    d.table.columns.purchase.forEach((p, i) => expect(p as number).toBeLessThanOrEqual(d.table.columns.click[i] as number));
  });

  it('census-income: 42 columns, income and never-married tasks', async () => {
    const d = await loadCensusIncome(path.join(FX, 'census'));
    expect(d.numRows).toBe(30);
    expect(d.testTable!.numRows).toBe(10);
    d.table.columns.income.forEach((v, i) => expect(d.table.columns.income_50k[i]).toBe(v === '50000+.' ? 1 : 0));
    d.table.columns.marital_stat.forEach((v, i) => expect(d.table.columns.never_married[i]).toBe(v === 'Never married' ? 1 : 0));
    expect(d.columns.sparse).not.toContain('marital_stat');
    const p = await new DataProcessor(d.processorConfig()).fit(d.table);
    expect(p.targets().map((t) => t.name)).toEqual(['income_50k', 'never_married']);
    expect(Object.keys(p.transform(d.testTable!))).toContain('never_married');
  });
});
