/**
 * Training batches that keep every group (request) whole, for losses that compare the rows of one group: groups are
 * visited in a shuffled order and packed greedily until the next would overflow `batchSize`; a group larger than
 * `batchSize` forms a batch of its own. Shuffling also reorders the rows within each group, so that rows with equal
 * labels (which ListMLE must put in some order) are tied in a fresh random order every epoch.
 */
export function* groupBatches(
  groupIds: ArrayLike<number>,
  batchSize: number,
  opts: { shuffle?: boolean; rng?: { shuffle: (a: Int32Array) => Int32Array }; dropLast?: boolean } = {},
): Generator<Int32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${batchSize})`);
  const members = new Map<number, number[]>();
  for (let r = 0; r < groupIds.length; r++) {
    const list = members.get(groupIds[r]);
    if (list) list.push(r);
    else members.set(groupIds[r], [r]);
  }
  const groups = [...members.values()];
  const order = Int32Array.from(groups.keys());
  if (opts.shuffle) {
    if (!opts.rng) throw new Error('groupBatches: shuffle requires an rng');
    opts.rng.shuffle(order);
  }
  let batch: number[] = [];
  for (const g of order) {
    const rows = opts.shuffle ? opts.rng!.shuffle(Int32Array.from(groups[g])) : groups[g];
    if (batch.length > 0 && batch.length + rows.length > batchSize) {
      yield Int32Array.from(batch);
      batch = [];
    }
    batch.push(...rows);
  }
  if (batch.length > 0 && !(opts.dropLast && batch.length < batchSize)) yield Int32Array.from(batch);
}
