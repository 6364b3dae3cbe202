/**
 * Sums gradient rows that belong to the same id within one step, using a small open-addressing hash sized to
 * the batch (never to the vocabulary), and reused across steps to avoid allocation.
 */
export class IdAccumulator {
  private keys = new Int32Array(0);
  private slotOf = new Int32Array(0);
  /** Hash slot of each unique row, so reset can clear exactly the used slots (re-probing would miss displaced keys). */
  private slotOfRow = new Int32Array(0);
  private mask = 0;
  /** Unique ids in first-seen order; valid up to `count`. */
  ids = new Int32Array(0);
  /** Summed gradient rows aligned with `ids` (count x dim). */
  grads = new Float32Array(0);
  count = 0;

  constructor(readonly dim: number) {}

  /** Prepare for up to `maxEntries` additions. */
  reset(maxEntries: number): void {
    let cap = 16;
    while (cap < maxEntries * 2) cap <<= 1;
    if (cap > this.keys.length) {
      this.keys = new Int32Array(cap).fill(-1);
      this.slotOf = new Int32Array(cap);
      this.mask = cap - 1;
    } else {
      // clearing only the used keys keeps reset O(previous count)
      for (let i = 0; i < this.count; i++) this.keys[this.slotOfRow[i]] = -1;
    }
    if (this.ids.length < maxEntries) {
      this.ids = new Int32Array(maxEntries);
      this.slotOfRow = new Int32Array(maxEntries);
      this.grads = new Float32Array(maxEntries * this.dim);
    }
    this.count = 0;
  }

  private findSlot(id: number): number {
    let h = Math.imul(id, 0x9e3779b1) >>> 0;
    let s = h & this.mask;
    while (this.keys[s] !== -1 && this.keys[s] !== id) {
      h++;
      s = h & this.mask;
    }
    return s;
  }

  /** Add `dim` floats from `src` at `offset` to the row of `id`, scaled by `scale`. */
  add(id: number, src: Float32Array, offset: number, scale = 1): void {
    const s = this.findSlot(id);
    const dim = this.dim;
    let row: number;
    if (this.keys[s] === -1) {
      this.keys[s] = id;
      row = this.count++;
      this.slotOf[s] = row;
      this.slotOfRow[row] = s;
      this.ids[row] = id;
      const g = row * dim;
      for (let j = 0; j < dim; j++) this.grads[g + j] = scale * src[offset + j];
      return;
    }
    row = this.slotOf[s];
    const g = row * dim;
    for (let j = 0; j < dim; j++) this.grads[g + j] += scale * src[offset + j];
  }
}
