import { Rng } from '../random';
import { applySparseUpdate, initialSlotValue, SparseOptimizerConfig } from './sparse-optimizer';
import { CatchUpAdam, catchUpAdamUpdate, catchUpRow, catchUpSettings, isCatchUpAdam, stepSlot, stepView, tableStride } from './adam-catch-up';

/** How new rows are filled. */
export interface RowInitializer {
  type: 'normal' | 'uniform' | 'zeros';
  std?: number;
  scale?: number;
}

/** Serializable description of a table. */
export interface SparseTableSpec {
  name: string;
  rows: number;
  dim: number;
  initializer: RowInitializer;
  seed: number;
}

/**
 * One embedding table held in host memory as a Float32Array of `rows x stride` floats (weights followed by the
 * optimizer's per-row state). Rows are initialised lazily on first touch from a generator seeded by
 * (table seed, row id): untouched rows cost no resident memory (the zeroed buffer is never written) and the
 * values do not depend on the order in which rows are first seen. Row 0 is padding: always zero, never trained.
 */
export class SparseTable {
  private storage: Float32Array | null = null;
  /** 1 where the row has been initialised. */
  initialized: Uint8Array;
  /** Optimizer steps applied so far (drives Adam's bias correction). */
  step = 0;
  stride: number;
  private optimizer: SparseOptimizerConfig;
  /** Settings of dense-equivalent (catch-up) Adam, null for the other optimizers. */
  private catchUp: CatchUpAdam | null;

  constructor(readonly spec: SparseTableSpec, optimizer: SparseOptimizerConfig = { kind: 'sgd', lr: 0 }) {
    if (!Number.isInteger(spec.rows) || spec.rows < 1) throw new Error(`table '${spec.name}': rows must be a positive integer (got ${spec.rows})`);
    this.optimizer = optimizer;
    this.catchUp = isCatchUpAdam(optimizer) ? catchUpSettings(optimizer) : null;
    this.stride = tableStride(optimizer, spec.dim);
    this.initialized = new Uint8Array(spec.rows);
    this.initialized[0] = 1;
  }

  /**
   * Row storage, allocated on first use: compile() usually switches the optimizer (and so the row layout) right
   * after construction, and allocating a 1e6-row table twice would be wasted work.
   */
  get data(): Float32Array {
    if (!this.storage) this.storage = new Float32Array(this.spec.rows * this.stride);
    return this.storage;
  }
  set data(values: Float32Array) {
    this.storage = values;
  }

  get name(): string {
    return this.spec.name;
  }
  get rows(): number {
    return this.spec.rows;
  }
  get dim(): number {
    return this.spec.dim;
  }
  get optimizerConfig(): SparseOptimizerConfig {
    return this.optimizer;
  }

  /** Switch optimizer; weights are kept, optimizer state restarts when the layout changes. */
  setOptimizer(config: SparseOptimizerConfig): void {
    // pending momentum moves belong to the old settings
    if (this.storage) this.syncAll();
    const newStride = tableStride(config, this.dim);
    if (!this.storage) {
      this.stride = newStride;
      this.step = 0;
    } else if (newStride !== this.stride || config.kind !== this.optimizer.kind) {
      const old = this.storage;
      const oldStride = this.stride;
      const data = (this.storage = new Float32Array(this.rows * newStride));
      const slot = initialSlotValue(config);
      for (let r = 0; r < this.rows; r++) {
        if (!this.initialized[r]) continue;
        const o = r * oldStride;
        const n = r * newStride;
        for (let j = 0; j < this.dim; j++) data[n + j] = old[o + j];
        if (r !== 0 && slot !== 0) for (let j = this.dim; j < newStride; j++) data[n + j] = slot;
        // catch-up Adam: the step slot restarts at 0 with the table's step (int32 0 has the bit pattern of 0.0)
      }
      this.stride = newStride;
      this.step = 0;
    }
    this.optimizer = config;
    this.catchUp = isCatchUpAdam(config) ? catchUpSettings(config) : null;
  }

  private initRow(id: number): void {
    const { initializer, dim, seed } = { ...this.spec, seed: this.spec.seed };
    const base = id * this.stride;
    const data = this.data;
    if (initializer.type !== 'zeros') {
      const rng = new Rng((seed ^ Math.imul(id, 0x9e3779b1)) >>> 0);
      if (initializer.type === 'normal') {
        const std = initializer.std ?? 0.01;
        for (let j = 0; j < dim; j++) data[base + j] = std * rng.normal();
      } else {
        const scale = initializer.scale ?? 0.05;
        for (let j = 0; j < dim; j++) data[base + j] = rng.uniform(-scale, scale);
      }
    }
    const slot = initialSlotValue(this.optimizer);
    if (slot !== 0) for (let j = dim; j < this.stride; j++) data[base + j] = slot;
    // a new row has no momentum: it is up to date with the current step
    if (this.catchUp) stepView(data)[base + stepSlot(dim)] = this.step;
    this.initialized[id] = 1;
  }

  /** Set the weights of rows 1..rows-1 from `values` ((rows - 1) x dim floats); row 0 stays the zero padding row. */
  setWeights(values: Float32Array): void {
    if (values.length !== (this.rows - 1) * this.dim) throw new Error(`table '${this.name}': setWeights needs ${(this.rows - 1) * this.dim} floats, got ${values.length}`);
    const data = this.data;
    const slot = initialSlotValue(this.optimizer);
    for (let r = 1; r < this.rows; r++) {
      const base = r * this.stride;
      for (let j = 0; j < this.dim; j++) data[base + j] = values[(r - 1) * this.dim + j];
      if (!this.initialized[r]) for (let j = this.dim; j < this.stride; j++) data[base + j] = slot;
      this.initialized[r] = 1;
    }
  }


  /** Make row `id` readable: initialise it if new, apply the momentum moves it missed under catch-up Adam. */
  private current(id: number): void {
    if (!this.initialized[id]) this.initRow(id);
    else if (this.catchUp && id !== 0) {
      const data = this.data;
      catchUpRow(this.catchUp, data, stepView(data), this.dim, this.stride, id, this.step);
    }
  }

  /**
   * Bring every initialised row up to date with the current step (catch-up Adam; a no-op otherwise), e.g. before
   * reading `data` directly. Rows read through `addRowTo`, `copyRowTo` or `row` are always up to date.
   */
  syncAll(): void {
    const cfg = this.catchUp;
    if (!cfg || !this.storage) return;
    const data = this.storage;
    const steps = stepView(data);
    for (let r = 1; r < this.rows; r++) if (this.initialized[r]) catchUpRow(cfg, data, steps, this.dim, this.stride, r, this.step);
  }

  /** Add row `id` (initialising it if new) into `out` at `offset`. */
  addRowTo(id: number, out: Float32Array, offset: number): void {
    this.current(id);
    const base = id * this.stride;
    const data = this.data;
    for (let j = 0; j < this.dim; j++) out[offset + j] += data[base + j];
  }

  /** Copy row `id`'s weights into `out` at `offset`. */
  copyRowTo(id: number, out: Float32Array, offset: number): void {
    this.current(id);
    const base = id * this.stride;
    const data = this.data;
    for (let j = 0; j < this.dim; j++) out[offset + j] = data[base + j];
  }

  /** Weights of one row (a copy). */
  row(id: number): Float32Array {
    const out = new Float32Array(this.dim);
    this.copyRowTo(id, out, 0);
    return out;
  }

  /** One optimizer step on `count` unique rows with summed gradients. Row 0 must not be among `ids`. */
  applyGradients(ids: Int32Array, grads: Float32Array, count: number, l2: number, l1 = 0): void {
    this.step++;
    if (this.catchUp) catchUpAdamUpdate(this.catchUp, this.data, this.dim, this.stride, ids, grads, count, this.step, l2);
    else applySparseUpdate(this.optimizer, this.data, this.dim, ids, grads, count, this.step, l2, l1);
  }

  /** Change the learning rate of the current optimizer (schedules); the row layout and state are kept. */
  setLearningRate(lr: number): void {
    this.optimizer = { ...this.optimizer, lr };
    // catch-up Adam replays a row's missed steps at the rate current when the row is next read
    if (this.catchUp) this.catchUp = { ...this.catchUp, lr };
  }

  /** Number of initialised rows (excluding padding). */
  touchedRows(): number {
    let n = 0;
    for (let r = 1; r < this.rows; r++) n += this.initialized[r];
    return n;
  }
}
