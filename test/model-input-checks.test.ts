/** Training data that cannot teach the model anything is refused with a message naming the row or column. */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { ESMM } from '../src/models/multitask/esmm';
import { SASRec } from '../src/models/generative/sasrec';
import { HSTU } from '../src/models/generative/hstu';
import { SequenceFeature, SparseFeature } from '../src/basic/features';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

describe('ESMM labels', () => {
  it('conversion = 1 on an unclicked row is rejected naming the row', async () => {
    const m = new ESMM({ sparseFeatures: [new SparseFeature({ name: 'u', vocabSize: 5, embeddingDim: 4 })], ctrTower: { dims: [4] }, cvrTower: { dims: [4] } });
    m.compile();
    const rows = { u: [1, 2, 3, 4], click: [1, 0, 1, 0], conversion: [1, 0, 0, 1] };
    await expect(m.fit(rows, { verbose: 0 })).rejects.toThrow(/ESMM: row 3 has conversion = 1 but click = 0; the second label must be click AND conversion/);
    await expect(m.evaluate(rows)).rejects.toThrow(/row 3 has conversion = 1/);
    const good = { ...rows, conversion: [1, 0, 0, 0] };
    await expect(m.fit(good, { verbose: 0 })).resolves.toBeTruthy();
    m.dispose();
  });
});

describe('next-item models', () => {
  const hist = new SequenceFeature({ name: 'hist', vocabSize: 11, embeddingDim: 8, maxLen: 5 });
  it.each([
    ['SASRec', () => new SASRec({ sequenceFeatures: [hist] })],
    ['HSTU', () => new HSTU({ sequenceFeatures: [hist] })],
  ])('%s refuses histories with no next-item pair instead of training on loss 0', async (name, make) => {
    const m = make();
    m.compile();
    await expect(m.fit({ hist: [[3], [4], []] }, { verbose: 0 })).rejects.toThrow(new RegExp(`${name}: no training row of 'hist' has 2 or more items \\(longest: 1 over 3 rows\\)`));
    await expect(m.fit({ hist: [[3, 4], [4]] }, { verbose: 0 })).resolves.toBeTruthy();
    m.dispose();
  });
});
