import * as tf from '@tensorflow/tfjs-core';
import { hasHostKernel } from '../backend/host-kernel';
import { leanEngineOn } from '../backend/lean-switch';
import { ADAGRAD_UPDATE, ADAM_UPDATE_MANY, adamManyInputs, registerOptimizerKernels, runUpdate, SGD_UPDATE } from '../backend/optimizer-kernels';

/**
 * tfjs' Adam, Adagrad and SGD with each parameter's update as one kernel (backend/optimizer-kernels.ts) on wasm
 * and cpu while the lean engine is on. They subclass tfjs' optimizers and keep their state in the same slots, so
 * getWeights/setWeights, the class names and saved checkpoints are exactly those of tfjs' optimizers; elsewhere
 * (other backends, lean engine off) tfjs' own update runs.
 */
type Gradients = Parameters<tf.Optimizer['applyGradients']>[0];

function entries(gradients: Gradients): { name: string; tensor: tf.Tensor | undefined }[] {
  return Array.isArray(gradients) ? gradients : Object.keys(gradients).map((name) => ({ name, tensor: (gradients as Record<string, tf.Tensor>)[name] }));
}

function fusedAvailable(kernel: string): boolean {
  registerOptimizerKernels();
  return leanEngineOn() && hasHostKernel(kernel);
}

/** Replace each variable's (and slot's) value by a kernel output: assign takes over its buffer, no copy. */
function assignAll(pairs: [tf.Variable, tf.Tensor][]): void {
  for (const [variable, value] of pairs) variable.assign(value);
}

interface SlotRecord {
  originalName: string;
  variable: tf.Variable;
}

/** Adam with one kernel call for all parameters. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  applyGradients(variableGradients: Gradients): void {
    if (!fusedAvailable(ADAM_UPDATE_MANY)) return super.applyGradients(variableGradients as never);
    // tfjs keeps these slots private; the layout is pinned by test/lean-optimizers.test.ts
    const self = this as unknown as { accumulatedFirstMoment: SlotRecord[]; accumulatedSecondMoment: SlotRecord[]; accBeta1: tf.Variable; accBeta2: tf.Variable; epsilon: number };
    const acc1 = self.accBeta1.dataSync()[0];
    const acc2 = self.accBeta2.dataSync()[0];
    const attrs = { lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: self.epsilon, correction1: 1 - acc1, correction2: 1 - acc2 };
    // every parameter in one kernel call (one dispatch; one native call where the native kernels run)
    const inputs: Record<string, tf.Tensor> = {};
    const targets: tf.Variable[] = [];
    let count = 0;
    entries(variableGradients).forEach(({ name, tensor: g }, i) => {
      const w = tf.engine().registeredVariables[name];
      if (self.accumulatedFirstMoment[i] == null) self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
      if (self.accumulatedSecondMoment[i] == null) self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
      if (g == null) return;
      const m = self.accumulatedFirstMoment[i].variable;
      const v = self.accumulatedSecondMoment[i].variable;
      const [wn, gn, mn, vn] = adamManyInputs(count++);
      Object.assign(inputs, { [wn]: w, [gn]: g, [mn]: m, [vn]: v });
      targets.push(w, m, v);
    });
    if (count > 0) {
      const outs = runUpdate(ADAM_UPDATE_MANY, inputs, { ...attrs, count });
      assignAll(targets.map((t, k) => [t, outs[k]] as [tf.Variable, tf.Tensor]));
      tf.dispose(outs);
    }
    // float32 products, as tfjs' own mul computes them
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(Math.fround(acc1 * Math.fround(this.beta1))));
      self.accBeta2.assign(tf.scalar(Math.fround(acc2 * Math.fround(this.beta2))));
    });
    this.incrementIterations();
  }
}

/** Adagrad with one kernel per parameter. */
export class FusedAdagradOptimizer extends tf.AdagradOptimizer {
  applyGradients(variableGradients: Gradients): void {
    if (!fusedAvailable(ADAGRAD_UPDATE)) return super.applyGradients(variableGradients as never);
    const self = this as unknown as { accumulatedGrads: SlotRecord[]; initialAccumulatorValue: number };
    const attrs = { lr: this.learningRate, epsilon: tf.backend().epsilon() };
    entries(variableGradients).forEach(({ name, tensor: g }, i) => {
      const w = tf.engine().registeredVariables[name];
      if (self.accumulatedGrads[i] == null) self.accumulatedGrads[i] = { originalName: `${name}/accumulator`, variable: tf.tidy(() => tf.fill(w.shape, self.initialAccumulatorValue).variable(false)) };
      if (g == null) return;
      const acc = self.accumulatedGrads[i].variable;
      const [w2, acc2] = runUpdate(ADAGRAD_UPDATE, { w, g, acc }, attrs);
      assignAll([[w, w2], [acc, acc2]]);
      tf.dispose([w2, acc2]);
    });
    this.incrementIterations();
  }
}

/** SGD with one kernel per parameter. */
export class FusedSGDOptimizer extends tf.SGDOptimizer {
  applyGradients(variableGradients: Gradients): void {
    if (!fusedAvailable(SGD_UPDATE)) return super.applyGradients(variableGradients as never);
    for (const { name, tensor: g } of entries(variableGradients)) {
      if (g == null) continue;
      const w = tf.engine().registeredVariables[name];
      const [w2] = runUpdate(SGD_UPDATE, { w, g }, { lr: this.learningRate });
      w.assign(w2);
      w2.dispose();
    }
    this.incrementIterations();
  }
}
