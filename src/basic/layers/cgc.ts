import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { ExpertGate, ExpertSet, mixExperts } from './experts';
import { MlpConfig } from './mlp';
import { ForwardContext, Module } from './module';

/** Settings of one {@link CgcLevel}. */
export interface CgcConfig {
  /** Experts owned by each task (default 1). */
  taskExperts?: number;
  /** Experts shared by all tasks (default 1). */
  sharedExperts?: number;
  /** Shape of every expert. */
  expert: MlpConfig;
}

/** Outputs of a {@link CgcLevel}: one representation per task, plus the shared one when the level has a shared gate. */
export interface CgcOutput {
  tasks: tf.Tensor2D[];
  shared: tf.Tensor2D | null;
}

/**
 * Customized Gate Control (Tang et al., RecSys 2020), one extraction level of PLE. Each task owns experts that only
 * its own gate can select, next to experts shared by all tasks; task t's gate mixes [own experts; shared experts].
 * Keeping task-specific experts out of other tasks' mixtures is what limits negative transfer between
 * conflicting tasks. A level feeding another level also has a shared gate over all experts, whose output becomes
 * the next level's shared-expert input.
 */
export class CgcLevel extends Module {
  private readonly taskExperts: ExpertSet[] = [];
  private readonly sharedExperts: ExpertSet | null;
  private readonly taskGates: ExpertGate[] = [];
  private readonly sharedGate: ExpertGate | null;
  /** Width of every output. */
  readonly outputDim: number;
  readonly numTaskExperts: number;
  readonly numSharedExperts: number;

  /**
   * @param withSharedGate true for every level except PLE's last one (whose shared output nobody reads)
   */
  constructor(
    readonly inputDim: number,
    readonly numTasks: number,
    cfg: CgcConfig,
    readonly withSharedGate: boolean,
    rng: Rng,
    owner = 'CGC',
  ) {
    super();
    if (!Number.isInteger(numTasks) || numTasks < 1) throw new Error(`${owner}: number of tasks must be a positive integer (got ${numTasks})`);
    this.numTaskExperts = cfg.taskExperts ?? 1;
    this.numSharedExperts = cfg.sharedExperts ?? 1;
    if (!Number.isInteger(this.numTaskExperts) || this.numTaskExperts < 1) throw new Error(`${owner}: taskExperts must be a positive integer (got ${cfg.taskExperts})`);
    if (!Number.isInteger(this.numSharedExperts) || this.numSharedExperts < 0) throw new Error(`${owner}: sharedExperts must be a non-negative integer (got ${cfg.sharedExperts})`);
    if (withSharedGate && this.numSharedExperts === 0) throw new Error(`${owner}: a level feeding another level needs at least one shared expert`);
    for (let t = 0; t < numTasks; t++) this.taskExperts.push(this.addChild(`task/${t}/experts`, new ExpertSet(inputDim, this.numTaskExperts, cfg.expert, rng, owner)));
    this.sharedExperts = this.numSharedExperts > 0 ? this.addChild('shared/experts', new ExpertSet(inputDim, this.numSharedExperts, cfg.expert, rng, owner)) : null;
    const perTask = this.numTaskExperts + this.numSharedExperts;
    for (let t = 0; t < numTasks; t++) this.taskGates.push(this.addChild(`task/${t}/gate`, new ExpertGate(inputDim, perTask, rng)));
    this.sharedGate = withSharedGate ? this.addChild('shared/gate', new ExpertGate(inputDim, numTasks * this.numTaskExperts + this.numSharedExperts, rng)) : null;
    this.outputDim = this.taskExperts[0].outputDim;
  }

  /**
   * @param taskInputs input of each task's experts and gate (at the first level all equal the model input)
   * @param sharedInput input of the shared experts and the shared gate
   */
  apply(taskInputs: tf.Tensor2D[], sharedInput: tf.Tensor2D, ctx: ForwardContext): CgcOutput {
    if (taskInputs.length !== this.numTasks) throw new Error(`CGC: expected ${this.numTasks} task inputs, got ${taskInputs.length}`);
    const shared = this.sharedExperts ? this.sharedExperts.apply(sharedInput, ctx) : null;
    const own = this.taskExperts.map((e, t) => e.apply(taskInputs[t], ctx));
    const pool = (sets: tf.Tensor3D[]) => (sets.length === 1 ? sets[0] : (tf.concat(sets, 1) as tf.Tensor3D));
    const tasks = this.taskGates.map((g, t) => mixExperts(pool(shared ? [own[t], shared] : [own[t]]), g.apply(taskInputs[t])));
    const sharedOut = this.sharedGate ? mixExperts(pool(shared ? [...own, shared] : own), this.sharedGate.apply(sharedInput)) : null;
    return { tasks, shared: sharedOut };
  }
}
