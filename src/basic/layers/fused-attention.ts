import * as tf from '@tensorflow/tfjs-core';
import { attentionWeights, attentionWeightsAvailable, attentionWeightsGrad } from '../backend/attention-weights';
import { timeMajorMatMul, timeMajorMatMulAvailable } from '../backend/time-major-matmul';
import { channelMatMul } from './channel-matmul';
import { customOp } from './custom-op';

/*
 * Attention core as one custom op: scores, the pointwise nonlinearity, the masks and the weighted sum of values in
 * one forward, with a hand-written backward. The gradient tape then records one node per layer instead of ~15
 * (each of which tfjs keeps input copies for), and the backward reuses what the forward computed (the sigmoid or
 * softmax) instead of differentiating every elementwise step. The forward is composed of standard tfjs kernels,
 * so the ONNX tracer sees the same kernels as for the composed version.
 *
 * Layouts follow attention.ts: time-major tokens [L, N, d] with N = batch x heads (head-minor), key-major scores
 * [Lk, B, H, Lq]; every product runs through channelMatMul (XNNPACK's depthwise convolution on wasm). A batched
 * tf.matMul over [N, L, d] would avoid the transposes, but wasm runs it in a plain C loop that is slower still
 * (measured at N=128, L=200, d=50: 220 ms versus 152 ms CPU per product). With the native kernels every product is
 * one strided BLAS call per item directly on the time-major tensors (backend/time-major-matmul.ts): no transposes.
 */

/** How attention weights are formed from scores; see {@link fusedAttention}. */
export interface FusedAttentionOptions {
  /**
   * 'silu' (HSTU): A = SiLU(scale * S + bias) * mask, where `mask` holds 1/n on visible keys and 0 elsewhere.
   * 'softmax' (SASRec): A = softmax over keys of (scale * S + bias + mask), where `mask` is 0 or -1e9 (additive).
   */
  nonlinearity: 'silu' | 'softmax';
  /** Heads H; N = B x H with the head index minor. */
  heads: number;
  /** Constant mask (no gradient), broadcastable to key-major [Lk, B, H, Lq], typically [Lk, B, 1, Lq] from SequenceBatch. */
  mask: tf.Tensor;
  /** Factor on the raw scores (default 1; 1 / sqrt(d) for softmax attention). */
  scale?: number;
  /** Differentiable additive bias broadcastable to [Lk, B, H, Lq] (HSTU's relative bias), or null. */
  bias?: tf.Tensor | null;
  /** Constant multiplier on the weights after the nonlinearity (a dropout mask scaled by 1 / keep), or null. */
  dropout?: tf.Tensor | null;
}


/** Sum `g` over the axes on which `shape` broadcasts (same rank), giving a tensor of `shape`. */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && g.shape[i] !== 1) axes.push(i);
  return (axes.length ? tf.sum(g, axes, true) : g).reshape(shape);
}

/**
 * The six products of attention in the time-major / key-major layouts, each a batch over n of
 * op(x[:, n, :]) op(y[:, n, :]): native strided sgemm calls when available, else depthwise convolutions between
 * transposes (channelMatMul). Both compute the same sums; results differ by float rounding only.
 */
interface AttentionProducts {
  /** s[j, n, i] = <k[j, n], q[i, n]>: [Lk, N, Lq] (also dA from v and dy). */
  scores(q: tf.Tensor3D, k: tf.Tensor3D): tf.Tensor3D;
  /** o[i, n] = sum_j a[j, n, i] v[j, n]: [Lq, N, e] (also dQ from ds and k). */
  weighted(a: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D;
  /** r[j, n] = sum_i a[j, n, i] y[i, n]: [Lk, N, e] (dV from a and dy, dK from ds and q). */
  keyGrad(a: tf.Tensor3D, y: tf.Tensor3D): tf.Tensor3D;
}

const nativeProducts: AttentionProducts = {
  scores: (q, k) => timeMajorMatMul(k, q, false, true),
  weighted: (a, v) => timeMajorMatMul(a, v, true, false),
  keyGrad: (a, y) => timeMajorMatMul(a, y, false, false),
};

const depthwiseProducts: AttentionProducts = {
  scores: (q, k) => channelMatMul(tf.transpose(k, [0, 2, 1]) as tf.Tensor3D, tf.transpose(q, [2, 1, 0]) as tf.Tensor3D),
  weighted: (a, v) => tf.transpose(channelMatMul(tf.transpose(v, [2, 0, 1]) as tf.Tensor3D, a), [2, 1, 0]) as tf.Tensor3D,
  keyGrad: (a, y) => channelMatMul(tf.transpose(a, [0, 2, 1]) as tf.Tensor3D, y),
};

/**
 * Multi-head attention of time-major queries q [Lq, N, d] over keys k [Lk, N, d] and values v [Lk, N, e]
 * (N = B x H): out[i, n] = sum_j A[j, n, i] v[j, n], with A formed from the scores s[j, n, i] = <k[j, n], q[i, n]>
 * as set by `opts`. Returns [Lq, N, e]; differentiable in q, k, v and `opts.bias`.
 */
export function fusedAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, opts: FusedAttentionOptions): tf.Tensor3D {
  const [Lq, N, d] = q.shape;
  const [Lk] = k.shape;
  const H = opts.heads;
  if (!Number.isInteger(H) || H < 1 || N % H !== 0) throw new Error(`fusedAttention: heads must be a positive divisor of N = ${N} (got ${H})`);
  if (k.shape[1] !== N || k.shape[2] !== d) throw new Error(`fusedAttention: q [${q.shape}] and k [${k.shape}] do not match`);
  if (v.shape[0] !== Lk || v.shape[1] !== N) throw new Error(`fusedAttention: k [${k.shape}] and v [${v.shape}] do not match`);
  const B = N / H;
  const full = [Lk, B, H, Lq];
  const scale = opts.scale ?? 1;
  const { mask, nonlinearity } = opts;
  const dropout = opts.dropout ?? null;
  const bias = opts.bias ?? null;
  const biasShape = bias ? [...bias.shape] : null;
  if (biasShape && biasShape.length !== 4) throw new Error(`fusedAttention: bias must have rank 4 (broadcastable to [${full}]), got [${biasShape}]`);

  if (attentionWeightsAvailable() && timeMajorMatMulAvailable()) return nativeAttention(q, k, v, full, scale, nonlinearity === 'softmax', mask, bias, dropout);
  const products = timeMajorMatMulAvailable() ? nativeProducts : depthwiseProducts;
  const op = customOp((inputs, save) => {
    const [qi, ki, vi] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    let z: tf.Tensor = products.scores(qi, ki).reshape(full);
    if (scale !== 1) z = tf.mul(z, scale);
    if (inputs.length > 3) z = tf.add(z, inputs[3]);
    // `gate` is what the backward needs besides the weights: sigmoid(z) and silu(z) for SiLU, the softmax for softmax
    let gate: tf.Tensor[];
    let weights: tf.Tensor;
    if (nonlinearity === 'silu') {
      const sig = tf.sigmoid(z);
      const act = tf.mul(z, sig);
      gate = [sig, act];
      weights = tf.mul(act, mask);
    } else {
      const zm = tf.add(z, mask);
      const e = tf.exp(tf.sub(zm, tf.max(zm, 0, true)));
      const p = tf.div(e, tf.sum(e, 0, true));
      gate = [p];
      weights = p;
    }
    if (dropout) weights = tf.mul(weights, dropout);
    const a = weights.reshape([Lk, N, Lq]) as tf.Tensor3D;
    // constants are saved too: tensors a custom op only closes over are disposed with the forward's scope before
    // the backward runs
    save([qi, ki, vi, a, ...gate, ...(nonlinearity === 'silu' ? [mask] : []), ...(dropout ? [dropout] : [])]);
    return {
      value: products.weighted(a, vi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, as, ...rest] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, ...tf.Tensor[]];
        const savedDropout = dropout ? rest[rest.length - 1] : null;
        const g = dy as tf.Tensor3D;
        // dA[j, n, i] = <v[j, n], g[i, n]>, dV[j, n] = sum_i A[j, n, i] g[i, n]
        let dw: tf.Tensor = products.scores(g, vs).reshape(full);
        const dv = products.keyGrad(as, g);
        if (savedDropout) dw = tf.mul(dw, savedDropout);
        let dz: tf.Tensor;
        if (nonlinearity === 'silu') {
          // silu'(z) = sig + silu(z) (1 - sig)
          const [sig, act, savedMask] = rest;
          dz = tf.mul(tf.mul(dw, savedMask), tf.add(sig, tf.sub(act, tf.mul(act, sig))));
        } else {
          const [p] = rest;
          dz = tf.mul(p, tf.sub(dw, tf.sum(tf.mul(p, dw), 0, true)));
        }
        const ds = (scale !== 1 ? tf.mul(dz, scale) : dz).reshape([Lk, N, Lq]) as tf.Tensor3D;
        // dQ[i, n] = sum_j ds[j, n, i] k[j, n], dK[j, n] = sum_i ds[j, n, i] q[i, n]
        const dq = products.weighted(ds, ks);
        const dk = products.keyGrad(ds, qs);
        return biasShape ? [dq, dk, dv, reduceToShape(dz, biasShape)] : [dq, dk, dv];
      },
    };
  });
  return (bias ? op(q, k, v, bias) : op(q, k, v)) as tf.Tensor3D;
}

/**
 * fusedAttention with the native kernels: the products as strided sgemm calls and everything between them (scale,
 * bias, masks, softmax or SiLU, dropout) as one kernel forward and one backward (backend/attention-weights.ts).
 */
function nativeAttention(
  q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, full: number[], scale: number, softmax: boolean, mask: tf.Tensor, bias: tf.Tensor | null,
  dropout: tf.Tensor | null,
): tf.Tensor3D {
  const [Lk, B, H, Lq] = full;
  const N = B * H;
  const biasShape = bias ? [...bias.shape] : null;
  const op = customOp((inputs, save) => {
    const [qi, ki, vi] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const s = nativeProducts.scores(qi, ki).reshape(full);
    const [gate, weights] = attentionWeights(s, mask, inputs.length > 3 ? inputs[3] : null, dropout, { full, softmax, scale });
    const a = weights.reshape([Lk, N, Lq]) as tf.Tensor3D;
    save([qi, ki, vi, a, gate, mask, ...(dropout ? [dropout] : [])]);
    return {
      value: nativeProducts.weighted(a, vi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, as, savedGate, savedMask, savedDropout] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const g = dy as tf.Tensor3D;
        const dw = nativeProducts.scores(g, vs).reshape(full);
        const dv = nativeProducts.keyGrad(as, g);
        // the kernel also sums dz over the bias's broadcast axes
        const [dsFull, dbias] = attentionWeightsGrad(dw, savedGate, savedMask, savedDropout ?? null, { full, softmax, scale, biasShape });
        const ds = dsFull.reshape([Lk, N, Lq]) as tf.Tensor3D;
        const dq = nativeProducts.weighted(ds, ks);
        const dk = nativeProducts.keyGrad(ds, qs);
        return biasShape ? [dq, dk, dv, dbias] : [dq, dk, dv];
      },
    };
  });
  return (bias ? op(q, k, v, bias) : op(q, k, v)) as tf.Tensor3D;
}
