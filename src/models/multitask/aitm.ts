import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Dense } from '../../basic/layers/dense';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { InfoTransferAttention } from '../../basic/layers/aitm';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** AITM settings. Targets are the stages of a funnel, in order (e.g. ['click', 'conversion']). */
export interface AITMConfig extends MultiTaskConfig {
  /** Each task's encoder from the shared input to its representation q_t (default { dims: [64, 32] }). */
  encoder?: MlpConfig;
  /** Weight λ of the behavioural expectation calibrator (default 0.6, as in the paper). 0 turns it off. */
  calibratorWeight?: number;
}

type Compiled = NonNullable<ReturnType<BaseModel['internals']>['compiled']>;

/**
 * Adaptive Information Transfer Multi-task (Xi et al., KDD 2021) for sequentially dependent tasks (impression ->
 * click -> conversion): q_t = encoder_t(x); z_1 = q_1; z_t = AIT(p_{t-1}, q_t) with p_{t-1} = g_{t-1}(z_{t-1}) the
 * information transferred from the previous stage; y_t = tower_t(z_t). The loss adds the calibrator
 * λ sum_{t>=2} mean(max(ŷ_t − ŷ_{t−1}, 0)), which penalises a later stage predicted likelier than an earlier one.
 */
export class AITM extends MultiTaskModel {
  static readonly modelName = 'AITM';
  private readonly encoders: Mlp[];
  private readonly transfers: Dense[];
  private readonly units: InfoTransferAttention[];
  private readonly towers: Mlp[];
  private readonly calibratorWeight: number;

  constructor(config: AITMConfig) {
    super(config);
    const T = this.targets.length;
    if (T < 2) throw new Error('AITM: needs at least two targets, the funnel stages in order (e.g. click, conversion)');
    const bad = this.targets.find((t) => t.type !== 'binary');
    if (bad) throw new Error(`AITM: target '${bad.name}' is a regression target; the funnel stages must be binary`);
    this.calibratorWeight = config.calibratorWeight ?? 0.6;
    if (!(this.calibratorWeight >= 0)) throw new Error(`AITM: calibratorWeight must be >= 0 (got ${config.calibratorWeight})`);
    const encoder = config.encoder ?? { dims: [64, 32] };
    if (encoder.outputDim !== undefined) throw new Error('AITM: encoder.outputDim is not used (the last of encoder.dims is the width D); remove it');
    this.encoders = this.targets.map((t, i) => this.addChild(`encoder/${i}`, new Mlp(this.inputDim, encoder, this.initRng, `AITM encoder '${t.name}'`)));
    const D = this.encoders[0].outputWidth;
    this.transfers = this.targets.slice(1).map((_, i) => this.addChild(`transfer/${i}`, new Dense(D, D, this.initRng, 'relu')));
    this.units = this.targets.slice(1).map((_, i) => this.addChild(`ait/${i}`, new InfoTransferAttention(D, this.initRng)));
    this.towers = this.buildTowers(D, config.tower ?? { dims: [16] });
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x = this.flatInput(inputs);
    const z: tf.Tensor2D[] = [this.encoders[0].apply(x, ctx)];
    for (let t = 1; t < this.targets.length; t++) {
      const q = this.encoders[t].apply(x, ctx);
      z.push(this.units[t - 1].apply(this.transfers[t - 1].apply(z[t - 1]) as tf.Tensor2D, q).z);
    }
    return this.applyTowers(this.towers, z, ctx);
  }

  /** The compiled per-task losses plus the calibrator. */
  protected totalLoss(outputs: tf.Tensor2D, labels: tf.Tensor2D, c: Compiled): tf.Scalar {
    const base = super.totalLoss(outputs, labels, c);
    if (this.calibratorWeight === 0) return base;
    const p = tf.sigmoid(outputs);
    const later = p.slice([0, 1], [-1, -1]);
    const earlier = p.slice([0, 0], [-1, this.targets.length - 1]);
    const violation = tf.sum(tf.mean(tf.relu(tf.sub(later, earlier)), 0));
    return tf.add(base, tf.mul(violation, this.calibratorWeight)) as tf.Scalar;
  }
}

models.register(AITM.modelName, AITM);
