import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import { BaseModel, ModelInputs } from '../../basic/model/base-model';
import { CompileOptions, DataInput, InferenceOptions } from '../../basic/model/types';
import { ForwardContext } from '../../basic/layers/module';
import { Mlp, MlpConfig } from '../../basic/layers/mlp';
import { productLogit } from '../../basic/layers/log-prob';
import { Rng } from '../../basic/random';
import { Dataset } from '../../basic/dataset/dataset';
import { metrics } from '../../basic/catalog';
import { models } from '../../basic/model/model-registry';
import { MultiTaskConfig, MultiTaskModel } from './common';

/** ESMM settings. */
export interface ESMMConfig extends Omit<MultiTaskConfig, 'tower'> {
  /**
   * Exactly two binary targets, in this order: the click label (CTR task) and the click-AND-conversion label
   * (CTCVR task; 1 only for impressions that were clicked and then converted). Default ['click', 'conversion'].
   */
  targets?: MultiTaskConfig['targets'];
  /** CTR tower (default { dims: [128, 64] }); ends in one logit. */
  ctrTower?: MlpConfig;
  /** CVR tower (default { dims: [128, 64] }); ends in one logit. */
  cvrTower?: MlpConfig;
}

/** Predictions of {@link ESMM.predictTargets}. */
export interface ESMMPredictions {
  /** pCTR = p(click | impression). */
  ctr: Float32Array;
  /** pCVR = p(conversion | click, impression), defined (and meant to be used) on every impression, not only clicked ones. */
  cvr: Float32Array;
  /** pCTCVR = p(click and conversion | impression) = pCTR * pCVR. */
  ctcvr: Float32Array;
  /** Also under the target names: the click target maps to pCTR, the conversion target to pCTCVR. */
  [target: string]: Float32Array;
}

type Compiled = NonNullable<ReturnType<BaseModel['internals']>['compiled']>;

const RESERVED = ['ctr', 'cvr', 'ctcvr'];

/**
 * Entire Space Multi-task Model (Ma et al., SIGIR 2018). Post-click conversion rate models trained on clicked
 * impressions only suffer from sample selection bias (they are served on all impressions) and from data sparsity.
 * ESMM shares the embeddings between a CTR tower and a CVR tower and never fits pCVR directly:
 *   pCTR = sigmoid(a),  pCVR = sigmoid(b),  pCTCVR = pCTR * pCVR,
 * trained on all impressions with a CTR loss on the click label and a CTCVR loss on the click-AND-conversion label.
 * pCVR is thereby learned over the entire impression space.
 *
 * The CTCVR cross-entropy is computed on the logit of pCTCVR, built from log-sigmoids (see `productLogit`), so it
 * stays finite and exact for confident predictions where forming pCTR * pCVR and taking logs would not.
 *
 * `evaluate` (and validation during fit) reports metrics `*_<click target>` of pCTR, `*_<conversion target>` of
 * pCTCVR, and `*_cvr` of pCVR on the clicked rows; `predictTargets` returns `ctr`, `cvr` and `ctcvr`.
 */
export class ESMM extends MultiTaskModel {
  static readonly modelName = 'ESMM';
  private readonly ctrTower: Mlp;
  private readonly cvrTower: Mlp;

  constructor(config: ESMMConfig) {
    super({ ...config, targets: config.targets ?? ['click', 'conversion'] });
    if (this.targets.length !== 2) throw new Error(`ESMM: needs exactly two targets [click, click-and-conversion] (got ${this.targets.length}: ${this.targets.map((t) => t.name).join(', ')})`);
    for (const t of this.targets) if (t.type !== 'binary') throw new Error(`ESMM: target '${t.name}' must be binary`);
    const [click, conversion] = this.targets.map((t) => t.name);
    // target-named predictions sit next to ctr / cvr / ctcvr; a clash would make one silently shadow the other
    if (click !== 'ctr' && RESERVED.includes(click)) throw new Error(`ESMM: the click target cannot be named '${click}' (ctr, cvr and ctcvr name the predictions)`);
    if (conversion !== 'ctcvr' && RESERVED.includes(conversion)) {
      throw new Error(`ESMM: the second target is the click-AND-conversion (CTCVR) label and cannot be named '${conversion}'; name it e.g. 'conversion' or 'ctcvr'`);
    }
    this.ctrTower = this.addChild('ctr', new Mlp(this.inputDim, { ...(config.ctrTower ?? { dims: [128, 64] }), outputDim: 1 }, this.initRng, 'ESMM ctrTower'));
    this.cvrTower = this.addChild('cvr', new Mlp(this.inputDim, { ...(config.cvrTower ?? { dims: [128, 64] }), outputDim: 1 }, this.initRng, 'ESMM cvrTower'));
  }

  /**
   * Bind as BaseModel does, and with labels check that the second label is click-AND-conversion: a conversion
   * on an unclicked row contradicts pCTCVR = pCTR x pCVR and would be trained as an impossible target.
   */
  bindData(data: DataInput, withLabels: boolean): Dataset {
    const ds = super.bindData(data, withLabels);
    if (!withLabels) return ds;
    const [click, conversion] = this.targets.map((t) => t.name);
    if (!ds.columns.has(click) || !ds.columns.has(conversion)) return ds;
    const c = ds.column(click).data;
    const v = ds.column(conversion).data;
    for (let i = 0; i < ds.numRows; i++) {
      if (v[i] === 1 && c[i] !== 1) {
        throw new Error(`ESMM: row ${i} has ${conversion} = 1 but ${click} = ${c[i]}; the second label must be click AND conversion (set it to 0 where ${click} is 0, or filter those rows)`);
      }
    }
    return ds;
  }

  /** Raw outputs [B, 2]: the CTR logit a and the CVR logit b (not one column per target; see outputTransform). */
  protected forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D {
    const x = this.flatInput(inputs);
    return tf.concat([this.ctrTower.apply(x, ctx), this.cvrTower.apply(x, ctx)], 1) as tf.Tensor2D;
  }

  /** The compiled losses applied to [logit pCTR, logit pCTCVR] against [click, click-and-conversion]. */
  protected totalLoss(outputs: tf.Tensor2D, labels: tf.Tensor2D, c: Compiled): tf.Scalar {
    const a = outputs.slice([0, 0], [-1, 1]);
    const b = outputs.slice([0, 1], [-1, 1]);
    return super.totalLoss(tf.concat([a, productLogit(a, b)], 1) as tf.Tensor2D, labels, c);
  }

  /** [pCTR, pCTCVR], one column per target, so evaluate and early stopping score the CTR and CTCVR tasks. */
  protected outputTransform(raw: tf.Tensor2D): tf.Tensor2D {
    const p = tf.sigmoid(raw);
    const pctr = p.slice([0, 0], [-1, 1]);
    return tf.concat([pctr, tf.mul(pctr, p.slice([0, 1], [-1, 1]))], 1) as tf.Tensor2D;
  }

  /** As BaseModel.compile; the losses must take logits (bce, focal, weighted_bce), since both tasks are probabilities. */
  compile(options: CompileOptions = {}): this {
    super.compile(options);
    const compiled = this.internals().compiled!;
    compiled.lossSpecs.forEach((spec, t) => {
      if (spec.output !== 'logit') throw new Error(`ESMM: loss '${spec.name}' for target '${this.targets[t].name}' must take logits (e.g. bce or focal)`);
    });
    return this;
  }

  /** pCTR, pCVR and pCTCVR of the rows `rows` of bound data, in that order of `rows`. */
  private scoreRows(ds: Dataset, rows: Int32Array, batchSize: number, onProgress?: InferenceOptions['onProgress']): { ctr: Float32Array; cvr: Float32Array; ctcvr: Float32Array } {
    const n = rows.length;
    const ctr = new Float32Array(n);
    const cvr = new Float32Array(n);
    const ctcvr = new Float32Array(n);
    // inference never draws dropout seeds, so a throwaway stream keeps the training stream untouched
    const ctx: ForwardContext = { training: false, rng: new Rng(0), deferred: [] };
    for (let lo = 0; lo < n; lo += batchSize) {
      const idx = rows.subarray(lo, Math.min(n, lo + batchSize));
      const owned: tf.Tensor[] = [];
      try {
        // the product is taken in float32 exactly as in outputTransform, so ctcvr matches what evaluate scores
        const out = readAndDispose(tf.tidy(() => {
          const p = tf.sigmoid(this.forward(this.inferenceInputs(ds, idx, owned), ctx));
          return tf.concat([p, tf.mul(p.slice([0, 0], [-1, 1]), p.slice([0, 1], [-1, 1]))], 1);
        }));
        for (let i = 0; i < idx.length; i++) {
          ctr[lo + i] = out[3 * i];
          cvr[lo + i] = out[3 * i + 1];
          ctcvr[lo + i] = out[3 * i + 2];
        }
      } finally {
        tf.dispose(owned);
      }
      onProgress?.(lo + idx.length, n);
    }
    return { ctr, cvr, ctcvr };
  }

  /**
   * Predictions on every row: `ctr` (pCTR), `cvr` (pCVR over the entire space) and `ctcvr` (pCTCVR), plus the same
   * arrays under the target names (click target = pCTR, conversion target = pCTCVR).
   */
  async predictTargets(data: DataInput, opts: InferenceOptions = {}): Promise<ESMMPredictions> {
    const ds = this.bindData(data, false);
    const rows = Int32Array.from({ length: ds.numRows }, (_, i) => i);
    const { ctr, cvr, ctcvr } = this.scoreRows(ds, rows, opts.batchSize ?? 4096, opts.onProgress);
    const [click, conversion] = this.targets.map((t) => t.name);
    return { [click]: ctr, [conversion]: ctcvr, ctr, cvr, ctcvr };
  }

  /**
   * The CTR and CTCVR metrics of BaseModel (suffixed with the target names), plus the compiled metrics of pCVR on
   * the clicked rows against the conversion label, suffixed `_cvr` (e.g. `auc_cvr`, the CVR AUC of the ESMM paper).
   * They are NaN when the data has no clicked row.
   */
  protected evaluateBound(ds: Dataset, batchSize: number): Record<string, number> {
    const report = super.evaluateBound(ds, batchSize);
    const options = this.compileOptions!;
    const [click, conversion] = this.targets.map((t) => ds.column(t.name).data);
    const clicked: number[] = [];
    for (let i = 0; i < ds.numRows; i++) if (click[i] === 1) clicked.push(i);
    const rows = Int32Array.from(clicked);
    const { cvr } = this.scoreRows(ds, rows, batchSize);
    const labels = Float32Array.from(rows, (r) => conversion[r]);
    const groupCol = options.groupColumn ? ds.column(options.groupColumn).data : null;
    const groups = groupCol ? Int32Array.from(rows, (r) => groupCol[r]) : undefined;
    for (const m of this.internals().compiled!.metricNames) report[`${m}_cvr`] = rows.length ? metrics.resolve(m).fn(labels, cvr, groups, { threshold: options.threshold }) : NaN;
    return report;
  }
}

models.register(ESMM.modelName, ESMM);
