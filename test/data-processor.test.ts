import { DataProcessor } from '../src/data/processor';
import { Dataset } from '../src/basic/dataset/dataset';
import { MemoryStore } from '../src/basic/store';
import { hashString } from '../src/data/raw';

const rows = [
  { user: 'u1', city: 'paris', price: 10, clicks: 0, hist: 'a|b|c', label: 1 },
  { user: 'u2', city: 'rome', price: 20, clicks: 3, hist: 'b', label: 0 },
  { user: 'u1', city: 'paris', price: 30, clicks: 10, hist: '', label: 1 },
  { user: 'u3', city: 'oslo', price: null, clicks: 100, hist: 'c|c|a|d|e', label: 0 },
  { user: 'u1', city: 'rome', price: 40, clicks: 1, hist: ' a | b ', label: 1 },
];

function processor(extra: Partial<ConstructorParameters<typeof DataProcessor>[0]> = {}) {
  return new DataProcessor({
    sparse: ['user', { name: 'city', minFreq: 2 }],
    dense: [{ name: 'price', scaler: 'standard' }, { name: 'clicks', scaler: 'log' }],
    sequence: [{ name: 'hist', maxLen: 3 }],
    labels: ['label'],
    embeddingDim: 8,
    ...extra,
  });
}

describe('DataProcessor vocabularies', () => {
  it('orders by frequency then key, reserves 0, and applies minFreq / maxSize', async () => {
    const p = await processor().fit(rows);
    expect(p.vocabulary('user')).toEqual(['u1', 'u2', 'u3']);
    // oslo is seen once: below minFreq 2, so it maps to 0 like an unseen value
    expect(p.vocabulary('city')).toEqual(['paris', 'rome']);
    expect(p.encodeValue('city', 'oslo')).toBe(0);
    expect(p.encodeValue('city', 'paris')).toBe(1);
    expect(p.encodeValue('city', null)).toBe(0);
    expect(p.vocabSize('city')).toBe(3);
    const capped = await processor({ sparse: ['user', { name: 'city', maxSize: 1 }] }).fit(rows);
    expect(capped.vocabulary('city')).toEqual(['paris']);
  });

  it('treats numbers and their text as one category', async () => {
    const p = await new DataProcessor({ sparse: ['id'] }).fit({ id: [12, '12', 7n, '7', 3] });
    expect(p.vocabulary('id')).toEqual(['12', '7', '3']);
    expect(p.encodeValue('id', 7)).toBe(2);
  });

  it('hashes unseen values into extra buckets when asked, deterministically', async () => {
    const p = await new DataProcessor({ sparse: [{ name: 'c', unknown: 'hash', hashBuckets: 10 }] }).fit({ c: ['x', 'y', 'x'] });
    expect(p.vocabSize('c')).toBe(1 + 2 + 10);
    const id = p.encodeValue('c', 'never-seen');
    expect(id).toBe(1 + 2 + (hashString('never-seen') % 10));
    expect(p.encodeValue('c', 'never-seen')).toBe(id);
    const h = await new DataProcessor({ sparse: [{ name: 'c', encoding: 'hash', hashBuckets: 50 }] }).fit({ c: ['x'] });
    expect(h.vocabSize('c')).toBe(51);
    expect(h.vocabulary('c')).toEqual([]);
    expect(h.encodeValue('c', 'anything')).toBeGreaterThanOrEqual(1);
  });

  it('shares a vocabulary and an embedding table between a sequence and a sparse column', async () => {
    const p = await new DataProcessor({
      sparse: ['item'],
      sequence: [{ name: 'hist', maxLen: 4, shareVocabWith: 'item' }],
    }).fit({ item: ['a', 'b'], hist: ['c|a', 'a|b|c'] });
    // pooled counts: a 3, c 2, b 2
    expect(p.vocabulary('item')).toEqual(['a', 'b', 'c']);
    expect(p.vocabulary('hist')).toEqual(['a', 'b', 'c']);
    const [item] = p.sparseFeatures();
    const [hist] = p.sequenceFeatures();
    expect(hist.embeddingName).toBe('item');
    expect(hist.tableName).toBe(item.tableName);
    expect(hist.vocabSize).toBe(item.vocabSize);
    expect(() => new DataProcessor({ sparse: ['item'], sequence: [{ name: 'h', maxLen: 2, shareVocabWith: 'item', minFreq: 3 }] })).toThrow(/cannot set minFreq/);
    expect(() => new DataProcessor({ sparse: [{ name: 'a', shareVocabWith: 'b' }, { name: 'b', shareVocabWith: 'a' }] })).toThrow(/cycle/);
  });
});

describe('DataProcessor transform', () => {
  it('scales dense columns and fills missing values with the mean', async () => {
    const p = await processor().fit(rows);
    const out = p.transform(rows);
    const price = out.price as Float32Array;
    const mean = 25;
    const std = Math.sqrt((15 * 15 + 5 * 5 + 5 * 5 + 15 * 15) / 4);
    expect(price[0]).toBeCloseTo((10 - mean) / std, 6);
    expect(price[3]).toBe(0); // missing -> mean -> 0 after standardisation
    const clicks = out.clicks as Float32Array;
    expect(clicks[3]).toBeCloseTo(Math.log1p(100), 5);
    const mm = await new DataProcessor({ dense: [{ name: 'x', scaler: 'minmax' }] }).fit({ x: [2, 4, 6] });
    expect(Array.from(mm.transform({ x: [2, 5, 6, 8] }).x as Float32Array)).toEqual([0, 0.75, 1, 1.5]);
    const none = await new DataProcessor({ dense: [{ name: 'x', scaler: 'none', fill: -1 }] }).fit({ x: ['1.5', '', 'NA'] });
    expect(Array.from(none.transform({ x: ['1.5', '', 'NA'] }).x as Float32Array)).toEqual([1.5, -1, -1]);
  });

  it('pads and truncates sequences, keeping the most recent items', async () => {
    const p = await processor().fit(rows);
    const out = p.transform(rows);
    const hist = out.hist as Int32Array;
    const id = (v: string) => p.encodeValue('hist', v);
    expect(Array.from(hist.subarray(0, 3))).toEqual([id('a'), id('b'), id('c')]);
    expect(Array.from(hist.subarray(3, 6))).toEqual([id('b'), 0, 0]);
    expect(Array.from(hist.subarray(6, 9))).toEqual([0, 0, 0]);
    // 'c|c|a|d|e' keeps the last three: a, d, e
    expect(Array.from(hist.subarray(9, 12))).toEqual([id('a'), id('d'), id('e')]);
    expect(Array.from(hist.subarray(12, 15))).toEqual([id('a'), id('b'), 0]);
    // lists work as well as strings; unknown items are dropped before truncation
    const list = p.transform({ user: ['u1'], city: ['x'], price: [1], clicks: [1], hist: [['zz', 'a', 'zz', 'b', 'c', 'zz']] });
    expect(Array.from(list.hist as Int32Array)).toEqual([id('a'), id('b'), id('c')]);
    const json = await new DataProcessor({ sequence: [{ name: 's', maxLen: 2, format: 'json', itemType: 'int' }] }).fit({ s: ['[1, 2, 3]', '[2]'] });
    expect(Array.from(json.transform({ s: ['[3, 1]'] }).s as Int32Array)).toEqual([json.encodeValue('s', 3), json.encodeValue('s', 1)]);
  });

  it('produces inputs that bind to the declared features', async () => {
    const p = await processor().fit(rows);
    const f = p.features();
    expect(f.sparse.map((s) => [s.name, s.vocabSize, s.embeddingDim])).toEqual([
      ['user', 4, 8],
      ['city', 3, 8],
    ]);
    expect(f.sequence[0].maxLen).toBe(3);
    expect(f.dense.map((d) => d.name)).toEqual(['price', 'clicks']);
    const ds = Dataset.bind(p.transform(rows), [...f.sparse, ...f.sequence, ...f.dense], [{ name: 'label', type: 'binary' }]);
    expect(ds.numRows).toBe(5);
    expect(ds.column('hist').lengths![0]).toBe(3);
    expect(p.modelConfig().targets).toEqual([{ name: 'label', type: 'binary' }]);
  });

  it('maps labels by threshold or positive values', async () => {
    const p = await new DataProcessor({ sparse: ['u'], labels: [{ name: 'rating', threshold: 4 }, { name: 'income', positive: ['50000+.'] }] }).fit({ u: ['a'] });
    const out = p.transform({ u: ['a', 'a', 'a'], rating: ['5', 3, 4], income: [' 50000+.', '- 50000.', '50000+.'] });
    expect(Array.from(out.rating as Float32Array)).toEqual([1, 0, 1]);
    expect(Array.from(out.income as Float32Array)).toEqual([1, 0, 1]);
    // labels are optional at prediction time
    expect(p.transform({ u: ['a'] }).rating).toBeUndefined();
  });
});

describe('DataProcessor persistence', () => {
  it('round-trips through JSON and encodes identically after load', async () => {
    const p = await processor({ sparse: ['user', { name: 'city', unknown: 'hash', hashBuckets: 7 }] }).fit(rows);
    const store = new MemoryStore();
    await p.save(store);
    const q = await DataProcessor.load(store);
    const fresh = [{ user: 'u9', city: 'lima', price: 15, clicks: 2, hist: 'a|zz|e' }];
    expect(q.transform(fresh)).toEqual(p.transform(fresh));
    expect(q.features()).toEqual(p.features());
    expect(JSON.parse(JSON.stringify(q.toJSON()))).toEqual(JSON.parse(JSON.stringify(p.toJSON())));
    await expect(DataProcessor.load(new MemoryStore())).rejects.toThrow(/not found/);
    expect(() => DataProcessor.fromJSON({ format: 'x' } as never)).toThrow(/not a saved DataProcessor/);
  });

  it('refuses to encode before fit', () => {
    expect(() => processor().transform(rows)).toThrow(/call fit\(\)/);
  });
});
