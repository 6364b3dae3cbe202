/**
 * The checks and defaults of `compile` that depend only on the options and the model's targets: learning rates,
 * one loss per target, loss weights and metric names.
 */
import { losses, metrics } from '../catalog';
import { LossSpec } from '../../loss/pointwise';
import { isGroupedLoss } from '../../loss/grouped';
import type { CompileOptions, TargetSpec } from './types';

/**
 * Default ratio of embedding to dense learning rate. Lazy (row-sparse) Adam moves a row only in steps where its
 * id occurs, while the dense Adam of PyTorch references keeps moving every row on momentum; a larger embedding
 * rate closes that gap (synthetic CTR, DeepFM, 3 epochs: test AUC 0.829 at 1x, 0.876 at 5x, oracle 0.895).
 */
export const EMBEDDING_LR_FACTOR = 5;

/** Compile options resolved against the targets. */
export interface ResolvedCompile {
  lr: number;
  embeddingLr: number;
  /** One loss per target (binary: 'bce', regression: 'mse' unless given). */
  lossSpecs: LossSpec[];
  lossWeights: number[];
  metricNames: string[];
}

/** Resolve and check the target-dependent compile options; errors name the option and the fix. */
export function resolveCompileOptions(options: CompileOptions, targets: TargetSpec[]): ResolvedCompile {
  const lr = options.lr ?? 1e-3;
  if (!(lr > 0)) throw new Error(`compile: lr must be > 0 (got ${options.lr})`);
  const embeddingLr = options.embeddingLr ?? EMBEDDING_LR_FACTOR * lr;
  if (!(embeddingLr > 0)) throw new Error(`compile: embeddingLr must be > 0 (got ${options.embeddingLr})`);
  const T = targets.length;
  const lossInput = options.loss;
  let lossList: Array<string | LossSpec | undefined>;
  if (Array.isArray(lossInput)) {
    if (lossInput.length !== T) throw new Error(`compile: loss has ${lossInput.length} entries but the model has ${T} targets`);
    lossList = lossInput;
  } else lossList = targets.map(() => lossInput);
  const lossSpecs = lossList.map((l, t) => {
    if (l === undefined) l = targets[t].type === 'binary' ? 'bce' : 'mse';
    return typeof l === 'string' ? losses.resolve(l)(options.lossParams) : l;
  });
  lossSpecs.forEach((spec, t) => {
    if (targets[t].type === 'regression' && spec.output === 'logit') {
      throw new Error(`compile: loss '${spec.name}' expects logits but target '${targets[t].name}' is a regression target`);
    }
    if (isGroupedLoss(spec) && !options.groupColumn) throw new Error(`compile: loss '${spec.name}' ranks rows within request groups; set groupColumn to the column of request (e.g. user or query) ids`);
  });
  const lossWeights = options.lossWeights ?? targets.map(() => 1);
  if (lossWeights.length !== T || lossWeights.some((w) => !(w >= 0))) throw new Error(`compile: lossWeights must be ${T} non-negative numbers`);
  if (options.metrics !== undefined && !Array.isArray(options.metrics)) {
    throw new Error(`compile: metrics must be a list of metric names, e.g. metrics: ['auc'] (got ${JSON.stringify(options.metrics)})`);
  }
  const metricNames = options.metrics ?? (targets.every((t) => t.type === 'binary') ? ['auc', 'logloss'] : ['mse']);
  for (const m of metricNames) {
    const spec = metrics.resolve(m);
    if (spec.needsGroups && !options.groupColumn) throw new Error(`compile: metric '${m}' needs groupColumn (e.g. the user id column)`);
  }
  for (const [field, v] of [['denseL2', options.denseL2], ['embeddingL2', options.embeddingL2]] as const) {
    if (v !== undefined && !(v >= 0)) throw new Error(`compile: ${field} must be >= 0 (got ${v})`);
  }
  return { lr, embeddingLr, lossSpecs, lossWeights, metricNames };
}
