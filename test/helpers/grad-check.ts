import * as tf from '@tensorflow/tfjs';
import { Module } from '../../src/basic/layers/module';
import { Rng } from '../../src/basic/random';

/**
 * Compares tfjs gradients of a layer with central finite differences. The scalar checked is
 * sum(f(inputs) * R) with a fixed random R, so every output element contributes with its own weight.
 * Checks every input element and every trainable parameter element (up to `maxPerTensor` of each, spread evenly).
 * Returns the largest discrepancy relative to max(1, |numeric|).
 */
export function maxGradientError(
  layer: Module | null,
  inputs: tf.Tensor[],
  f: (xs: tf.Tensor[]) => tf.Tensor,
  opts: { eps?: number; maxPerTensor?: number; seed?: number } = {},
): number {
  const eps = opts.eps ?? 1e-2;
  const maxPer = opts.maxPerTensor ?? 40;
  const xs = inputs.map((t) => tf.variable(t.clone(), true));
  const params = layer ? layer.namedParams().filter(([, p]) => p.trainable).map(([, p]) => p.variable) : [];
  const outShape = tf.tidy(() => f(xs).shape);
  const rng = new Rng(opts.seed ?? 3);
  const R = tf.tensor(Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal()), outShape);
  const objective = () => tf.sum(tf.mul(f(xs), R)) as tf.Scalar;
  const lossAt = () => tf.tidy(() => objective().dataSync()[0]);
  const all = [...xs, ...params];
  const { grads } = tf.variableGrads(objective, all);
  let worst = 0;
  for (const v of all) {
    const g = grads[v.name] ? grads[v.name].dataSync() : new Float32Array(v.size);
    const base = v.dataSync().slice();
    const step = Math.max(1, Math.floor(base.length / maxPer));
    for (let i = 0; i < base.length; i += step) {
      const probe = (delta: number) => {
        const p = base.slice();
        p[i] += delta;
        setTo(v, p);
        return lossAt();
      };
      // float64 accumulation of the two sides is not available: float32 rounding bounds eps from below
      const num = (probe(eps) - probe(-eps)) / (2 * eps);
      setTo(v, base);
      worst = Math.max(worst, Math.abs(num - g[i]) / Math.max(1, Math.abs(num)));
    }
  }
  tf.dispose(grads);
  tf.dispose([...xs, R]);
  return worst;
}

function setTo(v: tf.Variable, values: Float32Array | Int32Array | Uint8Array): void {
  const t = tf.tensor(values as Float32Array, v.shape);
  v.assign(t);
  t.dispose();
}
