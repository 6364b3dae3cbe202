/**
 * Dense-Adam-equivalent updates for row-sparse tables ("catch-up" Adam).
 *
 * Dense Adam (PyTorch `torch.optim.Adam` on an `nn.Embedding`, tfjs Adam on a variable) keeps moving a row in
 * every step, also in steps where its id is absent: its gradient is then 0, its moments decay
 * (m <- b1 m, v <- b2 v) and the weight still moves by lr * m_hat / (sqrt(v_hat) + eps). A row seen once thus
 * travels roughly 1 / (1 - b1 / sqrt(b2)) ~ 10 times further than under lazy Adam (PyTorch `SparseAdam`,
 * TensorFlow `LazyAdam`), which moves a row only in the steps where it occurs. Those zero-gradient steps depend
 * on nothing but the row's own state and the step numbers, so they can be replayed when the row is next needed:
 * each row remembers the step it is up to date with, and on its next read (lookup) or update the missed steps
 * are applied in one go. The result is dense Adam, step for step, at the cost of touched rows only.
 *
 * Row layout: [w | m | v | s] where s (one slot) holds the last step as an int32 bit pattern in the float array
 * (exact for any step count, saved and restored with the table's bytes).
 */

import { rowStride, SparseOptimizerConfig } from './sparse-optimizer';

/** Replaying missed steps stops once b1^j / b2^(j/2) (the size of the j-th missed move) is below this. */
const NEGLIGIBLE = 1e-10;

let buffer = new Float64Array(512);
function scratch(n: number): Float64Array {
  if (buffer.length < n) buffer = new Float64Array(2 * n);
  return buffer;
}

/** Hyper-parameters the catch-up needs. */
export interface CatchUpAdam {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Whether a sparse optimizer config asks for dense-equivalent (catch-up) Adam. */
export function isCatchUpAdam(config: SparseOptimizerConfig): boolean {
  return config.kind === 'adam' && config.lazy === false;
}

/** Adam settings of a catch-up config with tfjs' defaults filled in. */
export function catchUpSettings(config: SparseOptimizerConfig): CatchUpAdam {
  return { lr: config.lr, beta1: config.beta1 ?? 0.9, beta2: config.beta2 ?? 0.999, epsilon: config.epsilon ?? 1e-7 };
}

/** Floats per row of a table under `config`: the optimizer's layout plus the step slot for catch-up Adam. */
export function tableStride(config: SparseOptimizerConfig, dim: number): number {
  return rowStride(config.kind, dim) + (isCatchUpAdam(config) ? 1 : 0);
}

/** Offset of the step slot inside a row of width `dim`. */
export function stepSlot(dim: number): number {
  return 3 * dim;
}

/** Int32 view of a table's storage, to read and write step slots. */
export function stepView(data: Float32Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length);
}

/** Missed steps replayed at most: beyond, each move is < NEGLIGIBLE x lr x |m / sqrt(v)|. */
function replayLimit(b1: number, b2: number): number {
  const r = b1 / Math.sqrt(b2);
  return r <= 0 ? 1 : r >= 1 ? Number.MAX_SAFE_INTEGER : Math.ceil(Math.log(NEGLIGIBLE) / Math.log(r));
}

/**
 * Bring row `id` from the step it is up to date with to step `now` by applying the zero-gradient Adam steps in
 * between (weights keep moving on their decaying momentum). A no-op for rows already at `now`.
 */
export function catchUpRow(cfg: CatchUpAdam, data: Float32Array, steps: Int32Array, dim: number, stride: number, id: number, now: number): void {
  const base = id * stride;
  const last = steps[base + stepSlot(dim)];
  if (last >= now) return;
  steps[base + stepSlot(dim)] = now;
  const missed = now - last;
  const { lr, beta1: b1, beta2: b2, epsilon: eps } = cfg;
  const replay = Math.min(missed, replayLimit(b1, b2));
  // per missed step k (global step t = last + k): m_k / c1(t) = m0 A_k and sqrt(v_k / c2(t)) = sqrt(v0) B_k
  const a = scratch(2 * replay);
  for (let k = 1; k <= replay; k++) {
    const t = last + k;
    a[2 * k - 2] = Math.pow(b1, k) / (1 - Math.pow(b1, t));
    a[2 * k - 1] = Math.pow(b2, k / 2) / Math.sqrt(1 - Math.pow(b2, t));
  }
  const decay1 = Math.pow(b1, missed);
  const decay2 = Math.pow(b2, missed);
  for (let j = 0; j < dim; j++) {
    const m0 = data[base + dim + j];
    const v0 = data[base + 2 * dim + j];
    if (m0 !== 0) {
      const sv = Math.sqrt(v0);
      let w = data[base + j];
      for (let k = 0; k < 2 * replay; k += 2) w -= (lr * m0 * a[k]) / (sv * a[k + 1] + eps);
      data[base + j] = w;
    }
    data[base + dim + j] = m0 * decay1;
    data[base + 2 * dim + j] = v0 * decay2;
  }
}

/**
 * One dense-equivalent Adam step on `count` unique rows with summed gradients: each row first catches up to the
 * previous step, then takes the ordinary Adam step `step` and is marked up to date with it.
 */
export function catchUpAdamUpdate(
  cfg: CatchUpAdam,
  data: Float32Array,
  dim: number,
  stride: number,
  ids: Int32Array,
  grads: Float32Array,
  count: number,
  step: number,
  l2: number,
): void {
  const steps = stepView(data);
  const { lr, beta1: b1, beta2: b2, epsilon: eps } = cfg;
  const c1 = 1 - Math.pow(b1, step);
  const c2 = 1 - Math.pow(b2, step);
  for (let r = 0; r < count; r++) {
    const id = ids[r];
    catchUpRow(cfg, data, steps, dim, stride, id, step - 1);
    const base = id * stride;
    const g0 = r * dim;
    for (let j = 0; j < dim; j++) {
      const w = data[base + j];
      const g = grads[g0 + j] + l2 * w;
      const m = (data[base + dim + j] = b1 * data[base + dim + j] + (1 - b1) * g);
      const v = (data[base + 2 * dim + j] = b2 * data[base + 2 * dim + j] + (1 - b2) * g * g);
      data[base + j] = w - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
    }
    steps[base + stepSlot(dim)] = step;
  }
}
