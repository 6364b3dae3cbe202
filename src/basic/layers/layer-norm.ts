import * as tf from '@tensorflow/tfjs-core';
import { layerNormGradKernel, layerNormKernel, layerNormKernelAvailable } from '../backend/layer-norm-kernel';
import { CustomGradFn, customOp } from './custom-op';
import { fusedOpsEnabled } from './fused-mode';
import { init, Module } from './module';

/**
 * Layer normalisation over the last axis (Ba et al., 2016), with a learned gain and bias. Unlike batch
 * normalisation it has no batch statistics, so a token's output depends on that token alone: sequence models
 * rely on this to keep padded and unrelated positions from influencing each other.
 */
export class LayerNorm extends Module {
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;

  /**
   * @param dim width of the normalised (last) axis
   * @param opts `affine: false` drops the gain and bias; `epsilon` is added to the variance (default 1e-6)
   */
  constructor(
    readonly dim: number,
    readonly opts: { affine?: boolean; epsilon?: number } = {},
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`LayerNorm: dim must be a positive integer (got ${dim})`);
    const affine = opts.affine ?? true;
    this.gamma = affine ? this.addParam('gamma', [dim], init.constant([dim], 1), { regularize: false }) : null;
    this.beta = affine ? this.addParam('beta', [dim], init.constant([dim], 0), { regularize: false }) : null;
  }

  /** Normalise `x` (any rank, last axis = dim). */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) throw new Error(`LayerNorm: expected last axis ${this.dim}, got shape [${x.shape}]`);
    const epsilon = this.opts.epsilon ?? 1e-6;
    if (!fusedOpsEnabled()) {
      const { y } = normalise(x, epsilon);
      return this.gamma && this.beta ? tf.add(tf.mul(y, this.gamma), this.beta) : y;
    }
    return this.gamma && this.beta ? affineNormOp(epsilon)(x, this.gamma, this.beta) : plainNormOp(epsilon)(x);
  }
}

/** y = (x - mean) / sqrt(var + eps) over the last axis, and 1 / sqrt(var + eps) (shape [..., 1]). */
function normalise(x: tf.Tensor, epsilon: number): { y: tf.Tensor; r: tf.Tensor } {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), epsilon));
  return { y: tf.mul(centred, r), r };
}

/** dx from the gradient w.r.t. the normalised y: r (dy - mean(dy) - y mean(dy y)), all means over the last axis. */
function normaliseGrad(dy: tf.Tensor, y: tf.Tensor, r: tf.Tensor): tf.Tensor {
  return tf.mul(r, tf.sub(tf.sub(dy, tf.mean(dy, -1, true)), tf.mul(y, tf.mean(tf.mul(dy, y), -1, true))));
}

/*
 * Layer norm as one custom op with the closed-form backward above: the forward runs the same tfjs kernels as the
 * composed version (so traced graphs and values are unchanged), while the tape holds one node instead of nine and
 * the backward takes ~12 kernels instead of ~25 (tfjs would also copy every intermediate it saves). With the native
 * kernels forward and backward are one kernel call each (backend/layer-norm-kernel.ts).
 */
/** The op's forward and backward as the native layer-norm kernels (one call each), over x viewed as [rows, dim]. */
function nativeNorm(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon: number, save: tf.GradSaveFunc): { value: tf.Tensor; gradFunc: CustomGradFn } {
  const shape = x.shape;
  const dim = shape[shape.length - 1];
  const [out, y, r] = layerNormKernel(x.reshape([-1, dim]) as tf.Tensor2D, gamma, beta, epsilon);
  save(gamma ? [y, r, gamma] : [y, r]);
  return {
    value: out.reshape(shape),
    gradFunc: (g, [ys, rs, gs]) => {
      const [dx, ...affine] = layerNormGradKernel(g.reshape([-1, dim]) as tf.Tensor2D, ys as tf.Tensor2D, rs as tf.Tensor2D, gs ?? null);
      return gamma ? [dx.reshape(shape), ...affine] : dx.reshape(shape);
    },
  };
}

const affineOps = new Map<number, (...t: tf.Tensor[]) => tf.Tensor>();
const plainOps = new Map<number, (...t: tf.Tensor[]) => tf.Tensor>();

function affineNormOp(epsilon: number): (...t: tf.Tensor[]) => tf.Tensor {
  let op = affineOps.get(epsilon);
  if (!op) {
    op = customOp(([x, gamma, beta], save) => {
      if (layerNormKernelAvailable()) return nativeNorm(x, gamma, beta, epsilon, save);
      const { y, r } = normalise(x, epsilon);
      save([y, r, gamma]);
      return {
        value: tf.add(tf.mul(y, gamma), beta),
        gradFunc: (g, [ys, rs, gs]) => {
          const D = gs.shape[0];
          const g2 = g.reshape([-1, D]);
          const dGamma = tf.sum(tf.mul(g2, ys.reshape([-1, D])), 0);
          const dBeta = tf.sum(g2, 0);
          return [normaliseGrad(tf.mul(g, gs), ys, rs), dGamma, dBeta];
        },
      };
    });
    affineOps.set(epsilon, op);
  }
  return op;
}

function plainNormOp(epsilon: number): (...t: tf.Tensor[]) => tf.Tensor {
  let op = plainOps.get(epsilon);
  if (!op) {
    op = customOp(([x], save) => {
      if (layerNormKernelAvailable()) return nativeNorm(x, null, null, epsilon, save);
      const { y, r } = normalise(x, epsilon);
      save([y, r]);
      return { value: y, gradFunc: (g, [ys, rs]) => normaliseGrad(g, ys, rs) };
    });
    plainOps.set(epsilon, op);
  }
  return op;
}
