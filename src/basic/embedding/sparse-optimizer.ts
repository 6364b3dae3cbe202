/**
 * Row-sparse ("lazy") optimizers for host embedding tables. Only rows touched in a step are updated, so the
 * cost of a step is O(touched rows x dim) whatever the vocabulary size. Each row keeps its optimizer state
 * interleaved after its weights, which keeps one row's update inside one or two cache lines:
 *
 * | kind     | row layout      | update of a touched row (g: summed gradient + L2 x w + L1 x sign(w))       |
 * |----------|-----------------|----------------------------------------------------------------------------|
 * | sgd      | [w]             | w -= lr g                                                                   |
 * | momentum | [w, acc]        | acc = mu acc + g; w -= lr acc (nesterov: w -= lr (g + mu acc))              |
 * | adagrad  | [w, acc]        | acc += g^2; w -= lr g / sqrt(acc + eps)                                     |
 * | rmsprop  | [w, ms, mom]    | ms = rho ms + (1-rho) g^2; mom = mu mom + lr g / sqrt(ms + eps); w -= mom   |
 * | adam     | [w, m, v]       | bias-corrected Adam                                                         |
 * | adamw    | [w, m, v]       | w -= lr wd w (decoupled decay), then Adam without L2 in g                   |
 * | ftrl     | [w, z, n]       | FTRL-Proximal (McMahan et al. 2013); L1 and L2 enter the closed-form w      |
 *
 * Being lazy, momentum-style state of a row only advances in steps where the row occurs, and adamw decays a row
 * only when it is touched (an untouched row keeps its weights). This matches how sparse embedding optimizers
 * behave in PyTorch (SparseAdam) and TensorFlow (lazy Adam) and keeps a step's cost independent of the vocabulary.
 */
export type SparseOptimizerKind = 'adam' | 'adagrad' | 'sgd' | 'momentum' | 'rmsprop' | 'adamw' | 'ftrl';

/** Hyper-parameters of a sparse optimizer; defaults mirror the dense optimizers so both halves of a model agree. */
export interface SparseOptimizerConfig {
  kind: SparseOptimizerKind;
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Adagrad's starting accumulator (tfjs default 0.1). */
  initialAccumulator?: number;
  /** Momentum coefficient (momentum, rmsprop). */
  momentum?: number;
  /** 1 for Nesterov momentum (momentum). */
  nesterov?: number;
  /** Decay of the mean square (rmsprop, default 0.9). */
  decay?: number;
  /** Decoupled weight decay (adamw, default 0.01). */
  weightDecay?: number;
  /** FTRL's beta in the per-coordinate rate alpha / (beta + sqrt(n)) (default 1). */
  beta?: number;
  /**
   * Adam only. true or absent: lazy Adam, a row moves only in steps where its id occurs (PyTorch SparseAdam).
   * false: dense-equivalent Adam, rows keep moving on their momentum in between, replayed when next read
   * (see adam-catch-up.ts); what `compile({ optimizer: 'adam' })` uses.
   */
  lazy?: boolean;
}

const SLOTS: Record<SparseOptimizerKind, number> = { sgd: 0, momentum: 1, adagrad: 1, rmsprop: 2, adam: 2, adamw: 2, ftrl: 2 };

/** Every kind a sparse table understands. */
export const SPARSE_OPTIMIZER_KINDS = Object.keys(SLOTS) as SparseOptimizerKind[];

/** Floats stored per row for a table of width `dim`. */
export function rowStride(kind: SparseOptimizerKind, dim: number): number {
  const slots = SLOTS[kind];
  if (slots === undefined) throw new Error(`unknown sparse optimizer kind '${kind}' (known: ${SPARSE_OPTIMIZER_KINDS.join(', ')})`);
  return (1 + slots) * dim;
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
 * @param l2 L2 penalty: added to the gradient (`l2 * w`), or FTRL's proximal lambda2
 * @param l1 L1 penalty: its subgradient `l1 * sign(w)` is added to the gradient, or FTRL's proximal lambda1
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
  l1 = 0,
): void {
  const stride = rowStride(config.kind, dim);
  const lr = config.lr;
  const kind = config.kind;
  if (kind === 'ftrl') {
    applyFtrl(config, data, dim, stride, ids, grads, count, l1, l2);
    return;
  }
  // gradient of the loss plus the penalties the non-proximal optimizers take as part of the gradient
  const penalised = (w: number, g: number) => g + l2 * w + (l1 !== 0 && w !== 0 ? (w > 0 ? l1 : -l1) : 0);
  if (kind === 'adam' || kind === 'adamw') {
    const b1 = config.beta1 ?? 0.9;
    const b2 = config.beta2 ?? 0.999;
    const eps = config.epsilon ?? 1e-7;
    const c1 = 1 - Math.pow(b1, step);
    const c2 = 1 - Math.pow(b2, step);
    const keep = kind === 'adamw' ? 1 - lr * (config.weightDecay ?? 0.01) : 1;
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = penalised(w, grads[g0 + j]);
        const m = (data[base + dim + j] = b1 * data[base + dim + j] + (1 - b1) * g);
        const v = (data[base + 2 * dim + j] = b2 * data[base + 2 * dim + j] + (1 - b2) * g * g);
        data[base + j] = w * keep - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
      }
    }
  } else if (kind === 'adagrad') {
    const eps = config.epsilon ?? 1e-7;
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = penalised(w, grads[g0 + j]);
        const acc = (data[base + dim + j] += g * g);
        data[base + j] = w - (lr * g) / Math.sqrt(acc + eps);
      }
    }
  } else if (kind === 'momentum') {
    const mu = config.momentum ?? 0.9;
    const nesterov = !!config.nesterov;
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = penalised(w, grads[g0 + j]);
        const acc = (data[base + dim + j] = mu * data[base + dim + j] + g);
        data[base + j] = w - lr * (nesterov ? g + mu * acc : acc);
      }
    }
  } else if (kind === 'rmsprop') {
    const rho = config.decay ?? 0.9;
    const mu = config.momentum ?? 0;
    const eps = config.epsilon ?? 1e-7;
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        const g = penalised(w, grads[g0 + j]);
        const ms = (data[base + dim + j] = rho * data[base + dim + j] + (1 - rho) * g * g);
        const mom = (data[base + 2 * dim + j] = mu * data[base + 2 * dim + j] + (lr * g) / Math.sqrt(ms + eps));
        data[base + j] = w - mom;
      }
    }
  } else {
    for (let r = 0; r < count; r++) {
      const base = ids[r] * stride;
      const g0 = r * dim;
      for (let j = 0; j < dim; j++) {
        const w = data[base + j];
        data[base + j] = w - lr * penalised(w, grads[g0 + j]);
      }
    }
  }
}

/**
 * FTRL-Proximal per coordinate, with alpha = lr:
 *   sigma = (sqrt(n + g^2) - sqrt(n)) / alpha;  z += g - sigma w;  n += g^2
 *   w = 0 if |z| <= l1, else -(z - sign(z) l1) / ((beta + sqrt(n)) / alpha + l2)
 * L1 is applied in closed form, so weights become exactly zero (sparse models), unlike a subgradient step.
 */
function applyFtrl(config: SparseOptimizerConfig, data: Float32Array, dim: number, stride: number, ids: Int32Array, grads: Float32Array, count: number, l1: number, l2: number): void {
  const alpha = config.lr;
  const beta = config.beta ?? 1;
  for (let r = 0; r < count; r++) {
    const base = ids[r] * stride;
    const g0 = r * dim;
    for (let j = 0; j < dim; j++) {
      const w = data[base + j];
      const g = grads[g0 + j];
      const n = data[base + 2 * dim + j];
      const nNew = n + g * g;
      const sigma = (Math.sqrt(nNew) - Math.sqrt(n)) / alpha;
      const z = (data[base + dim + j] += g - sigma * w);
      data[base + 2 * dim + j] = nNew;
      data[base + j] = Math.abs(z) <= l1 ? 0 : -(z - Math.sign(z) * l1) / ((beta + Math.sqrt(nNew)) / alpha + l2);
    }
  }
}
