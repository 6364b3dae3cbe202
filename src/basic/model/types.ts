import { DenseFeature, SequenceFeature, SparseFeature } from '../features';
import { LossSpec } from '../../loss/pointwise';
import { ColumnarInput, Dataset } from '../dataset/dataset';
import type { ScheduleSpec } from '../optim/schedules';
import type { RunLogSink } from '../run-log';
import { TaskBalancingOption } from './task-balancing';

/** A prediction target: a label column and its task type. */
export interface TargetSpec {
  name: string;
  /** 'binary' (default): labels in {0,1}, sigmoid outputs; 'regression': real-valued outputs. */
  type?: 'binary' | 'regression';
}

/** Options every model accepts. */
export interface BaseModelConfig {
  sparseFeatures?: SparseFeature[];
  denseFeatures?: DenseFeature[];
  sequenceFeatures?: SequenceFeature[];
  /** Label columns (default one binary target named 'label'). */
  targets?: Array<string | TargetSpec>;
  /** Seed for initialisation, shuffling and dropout (default 2024). */
  seed?: number;
}

/** Data accepted by fit / evaluate / predict. */
export type DataInput = ColumnarInput | Record<string, unknown>[] | Dataset;

/** Options of `compile`. */
export interface CompileOptions {
  /**
   * Registered optimizer name: 'adam' (default), 'adamw', 'adagrad', 'sgd', 'momentum', 'rmsprop', 'ftrl', or one
   * you registered. Each has a dense (tfjs) half and a row-sparse half for embedding tables.
   */
  optimizer?: string;
  /** Learning rate of dense parameters (default 1e-3). */
  lr?: number;
  /** Learning rate of embedding tables (default 5 x lr, see EMBEDDING_LR_FACTOR). */
  embeddingLr?: number;
  /** Extra optimizer hyper-parameters, e.g. { beta1: 0.9 }. */
  optimizerParams?: Record<string, number>;
  /** Loss by name ('bce', 'focal', 'weighted_bce', 'mse'), a LossSpec, or one per target. Default: bce for binary, mse for regression. */
  loss?: string | LossSpec | Array<string | LossSpec>;
  /** Parameters of named losses, e.g. { gamma: 2 } for focal. */
  lossParams?: Record<string, number>;
  /** Weight of each target's loss (default 1 each). */
  lossWeights?: number[];
  /** Metrics computed by evaluate and on validation data (default ['auc', 'logloss'] for binary, ['mse'] otherwise). */
  metrics?: string[];
  /** L2 penalty on dense weights (not biases or norm parameters). */
  denseL2?: number;
  /** L2 penalty on embedding rows touched in a step (per-feature `l2` overrides it). */
  embeddingL2?: number;
  /** Column with group ids (e.g. user id) for per-group metrics such as gauc, ndcg@10, recall@20. */
  groupColumn?: string;
  /** Learning-rate schedule applied to the dense and embedding rates alike (their ratio is kept). */
  schedule?: ScheduleSpec;
  /** Rescale each step's gradients so their global L2 norm (dense + touched embedding rows) is at most this. */
  clipNorm?: number;
  /** Clamp each gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** L1 penalty on dense weights (not biases or norm parameters); proximal (exact zeros) with 'ftrl'. */
  denseL1?: number;
  /** L1 penalty on embedding rows touched in a step; proximal (exact zeros) with 'ftrl'. */
  embeddingL1?: number;
  /** Decision threshold of the 'precision', 'recall' and 'f1' metrics (default 0.5). */
  threshold?: number;
  /**
   * Column with scenario (domain) ids: `evaluate` and validation then also report every metric per scenario, as
   * `<metric>_<target>_<column><id>` (e.g. auc_click_scenario2).
   */
  scenarioColumn?: string;
  /**
   * Label value that means "no label for this task on this row", e.g. -1 or NaN: one value for every target, or
   * one per target name ({ like: -1 }). Such rows add nothing to that task's loss or metrics and count fully for
   * the other tasks. Any other value outside the valid labels stays an error.
   */
  ignoreLabel?: number | Record<string, number>;
  /**
   * How the per-task losses of a multi-task model are weighed in training: 'fixed' (default, `lossWeights`),
   * 'uncertainty' (learned log-variances, Kendall et al. 2018) or 'gradnorm' (Chen et al. 2018; `{ method:
   * 'gradnorm', alpha, lr }`). The current weights are logged per epoch as weight_<target>.
   */
  taskBalancing?: TaskBalancingOption;
}

/** Early stopping settings. */
export interface EarlyStoppingOptions {
  /** Metric to watch, e.g. 'val_auc', 'val_logloss', 'val_loss', 'val_auc_click' (default: val_auc if computed, else val_loss). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 2). */
  patience?: number;
  /** 'max' or 'min' (default: from the metric). */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put the best epoch's weights back at the end (default true). */
  restoreBest?: boolean;
}

/** What fit reports after each step (for callbacks). */
export interface StepInfo {
  epoch: number;
  step: number;
  globalStep: number;
  loss: number;
  /** Dense learning rate used by this step. */
  lr: number;
}

/** Options of `predict`, `predictTargets` and `evaluate`. */
export interface InferenceOptions {
  /** Rows per forward pass (default 4096). */
  batchSize?: number;
  /**
   * Called after each batch with the rows scored so far and the total (e.g. for a progress bar). Models with their
   * own scoring loop may not call it (the next-item models and HSTURanker do not).
   */
  onProgress?: (done: number, total: number) => void;
}

/** Options of `fit`. */
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Drop a final batch smaller than batchSize (default false: every row is used). */
  dropLast?: boolean;
  validData?: DataInput;
  /** Batch size for validation passes (default max(batchSize, 4096)). */
  validBatchSize?: number;
  earlyStopping?: EarlyStoppingOptions | boolean;
  /** Directory where the best model (by the early-stopping monitor, or each epoch without validation) is saved. */
  checkpointDir?: string;
  /** 0 silent, 1 progress bar / lines (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Stop after this many steps in total (benchmarks, smoke tests). */
  maxSteps?: number;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  onStep?: (info: StepInfo) => void;
  /** Hold out this fraction of the training rows as validation data (instead of validData), e.g. 0.1. */
  validationSplit?: number;
  /**
   * How validationSplit picks rows (default 'random'): 'random' (seeded by the model seed), 'time' (the latest
   * rows by validationSplitColumn), 'group' (whole groups of validationSplitColumn, default compile's groupColumn).
   */
  validationSplitBy?: 'random' | 'time' | 'group';
  /** Column ordering rows in time ('time') or naming their group ('group'). */
  validationSplitColumn?: string;
  /** Write per-step and per-epoch scalars as JSON lines: a file path (Node) or a sink. */
  runLog?: string | RunLogSink;
}

/** One epoch of training history. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch (data loss, without regularisation). */
  loss: number;
  seconds: number;
  samplesPerSec: number;
  /** Validation metrics prefixed with 'val_'. */
  [metric: string]: number;
}

/** Returned by fit. */
export interface History {
  epochs: EpochLog[];
  /** The monitored metric's best value and epoch, when early stopping was on. */
  best?: { epoch: number; monitor: string; value: number };
  stoppedEarly: boolean;
}
