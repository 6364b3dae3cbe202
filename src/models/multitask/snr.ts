import * as tf from '@tensorflow/tfjs-core';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { SubNetworkRouter } from '../../basic/layers/snr';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** SNR-Trans settings. */
export interface SNRTransConfig extends MultiTaskConfig {
  /** Lower sub-networks (default 4). */
  numLower?: number;
  /** Shape of every lower sub-network (default { dims: [64, 32] }). */
  lower?: MlpConfig;
  /** Width of each task's routed input (default 32). */
  upperDim?: number;
  /** Weight of the L0 penalty on the connections (default 1e-3; larger prunes more). */
  l0Weight?: number;
  /** Initial log α of every connection (default 3: all connections start open). */
  initLogAlpha?: number;
}

type Compiled = NonNullable<ReturnType<BaseModel['internals']>['compiled']>;

/**
 * SNR-Trans (Ma et al., Sub-Network Routing, AAAI 2019): lower sub-networks v_i(x), and per task an upper input
 * u_t = relu(sum_i z_it W_it v_i + b_t) routed through connections with learned binary codes z (hard concrete,
 * SubNetworkRouter), y_t = tower_t(u_t). The loss adds λ times the expected number of open connections, so the
 * model learns which sub-networks each task shares.
 */
export class SNRTrans extends MultiTaskModel {
  static readonly modelName = 'SNRTrans';
  private readonly router: SubNetworkRouter;
  private readonly towers: Mlp[];
  private readonly l0Weight: number;

  constructor(config: SNRTransConfig) {
    super(config);
    this.l0Weight = config.l0Weight ?? 1e-3;
    if (!(this.l0Weight >= 0)) throw new Error(`SNRTrans: l0Weight must be >= 0 (got ${config.l0Weight})`);
    this.router = this.addChild('snr', new SubNetworkRouter(this.inputDim, this.targets.length, { numLower: config.numLower ?? 4, lower: config.lower ?? { dims: [64, 32] }, upperDim: config.upperDim ?? 32, initLogAlpha: config.initLogAlpha }, this.initRng, 'SNRTrans'));
    this.towers = this.buildTowers(this.router.outputDim, config.tower ?? { dims: [16] });
  }

  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    return this.applyTowers(this.towers, this.router.apply(this.flatInput(inputs), ctx), ctx);
  }

  /** The per-task losses plus the L0 penalty on the routing codes. */
  protected totalLoss(outputs: tf.Tensor2D, labels: tf.Tensor2D, c: Compiled): tf.Scalar {
    const base = super.totalLoss(outputs, labels, c);
    return this.l0Weight === 0 ? base : (tf.add(base, tf.mul(this.router.l0(), this.l0Weight)) as tf.Scalar);
  }

  /** Inference-time routing codes z [numLower][numTasks] (1 = connection open, 0 = pruned). */
  routingCodes(): number[][] {
    return tf.tidy(() => this.router.codes({ training: false, rng: null as never, deferred: [] }).arraySync() as number[][]);
  }
}

models.register(SNRTrans.modelName, SNRTrans);
