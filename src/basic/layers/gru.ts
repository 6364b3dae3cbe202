import * as tf from '@tensorflow/tfjs';
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
 * reset gate acts on the projected state (as cuDNN / PyTorch), so all recurrent products fuse into one matMul:
 *   [u_t | r_t | n_x] = x_t W + b,   [u_h | r_h | n_h] = h_{t-1} U + c
 *   u = σ(u_t + u_h),  r = σ(r_t + r_h),  ñ = tanh(n_x + r ⊙ n_h)
 *   h_t = h_{t-1} + g_t ⊙ (ñ - h_{t-1}),   g_t = m_t · u               ('gru')
 *                                           g_t = m_t · a_t · u         ('augru')
 *                                           g_t = m_t · a_t             ('agru')
 * i.e. h_t = (1 - g_t) h_{t-1} + g_t ñ, the DIEN paper's convention for the update gate. Folding the mask m_t into
 * the gate makes a padded step return h_{t-1} bit for bit, so padding never reaches the state and the final state
 * is the state at each row's true last step, wherever the padding sits.
 * The input projection of all L steps is one [B·L, D] x [D, G·H] matMul before the loop; each step then costs
 * one [B, H] x [H, G·H] matMul (G = 3 gate blocks, 2 for 'agru').
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
      // time-major, so every per-step slice below is a contiguous block
      const xt = x.transpose([1, 0, 2]).reshape([L * B, D]) as tf.Tensor2D;
      const xg = tf.fused.matMul({ a: xt, b: this.kernel as tf.Tensor2D, bias: this.bias }).reshape([L, B, G * H]) as tf.Tensor3D;
      const scale2d = this.mode === 'gru' ? mask : (tf.mul(mask, opts.attention!) as tf.Tensor2D);
      const scale = scale2d.transpose([1, 0]).reshape([L, B, 1]) as tf.Tensor3D;
      const states = this.recurrence(xg, scale, this.recurrentKernel as tf.Tensor2D, this.recurrentBias as tf.Tensor1D);
      const last = states.slice([L - 1, 0, 0], [1, B, H]).reshape([B, H]) as tf.Tensor2D;
      if (!opts.returnSequence) return { last };
      return { last, sequence: states.transpose([1, 0, 2]) as tf.Tensor3D };
    }) as { last: tf.Tensor2D; sequence?: tf.Tensor3D };
    return { last: out.last, sequence: out.sequence ?? null };
  }

  /**
   * The recurrence over time-major gate inputs xg [L, B, G·H] and gate scales [L, B, 1], returning the states
   * [L, B, H], as one custom-gradient op. On wasm every tfjs op costs tens of microseconds whatever its size, so
   * the op count per step decides the speed. The hand-written backpropagation through time keeps only what truly
   * recurs inside the loop. With dh_t the total gradient reaching h_t:
   *   dL/d[u_pre | r_pre | n_h] = tile(dh_t) ⊙ K_t,  K = [(ñ-h)·s·σ'(u) | Q·n_h·σ'(r) | Q·r],  Q = g (1 - ñ²)
   *   dL/d[x_u | x_r | x_n]     = tile(dh_t) ⊙ Kx_t, Kx = [(ñ-h)·s·σ'(u) | Q·n_h·σ'(r) | Q]
   *   dh_{t-1} = dh_t ⊙ (1 - g_t) + (tile(dh_t) ⊙ K_t) Uᵀ = (tile(dh_t) ⊙ [K_t | 1 - g_t]) [Uᵀ; I]
   * K and Kx depend only on forward values, so they are computed for all steps at once; each step then costs four
   * ops (add, tile, mul, matMul), and the weight and input gradients are single matMuls / products afterwards.
   */
  private readonly recurrence = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xg, scale, U, c, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [L, B] = xg.shape;
    const H = this.hiddenDim;
    const G = this.gates;
    const A = (G - 1) * H; // sigmoid-gate block: [u | r], or [r] for 'agru'
    const [xA, xN] = tf.split(xg, [A, H], 2);
    const xAs = tf.unstack(xA, 0) as tf.Tensor2D[];
    const xNs = tf.unstack(xN, 0) as tf.Tensor2D[];
    const ss = tf.unstack(scale, 0) as tf.Tensor2D[];
    let h: tf.Tensor2D = tf.zeros([B, H]);
    const states: tf.Tensor2D[] = [];
    const gatesT: tf.Tensor2D[] = [];
    const nT: tf.Tensor2D[] = [];
    const hNT: tf.Tensor2D[] = [];
    const diffT: tf.Tensor2D[] = [];
    const gT: tf.Tensor2D[] = [];
    for (let t = 0; t < L; t++) {
      const [hA, hN] = tf.split(tf.fused.matMul({ a: h, b: U, bias: c }), [A, H], 1);
      const gates = tf.sigmoid(tf.add(xAs[t], hA)) as tf.Tensor2D;
      let u: tf.Tensor2D | null = null;
      let r: tf.Tensor2D = gates;
      if (G === 3) [u, r] = tf.split(gates, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const n = tf.tanh(tf.add(xNs[t], tf.mul(r, hN))) as tf.Tensor2D;
      const g: tf.Tensor2D = u ? (tf.mul(u, ss[t]) as tf.Tensor2D) : ss[t];
      const diff = tf.sub(n, h) as tf.Tensor2D;
      h = tf.add(h, tf.mul(g, diff)) as tf.Tensor2D;
      states.push(h);
      gatesT.push(gates);
      nT.push(n);
      hNT.push(hN as tf.Tensor2D);
      diffT.push(diff);
      gT.push(g as tf.Tensor2D);
    }
    const value = tf.stack(states, 0) as tf.Tensor3D;
    // saving a handful of [L, B, ·] stacks costs far fewer ops than saving every per-step tensor
    save([value, tf.stack(gatesT, 0), tf.stack(nT, 0), tf.stack(hNT, 0), tf.stack(diffT, 0), tf.stack(gT, 0), scale, U]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [statesAll, gatesAll, nAll, hNAll, diffAll, gAll, sAll, Uw] = saved as [
        tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D,
      ];
      const dSig = tf.mul(gatesAll, tf.sub(1, gatesAll));
      const q = tf.mul(gAll, tf.sub(1, tf.square(nAll)));
      let k: tf.Tensor;
      let kx: tf.Tensor;
      let u: tf.Tensor | null = null;
      if (G === 3) {
        const [uAll, rAll] = tf.split(gatesAll, 2, 2);
        const [dU_, dR_] = tf.split(dSig, 2, 2);
        u = uAll;
        const ku = tf.mul(tf.mul(diffAll, sAll), dU_);
        const kr = tf.mul(tf.mul(q, hNAll), dR_);
        k = tf.concat([ku, kr, tf.mul(q, rAll)], 2);
        kx = tf.concat([ku, kr, q], 2);
      } else {
        const kr = tf.mul(tf.mul(q, hNAll), dSig);
        k = tf.concat([kr, tf.mul(q, gatesAll)], 2);
        kx = tf.concat([kr, q], 2);
      }
      // 1 - g broadcast to [L, B, H] ('agru' gates are one scale per row)
      const keep = G === 3 ? tf.sub(1, gAll) : tf.add(tf.zerosLike(nAll), tf.sub(1, gAll));
      const kps = tf.unstack(tf.concat([k, keep], 2), 0) as tf.Tensor2D[];
      const up = tf.concat([tf.transpose(Uw), tf.eye(H)], 0) as tf.Tensor2D;
      const dys = tf.unstack(dy, 0) as tf.Tensor2D[];
      const dhts: tf.Tensor2D[] = new Array(L);
      let dh: tf.Tensor2D | null = null;
      for (let t = L - 1; t >= 0; t--) {
        const dht: tf.Tensor2D = dh ? (tf.add(dh, dys[t]) as tf.Tensor2D) : dys[t];
        dhts[t] = dht;
        // h_0 is a constant, so the chain stops at t = 0
        if (t > 0) dh = tf.matMul(tf.mul(tf.tile(dht, [1, G + 1]), kps[t]) as tf.Tensor2D, up) as tf.Tensor2D;
      }
      const dhtAll = tf.stack(dhts, 0) as tf.Tensor3D;
      const tiled = tf.tile(dhtAll, [1, 1, G]);
      const dHG = tf.mul(tiled, k).reshape([L * B, G * H]) as tf.Tensor2D;
      const dXG = tf.mul(tiled, kx);
      const hPrev = L > 1 ? tf.concat([tf.zeros([1, B, H]), statesAll.slice([0, 0, 0], [L - 1, B, H])], 0) : tf.zeros([1, B, H]);
      const dUw = tf.matMul(hPrev.reshape([L * B, H]) as tf.Tensor2D, dHG, true, false);
      const dc = tf.sum(dHG, 0);
      const dg = tf.mul(dhtAll, diffAll);
      let dScale: tf.Tensor;
      if (this.mode === 'augru') dScale = tf.sum(tf.mul(dg, u!), 2, true);
      else if (this.mode === 'agru') dScale = tf.sum(dg, 2, true);
      else dScale = tf.zeros([L, B, 1]);
      return [dXG, dScale, dUw, dc];
    };
    return { value, gradFunc };
  }) as unknown as (xg: tf.Tensor3D, scale: tf.Tensor3D, U: tf.Tensor2D, c: tf.Tensor1D) => tf.Tensor3D;
}
