import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { loadAmazonReviews } from '../src/data/loaders/amazon';

describe("loadAmazonReviews format 'pairs' (the SASRec authors' user-item files)", () => {
  it('reads `user item` lines in file order as each user’s time order, and builds a leave-one-out next-item split', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pairs-'));
    const file = path.join(dir, 'Video.txt');
    // user 2's lines interleave with user 1's; within a user, file order is time order
    await fs.writeFile(file, ['1 10', '2 30', '1 11', '1 12', '2 31', '1 13', '2 32'].join('\n') + '\n');
    const ds = await loadAmazonReviews(file);
    const seqs = ds.sequences();
    expect(seqs.users).toEqual(['1', '2']);
    expect(seqs.items).toEqual([['10', '11', '12', '13'], ['30', '31', '32']]);
    const split = ds.nextItem({ examples: false });
    expect(split.test.columns.target).toEqual(['13', '32']);
    expect(split.valid.columns.target).toEqual(['12', '31']);
    expect(split.trainSequences.items).toEqual([['10', '11'], ['30']]);
    await expect(loadAmazonReviews(file, { format: 'xml' as 'pairs' })).rejects.toThrow(/format must be 'reviews', 'ratings' or 'pairs' \(got 'xml'\)/);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
