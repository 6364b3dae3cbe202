import * as tf from '@tensorflow/tfjs-core';
import { isCapturingGraph } from '../graph-capture';
import { Rng } from '../random';
import { init, Module } from './module';

/**
 * Which recurrence a {@link GRU} runs:
 * - 'gru': plain gated recurrent unit;
 * - 'augru': GRU with attentional update gate (DIEN): the update gate is scaled by the step's attention score;
 * - 'agru': attention-based GRU (DIEN): the attention score replaces the update gate (no update-gate weights).
 */
export type GruMode = 'gru' | 'augru' | 'agru';

/** What {@link GRU.apply} returns. */
export interface GruOutput {
  /** Hidden state after every step [B, L, H] (padded steps repeat the previous state); null unless requested. */
  sequence: tf.Tensor3D | null;
  /** State after each row's last real step [B, H] (zeros for an empty row). */
  last: tf.Tensor2D;
}

/**
 * Gated recurrent unit (Cho et al., 2014) unrolled over a padded sequence with tfjs ops, in the variant whose
 * reset gate acts on the projected state (as cuDNN / PyTorch), so the gate weights fuse into [D, G·H] / [H, G·H]:
 *   [u_t | r_t | n_x] = x_t W + b,   [u_h | r_h | n_h] = h_{t-1} U + c
 *   u = σ(u_t + u_h),  r = σ(r_t + r_h),  ñ = tanh(n_x + r ⊙ n_h)
 *   h_t = h_{t-1} + g_t ⊙ (ñ - h_{t-1}),   g_t = m_t · u               ('gru')
 *                                           g_t = m_t · a_t · u         ('augru')
 *                                           g_t = m_t · a_t             ('agru')
 * i.e. h_t = (1 - g_t) h_{t-1} + g_t ñ, the DIEN paper's convention for the update gate. Folding the mask m_t into
 * the gate makes a padded step return h_{t-1} bit for bit, so padding never reaches the state and the final state
 * is the state at each row's true last step, wherever the padding sits.
 * The input projection of all L steps is one [B·L, D] x [D, G·H] matMul before the loop. Inside the loop the
 * recurrent weight is applied per gate block ([B, H] x [H, H] each): on wasm a matMul is cheaper than the split
 * (a copy of the whole product per output) that a single [H, G·H] product would need (G = 3, or 2 for 'agru').
 */
export class GRU extends Module {
  readonly kernel: tf.Variable;
  readonly recurrentKernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly recurrentBias: tf.Variable;
  /** Number of gate blocks in the fused weights: [u | r | n], or [r | n] for 'agru'. */
  readonly gates: number;

  constructor(
    readonly inputDim: number,
    readonly hiddenDim: number,
    rng: Rng,
    readonly mode: GruMode = 'gru',
  ) {
    super();
    for (const [name, v] of [['inputDim', inputDim], ['hiddenDim', hiddenDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`GRU: ${name} must be a positive integer (got ${v})`);
    }
    if (!['gru', 'augru', 'agru'].includes(mode)) throw new Error(`GRU: mode must be 'gru', 'augru' or 'agru' (got '${mode as string}')`);
    const H = hiddenDim;
    this.gates = mode === 'agru' ? 2 : 3;
    const G = this.gates;
    // glorot per gate block, so the scale does not depend on how many blocks are fused side by side
    this.kernel = this.addParam('kernel', [inputDim, G * H], init.glorotUniform(rng, [inputDim, G * H], inputDim, H));
    this.recurrentKernel = this.addParam('recurrent_kernel', [H, G * H], init.glorotUniform(rng, [H, G * H], H, H));
    this.bias = this.addParam('bias', [G * H], init.constant([G * H], 0), { regularize: false });
    this.recurrentBias = this.addParam('recurrent_bias', [G * H], init.constant([G * H], 0), { regularize: false });
  }

  /**
   * Run over `x` [B, L, D] with `mask` [B, L] (1 = real step). 'augru' and 'agru' need `attention` [B, L]
   * (scores in [0, 1], e.g. a masked softmax). `returnSequence` also returns every step's state.
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D, opts: { attention?: tf.Tensor2D; returnSequence?: boolean } = {}): GruOutput {
    const [B, L, D] = x.shape;
    if (D !== this.inputDim) throw new Error(`GRU: input width ${D}, layer was built for ${this.inputDim}`);
    if (mask.shape[0] !== B || mask.shape[1] !== L) throw new Error(`GRU: mask shape [${mask.shape}] does not match input [${B}, ${L}]`);
    if (this.mode !== 'gru' && !opts.attention) throw new Error(`GRU: mode '${this.mode}' needs attention scores [B, L]`);
    const H = this.hiddenDim;
    const G = this.gates;
    const out = tf.tidy(() => {
      if (L === 0) {
        const zeros = tf.zeros([B, H]) as tf.Tensor2D;
        return opts.returnSequence ? { last: zeros, sequence: tf.zeros([B, 0, H]) as tf.Tensor3D } : { last: zeros };
      }
      // tanh(z) = 2σ(2z) - 1: the candidate block is pre-scaled by 2 so the loop runs a sigmoid, which is about ten
      // times cheaper than tanh on wasm (vectorised by XNNPACK vs a scalar loop)
      const twice = this.candidateScale();
      const xg = tf.mul(tf.fused.matMul({ a: x.reshape([B * L, D]) as tf.Tensor2D, b: this.kernel as tf.Tensor2D, bias: this.bias }), twice);
      // gate-major, then time-major [G, L, B, H]: each step of each gate is one contiguous block (see recurrence)
      const xgT = xg.reshape([B, L, G, H]).transpose([2, 1, 0, 3]) as tf.Tensor4D;
      const scale = (this.mode === 'gru' ? mask : tf.mul(mask, opts.attention!)).transpose() as tf.Tensor2D;
      const states = this.recurrence(xgT, scale, tf.mul(this.recurrentKernel, twice) as tf.Tensor2D, tf.mul(this.recurrentBias, twice) as tf.Tensor1D);
      const last = states.slice([L - 1, 0, 0], [1, B, H]).reshape([B, H]) as tf.Tensor2D;
      if (!opts.returnSequence) return { last };
      return { last, sequence: states.transpose([1, 0, 2]) as tf.Tensor3D };
    }) as { last: tf.Tensor2D; sequence?: tf.Tensor3D };
    return { last: out.last, sequence: out.sequence ?? null };
  }

  /** [1, ..., 1, 2, ..., 2]: doubles the candidate block of the fused gate weights. */
  private candidateScale(): tf.Tensor1D {
    const H = this.hiddenDim;
    const v = new Float32Array(this.gates * H).fill(1);
    v.fill(2, (this.gates - 1) * H);
    return tf.tensor1d(v);
  }

  /**
   * The recurrence as one custom-gradient op over time-major inputs: gate pre-activations xg [G, L, B, H] (candidate
   * block doubled), gate scales [L, B] and the (candidate-doubled) recurrent weights; returns the states [L, B, H].
   * On wasm every op has a fixed cost and slicing (slice, unstack, split) copies the whole input tensor to JS for
   * every output, i.e. O(L²) per sequence; so per-step inputs are cut from one host copy (see {@link stepReader}),
   * and the hand-written backpropagation through time keeps only what truly recurs inside the loop. With dh_t the
   * total gradient reaching h_t, Q = g (1 - ñ²) / 2 and pre-activations z:
   *   dL/dz_u = dh_t ⊙ (ñ - h_{t-1}) s σ'(z_u),  dL/dz_r = dh_t ⊙ Q n_h σ'(z_r),  dL/dn_h = dh_t ⊙ Q r,  dL/dx_n = dh_t ⊙ Q
   *   dh_{t-1} = dh_t ⊙ (1 - g) + [dz_u | dz_r | dn_h] Uᵀ = (dh_t ⊙ [K_u | K_r | K_n | 1 - g]) [U_uᵀ; U_rᵀ; U_nᵀ; I]
   * The K factors depend only on forward values and are computed for all steps at once, so each backward step is
   * five small ops (two step reads, add, broadcast multiply, matMul); weight gradients are single matMuls afterwards.
   */
  private readonly recurrence = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xg, scale, U, c, save] = args as [tf.Tensor4D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [L, B] = scale.shape;
    const H = this.hiddenDim;
    const G = this.gates;
    const xAll = stepReader(xg, G * L);
    const sAll = stepReader(scale, L);
    const xs = Array.from({ length: G }, (_, i) => (t: number) => xAll(i * L + t, [B, H]));
    const us = tf.split(U, G, 1) as tf.Tensor2D[];
    const cs = tf.split(c, G) as tf.Tensor1D[];
    let h: tf.Tensor2D = tf.zeros([B, H]);
    const hs: tf.Tensor2D[] = [];
    const rec: Record<'u' | 'r' | 'n' | 'hn' | 'diff' | 'g', tf.Tensor2D[]> = { u: [], r: [], n: [], hn: [], diff: [], g: [] };
    for (let t = 0; t < L; t++) {
      const st = sAll(t, [B, 1]);
      const pre = (i: number) => tf.add(xs[i](t), tf.fused.matMul({ a: h, b: us[i], bias: cs[i] }));
      const u = G === 3 ? (tf.sigmoid(pre(0)) as tf.Tensor2D) : null;
      const r = tf.sigmoid(pre(G - 2)) as tf.Tensor2D;
      const hn = tf.fused.matMul({ a: h, b: us[G - 1], bias: cs[G - 1] }) as tf.Tensor2D;
      const n = tf.sub(tf.mul(tf.sigmoid(tf.add(xs[G - 1](t), tf.mul(r, hn))), 2), 1) as tf.Tensor2D;
      const g: tf.Tensor2D = u ? (tf.mul(u, st) as tf.Tensor2D) : st;
      const diff = tf.sub(n, h) as tf.Tensor2D;
      h = tf.add(h, tf.mul(g, diff)) as tf.Tensor2D;
      hs.push(h);
      if (u) rec.u.push(u);
      rec.r.push(r);
      rec.n.push(n);
      rec.hn.push(hn);
      rec.diff.push(diff);
      rec.g.push(g);
    }
    // time-major stacks: packing along the first axis is a plain copy, along the last a slow JS loop on wasm
    const stk = (list: tf.Tensor2D[]) => tf.stack(list, 0) as tf.Tensor3D;
    const value = stk(hs);
    // a handful of [L, B, ·] stacks cost far fewer ops than saving every per-step tensor
    save([value, G === 3 ? stk(rec.u) : value, stk(rec.r), stk(rec.n), stk(rec.hn), stk(rec.diff), stk(rec.g), scale, U]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [hAll, uAll, rAll, nAll, hnAll, diffAll, gAll, sSaved, Uw] = saved as [
        tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D,
      ];
      const sigmoidGrad = (v: tf.Tensor) => tf.mul(v, tf.sub(1, v));
      const q = tf.mul(tf.mul(gAll, tf.sub(1, tf.square(nAll))), 0.5);
      const kr = tf.mul(tf.mul(q, hnAll), sigmoidGrad(rAll));
      const kn = tf.mul(q, rAll);
      const ku = G === 3 ? tf.mul(tf.mul(diffAll, sSaved.reshape([L, B, 1])), sigmoidGrad(uAll)) : null;
      // 1 - g broadcast to [L, B, H] ('agru' gates are one scale per row)
      const keep = G === 3 ? tf.sub(1, gAll) : tf.add(tf.zerosLike(nAll), tf.sub(1, gAll));
      const kp = stepReader(tf.stack(ku ? [ku, kr, kn, keep] : [kr, kn, keep], 2), L);
      const up = tf.concat([...(tf.split(Uw, G, 1) as tf.Tensor2D[]).map((m) => m.transpose()), tf.eye(H)], 0) as tf.Tensor2D;
      const dys = stepReader(dy, L);
      const dhts: tf.Tensor2D[] = new Array(L);
      let dh: tf.Tensor2D | null = null;
      for (let t = L - 1; t >= 0; t--) {
        const dyt = dys(t, [B, H]);
        const dht: tf.Tensor2D = dh ? (tf.add(dh, dyt) as tf.Tensor2D) : dyt;
        dhts[t] = dht;
        // h_0 is a constant, so the chain stops at t = 0
        if (t > 0) dh = tf.matMul(tf.mul(dht.reshape([B, 1, H]), kp(t, [B, G + 1, H])).reshape([B, (G + 1) * H]) as tf.Tensor2D, up) as tf.Tensor2D;
      }
      const dht = stk(dhts);
      const dz = [...(ku ? [tf.mul(dht, ku)] : []), tf.mul(dht, kr)];
      const dx = tf.stack([...dz, tf.mul(dht, q)], 0);
      // weight gradients: sum over steps and rows of h_{t-1} ⊗ [dz_u | dz_r | dn_h], as one [H, L·B] x [L·B, G·H] matMul
      const hPrev = L > 1 ? tf.concat([tf.zeros([1, B, H]), hAll.slice([0, 0, 0], [L - 1, B, H])], 0) : tf.zeros([1, B, H]);
      const hPrev2 = hPrev.reshape([L * B, H]) as tf.Tensor2D;
      const dHG = tf.stack([...dz, tf.mul(dht, kn)], 2).reshape([L * B, G * H]) as tf.Tensor2D;
      const dU = tf.matMul(hPrev2, dHG, true, false);
      const dc = tf.sum(dHG, 0);
      const dg = tf.mul(dht, diffAll);
      let dScale: tf.Tensor;
      if (this.mode === 'augru') dScale = tf.sum(tf.mul(dg, uAll), 2);
      else if (this.mode === 'agru') dScale = tf.sum(dg, 2);
      else dScale = tf.zeros([L, B]);
      return [dx, dScale, dU, dc];
    };
    return { value, gradFunc };
  }) as unknown as (xg: tf.Tensor4D, scale: tf.Tensor2D, U: tf.Tensor2D, c: tf.Tensor1D) => tf.Tensor3D;
}

/**
 * Step reader of a tensor whose leading axis holds `steps` contiguous blocks: one host copy of the data, then each
 * block becomes a tensor from a subarray. That moves O(size) floats, where tfjs-wasm's slice / unstack copy the
 * whole input for every output (O(steps x size)). Only used inside the custom op, where no gradient flows through it.
 */
function stepReader(m: tf.Tensor, steps: number): (t: number, shape: number[]) => tf.Tensor2D {
  if (isCapturingGraph()) {
    // the same blocks as tensor ops, so a recorded graph (ONNX export) computes them from its inputs
    const flat = m.reshape([steps, -1]);
    return (t, shape) => flat.slice([t, 0], [1, -1]).reshape(shape) as tf.Tensor2D;
  }
  const data = m.dataSync() as Float32Array;
  const n = data.length / steps;
  return (t, shape) => tf.tensor<tf.Rank>(data.subarray(t * n, (t + 1) * n), shape, 'float32') as tf.Tensor2D;
}
