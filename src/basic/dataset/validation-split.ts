import { Rng } from '../random';

/** How `fit({ validationSplit })` chooses validation rows. */
export type ValidationSplitBy = 'random' | 'time' | 'group';

/**
 * Choose the validation rows of `fit({ validationSplit })`. Deterministic: the same inputs give the same rows.
 * - 'random': a seeded shuffle of the rows, the first round(fraction x n) held out;
 * - 'time': the round(fraction x n) latest rows by `column` (ties broken by row order, later rows held out);
 * - 'group': whole groups of `column`, in a seeded order, until at least fraction x n rows are held out, so no
 *   group (e.g. user) appears on both sides.
 * Returns sorted, disjoint index lists covering every row.
 */
export function splitForValidation(
  numRows: number,
  fraction: number,
  by: ValidationSplitBy,
  seed: number,
  column?: ArrayLike<number>,
): { train: Int32Array; valid: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`fit: validationSplit must be in (0, 1) (got ${fraction})`);
  const target = Math.round(fraction * numRows);
  if (target < 1 || target >= numRows) throw new Error(`fit: validationSplit ${fraction} of ${numRows} rows leaves an empty training or validation set`);
  const inValid = new Uint8Array(numRows);
  if (by === 'random') {
    const order = new Int32Array(numRows);
    for (let i = 0; i < numRows; i++) order[i] = i;
    new Rng(seed).shuffle(order);
    for (let i = 0; i < target; i++) inValid[order[i]] = 1;
  } else if (by === 'time') {
    const t = column!;
    const order = Array.from({ length: numRows }, (_, i) => i).sort((a, b) => t[a] - t[b] || a - b);
    for (let i = numRows - target; i < numRows; i++) inValid[order[i]] = 1;
  } else if (by === 'group') {
    const g = column!;
    const rowsOf = new Map<number, number[]>();
    for (let i = 0; i < numRows; i++) {
      let list = rowsOf.get(g[i]);
      if (!list) rowsOf.set(g[i], (list = []));
      list.push(i);
    }
    if (rowsOf.size < 2) throw new Error(`fit: validationSplitBy 'group' needs at least 2 groups (found ${rowsOf.size})`);
    const groups = Float64Array.from([...rowsOf.keys()].sort((a, b) => a - b));
    new Rng(seed).shuffle(groups);
    let held = 0;
    for (let k = 0; k < groups.length - 1 && held < target; k++) {
      for (const i of rowsOf.get(groups[k])!) inValid[i] = 1;
      held += rowsOf.get(groups[k])!.length;
    }
  } else {
    throw new Error(`fit: validationSplitBy must be 'random', 'time' or 'group' (got ${JSON.stringify(by)})`);
  }
  let nv = 0;
  for (let i = 0; i < numRows; i++) nv += inValid[i];
  const train = new Int32Array(numRows - nv);
  const valid = new Int32Array(nv);
  for (let i = 0, a = 0, b = 0; i < numRows; i++) {
    if (inValid[i]) valid[b++] = i;
    else train[a++] = i;
  }
  return { train, valid };
}
