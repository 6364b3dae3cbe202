import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup';
import { Rng } from '../random';

/** Per-call state threaded through a forward pass. */
export interface ForwardContext {
  training: boolean;
  /** Source of dropout seeds, so a fixed model seed reproduces training exactly. */
  rng: Rng;
  /**
   * Non-gradient state changes (e.g. batch-norm moving statistics) computed inside the differentiated function
   * and applied only after the step, so they never enter the gradient tape. Each is called once: with `true` to
   * apply the change, or with `false` when the step is discarded (non-finite loss), to release what it holds only.
   */
  deferred: Array<(apply: boolean) => void>;
}

/** A parameter with how it should be treated by training. */
export interface Param {
  variable: tf.Variable;
  trainable: boolean;
  /** Whether dense L2 regularisation applies (weights yes; biases and norm parameters no). */
  regularize: boolean;
}

/** Host-side initialisers; computing on the host with our own Rng keeps initialisation seedable and backend-independent. */
export const init = {
  glorotUniform(rng: Rng, shape: number[], fanIn: number, fanOut: number): Float32Array {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
    return out;
  },
  /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for nn.Linear weights and biases. */
  fanInUniform(rng: Rng, shape: number[], fanIn: number): Float32Array {
    const limit = 1 / Math.sqrt(fanIn);
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
    return out;
  },
  normal(rng: Rng, shape: number[], std: number): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = std * rng.normal();
    return out;
  },
  constant(shape: number[], value: number): Float32Array {
    return new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
  },
};

/**
 * Base of every block that owns dense (tfjs) parameters. Parameters and children are registered under names
 * so that a model's weights have stable hierarchical paths for save/load.
 */
export abstract class Module {
  private readonly ownParams = new Map<string, Param>();
  private readonly children = new Map<string, Module>();

  /** Register a parameter created from host values. */
  protected addParam(name: string, shape: number[], values: Float32Array, opts: { trainable?: boolean; regularize?: boolean } = {}): tf.Variable {
    if (this.ownParams.has(name)) throw new Error(`parameter '${name}' registered twice`);
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, opts.trainable ?? true);
    initial.dispose();
    this.ownParams.set(name, { variable, trainable: opts.trainable ?? true, regularize: opts.regularize ?? true });
    return variable;
  }

  /** Register a sub-module. */
  protected addChild<M extends Module>(name: string, child: M): M {
    if (this.children.has(name)) throw new Error(`child module '${name}' registered twice`);
    this.children.set(name, child);
    return child;
  }

  /** All parameters of this module and its children, keyed by path ("mlp/0/dense/kernel"). */
  namedParams(prefix = ''): Array<[string, Param]> {
    const out: Array<[string, Param]> = [];
    for (const [name, p] of this.ownParams) out.push([prefix + name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParams(`${prefix}${name}/`));
    return out;
  }

  /** Direct sub-modules with their names, in registration order (for summaries). */
  namedChildren(): Array<[string, Module]> {
    return [...this.children];
  }

  /** Parameters registered on this module itself (not its children). */
  ownParameters(): Array<[string, Param]> {
    return [...this.ownParams];
  }

  /** Release all tfjs memory held by the parameters. */
  disposeParams(): void {
    for (const [, p] of this.namedParams()) p.variable.dispose();
  }
}
