/**
 * Row-sparse ("lazy") optimizers for host embedding tables. Only rows touched in a step are updated, so the
 * cost of a step is O(touched rows x dim) whatever the vocabulary size. Each row keeps its optimizer state
 * interleaved after its weights ([w | m | v] for Adam, [w | acc] for Adagrad), which keeps one row's update
 * inside one or two cache lines.
 */
export type SparseOptimizerKind = 'adam' | 'adagrad' | 'sgd';

/** Hyper-parameters of a sparse optimizer; defaults mirror tfjs' dense optimizers so both halves of a model agree. */
export interface SparseOptimizerConfig {
  kind: SparseOptimizerKind;
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Adagrad's starting accumulator (tfjs default 0.1). */
  initialAccumulator?: number;
  /**
   * Adam only. true or absent: lazy Adam, a row moves only in steps where its id occurs (PyTorch SparseAdam).
   * false: dense-equivalent Adam, rows keep moving on their momentum in between, replayed when next read
   * (see adam-catch-up.ts); what `compile({ optimizer: 'adam' })` uses.
   */
  lazy?: boolean;
}

/** Floats stored per row for a table of width `dim`. */
export function rowStride(kind: SparseOptimizerKind, dim: number): number {
  return kind === 'adam' ? 3 * dim : kind === 'adagrad' ? 2 * dim : dim;
}

/** Value that optimizer slots of a new row start from (weights are set by the initialiser). */
export function initialSlotValue(config: SparseOptimizerConfig): number {
  return config.kind === 'adagrad' ? config.initialAccumulator ?? 0.1 : 0;
}

/**
 * Apply one optimizer step to `count` unique rows.
 * @param data the table storage (rows x stride floats)
 * @param ids unique row ids (first `count` entries used)
 * @param grads summed gradients, `count x dim`
 * @param step 1-based step number of this table (Adam bias correction)
 * @param l2 L2 penalty added to the gradient of each touched row
 */
export function applySparseUpdate(
  config: SparseOptimizerConfig,
  data: Float32Array,
  dim: number,
  ids: Int32Array,
  grads: Float32Array,
  count: number,
  step: number,
  l2: number,
): void {
  const stride = rowStride(config.kind, dim);
  const lr = config.lr;
  if (config.kind === 'adam') {
    const b1 = config.beta1 ?? 0.9;
    const b2 = config.beta2 ?? 0.999;
    const eps = config.epsilon ?? 1e-7;
    const c1 = 1 - Math.pow(b1, step);
    const c2 = 1 - Math.pow(b2, step);
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = grads[g0 + j] + l2 * w;
        const m = (data[base + dim + j] = b1 * data[base + dim + j] + (1 - b1) * g);
        const v = (data[base + 2 * dim + j] = b2 * data[base + 2 * dim + j] + (1 - b2) * g * g);
        data[base + j] = w - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
      }
    }
  } else if (config.kind === 'adagrad') {
    const eps = config.epsilon ?? 1e-7;
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = grads[g0 + j] + l2 * w;
        const acc = (data[base + dim + j] += g * g);
        data[base + j] = w - (lr * g) / Math.sqrt(acc + eps);
      }
    }
  } else {
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        data[base + j] = w - lr * (grads[g0 + j] + l2 * w);
      }
    }
  }
}
