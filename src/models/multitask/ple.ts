import * as tf from '@tensorflow/tfjs-core';
import { ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { CgcLevel } from '../../basic/layers/cgc';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** PLE settings. */
export interface PLEConfig extends MultiTaskConfig {
  /** Number of stacked extraction (CGC) levels (default 2; 1 gives the single-level CGC model). */
  numLevels?: number;
  /** Experts owned by each task in every level (default 1). */
  taskExperts?: number;
  /** Experts shared by all tasks in every level (default 2). */
  sharedExperts?: number;
  /** Shape of every expert (default { dims: [96] }: about the dense weights of the default Shared-Bottom and MMoE). */
  expert?: MlpConfig;
}

/**
 * Progressive Layered Extraction (Tang et al., RecSys 2020). A stack of CGC levels: in each, every task has its own
 * experts and there are shared experts; task t's gate mixes its own and the shared experts, and (except in the last
 * level) a shared gate mixes all experts. Level l+1's task-t experts read level l's task-t output and its shared
 * experts read level l's shared output, so task-specific and shared representations are separated progressively.
 * Each task's last-level output feeds its tower.
 */
export class PLE extends MultiTaskModel {
  static readonly modelName = 'PLE';
  private readonly levels: CgcLevel[] = [];
  private readonly towers: Mlp[];

  constructor(config: PLEConfig) {
    super(config);
    const numLevels = config.numLevels ?? 2;
    if (!Number.isInteger(numLevels) || numLevels < 1) throw new Error(`PLE: numLevels must be a positive integer (got ${config.numLevels})`);
    const expert = config.expert ?? { dims: [96] };
    let width = this.inputDim;
    for (let l = 0; l < numLevels; l++) {
      const level = new CgcLevel(width, this.targets.length, { taskExperts: config.taskExperts ?? 1, sharedExperts: config.sharedExperts ?? 2, expert }, l < numLevels - 1, this.initRng, 'PLE');
      this.levels.push(this.addChild(`level/${l}`, level));
      width = level.outputDim;
    }
    this.towers = this.buildTowers(width, config.tower);
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x = this.flatInput(inputs);
    let taskInputs = this.targets.map(() => x);
    let shared = x;
    for (const level of this.levels) {
      const out = level.apply(taskInputs, shared, ctx);
      taskInputs = out.tasks;
      if (out.shared) shared = out.shared;
    }
    return this.applyTowers(this.towers, taskInputs, ctx);
  }
}

models.register(PLE.modelName, PLE);
