import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup';
import { DataInput, BaseModelConfig, CompileOptions, EpochLog, FitOptions, History, InferenceOptions, TargetSpec } from './types';
import { DenseFeature, Feature, SequenceFeature, SparseFeature, validateFeatureSet } from '../features';
import { EmbeddingBlock, EmbeddingCollection, EmbeddingRequest } from '../embedding/embedding-collection';
import { ForwardContext, Module, Param } from '../layers/module';
import { FeatureInput, FeatureInputOptions } from '../layers/feature-input';
import { Rng } from '../random';
import { optimizers } from '../catalog';
import { LossSpec } from '../../loss/pointwise';
import { applyGroupedLoss, isGroupedLoss } from '../../loss/grouped';
import { Dataset, indexBatches, LabelSpec } from '../dataset/dataset';
import { maskedTaskLoss, resolveIgnoreLabels } from './missing-labels';
import { createTaskBalancer, TaskBalancer } from './task-balancing';
import { taskMetrics } from './task-metrics';
import { groupBatches } from '../dataset/group-batches';
import { BatchSource, bufferedBatches, defaultShuffleBuffer, StreamFitOptions } from '../dataset/stream';
import { createProgress, ProgressSink } from '../progress';
import { ModelStore, writeAtomically } from '../store';
import { checkOptionKeys } from '../options-schema';
import { checkModelConfig, COMPILE_KEYS, FIT_KEYS, INFERENCE_KEYS, STREAM_FIT_KEYS } from './option-checks';
import { restoreModelState, saveModelState, snapshotState, restoreSnapshot, ModelSnapshot, SaveOptions } from './persistence';

export type { SaveOptions } from './persistence';
import { encodeConfig } from './config-codec';
import { joinPath, openRunLog, resolveStore } from './node-adapters';
import { checkLoopOptions, gradientsFinite } from './step-checks';
import { onnxExporterOrThrow, OnnxExport, OnnxExportOptions } from './onnx-hook';

export { setOnnxExporter } from './onnx-hook';
export type { OnnxExport, OnnxExportOptions } from './onnx-hook';
import { TrainingControls } from '../optim/training-controls';
import { formatSummary, probeColumns, summaryRows } from './summary';
import { splitForValidation, ValidationSplitBy } from '../dataset/validation-split';
import type { RunLogRecord, RunLogSink } from '../run-log';
import { resolveCompileOptions } from './compile-options';
import { EarlyStoppingTracker, formatEpochLine, Monitor, MonitorContext, monitoredValue, resolveEarlyStopping, resolveMonitor } from './epoch-monitor';

export { EMBEDDING_LR_FACTOR } from './compile-options';

/** Tensors handed to a model's forward pass for one batch. */
export interface ModelInputs {
  batchSize: number;
  /** Embedding blocks by request key: [B, F, D] stacks or [B, L, D] sequences. */
  embeddings: Record<string, tf.Tensor>;
  /** Float masks [B, L] (1 = real item) of sequence requests, by request key. */
  masks: Record<string, tf.Tensor2D>;
  /** All dense features concatenated in declaration order, [B, sum(dim)], or null without dense features. */
  dense: tf.Tensor2D | null;
  /** One dense feature as [B, dim]. */
  denseFeature(name: string): tf.Tensor2D;
  /** The batch on the host (for models that need raw ids, e.g. to sample negatives). */
  data: Dataset;
  indices: Int32Array;
}

/** Raised when training cannot continue (NaN loss, bad state). */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

interface Compiled {
  options: CompileOptions;
  dense: tf.Optimizer;
  lossSpecs: LossSpec[];
  lossWeights: number[];
  metricNames: string[];
  /** Schedule, clipping and penalties (optim/training-controls.ts). */
  controls: TrainingControls;
  /** Missing-label marker of each target (undefined: every row is labelled). */
  ignoreLabels: Array<number | undefined>;
  /** Combines the per-task losses in training (fixed weights, uncertainty, GradNorm). */
  balancer: TaskBalancer;
}

/** Constructor type used by the model registry and `load`. */
export interface ModelClass {
  new (config: any): BaseModel; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly modelName: string;
  /**
   * Options whose default changed after models were saved: a saved config without one of them loads with the value
   * given here (the old behaviour), while new saves record the value in force.
   */
  readonly legacyConfigDefaults?: Record<string, unknown>;
}

/**
 * Owns the model lifecycle (compile -> fit -> evaluate -> predict -> save/load). Subclasses declare their
 * embedding requests and dense modules in the constructor and implement `forward`, which maps a batch to
 * one output column per target (logits for binary targets).
 */
export abstract class BaseModel extends Module {
  /** Registry name of the model class (set by each subclass). */
  static readonly modelName: string = 'BaseModel';

  readonly sparseFeatures: SparseFeature[];
  readonly denseFeatures: DenseFeature[];
  readonly sequenceFeatures: SequenceFeature[];
  readonly targets: Required<TargetSpec>[];
  readonly seed: number;
  readonly embeddings: EmbeddingCollection;
  /** Random stream for initialising sub-modules in constructors. */
  protected readonly initRng: Rng;
  private readonly trainRng: Rng;
  private requests: EmbeddingRequest[] = [];
  private compiled: Compiled | null = null;
  /** Per-target losses recorded by totalLoss during a training step of a multi-target model (for the epoch log). */
  private taskLossSink: tf.Tensor[] | null = null;
  /** Per-target losses of the last training step, or null when the model's loss is not a sum of per-target losses. */
  private lastTaskLosses: number[] | null = null;
  private globalStep = 0;
  /** Dense learning rate of the last training step (schedules change it). */
  private lastLr = 0;
  /** Constructor config, kept for save/load. */
  protected readonly config: BaseModelConfig;

  constructor(config: BaseModelConfig) {
    super();
    assertBackendReady();
    checkModelConfig(new.target.modelName, config);
    this.config = config;
    this.sparseFeatures = config.sparseFeatures ?? [];
    this.denseFeatures = config.denseFeatures ?? [];
    this.sequenceFeatures = config.sequenceFeatures ?? [];
    this.checkFeatureKinds();
    validateFeatureSet(this.allFeatures());
    this.targets = (config.targets ?? ['label']).map((t) => (typeof t === 'string' ? { name: t, type: 'binary' as const } : { name: t.name, type: t.type ?? 'binary' }));
    if (this.targets.length === 0) throw new Error(`${this.modelName()}: at least one target is required`);
    this.seed = config.seed ?? 2024;
    if (!Number.isInteger(this.seed)) throw new Error(`${this.modelName()}: seed must be an integer (got ${config.seed})`);
    const root = new Rng(this.seed);
    this.initRng = root.fork();
    this.trainRng = root.fork();
    this.embeddings = new EmbeddingCollection(this.allFeatures(), root.fork().seed());
  }

  private checkFeatureKinds(): void {
    const check = (list: unknown[], cls: Function, field: string) => {
      list.forEach((f, i) => {
        if (!(f instanceof cls)) throw new Error(`${this.modelName()}: ${field}[${i}] must be a ${cls.name} (got ${f?.constructor?.name ?? typeof f})`);
      });
    };
    check(this.sparseFeatures, SparseFeature, 'sparseFeatures');
    check(this.denseFeatures, DenseFeature, 'denseFeatures');
    check(this.sequenceFeatures, SequenceFeature, 'sequenceFeatures');
  }

  /** Name used in messages and manifests. */
  modelName(): string {
    return (this.constructor as unknown as ModelClass).modelName;
  }

  /** Every declared input feature. */
  allFeatures(): Feature[] {
    return [...this.sparseFeatures, ...this.sequenceFeatures, ...this.denseFeatures];
  }

  /** Total width of the dense features. */
  protected denseDim(): number {
    return this.denseFeatures.reduce((s, f) => s + f.dim, 0);
  }

  /** Declare an embedding block the forward pass needs; its tables are created now. */
  protected requestEmbedding(request: EmbeddingRequest): void {
    if (this.requests.some((r) => r.key === request.key)) throw new Error(`embedding request '${request.key}' declared twice`);
    const names = request.kind === 'stack' ? request.features : [request.feature];
    for (const n of names) this.embeddings.tablesOf(this.embeddings.feature(n), request.variant ?? 'main', request.width);
    this.requests.push(request);
  }

  /**
   * The shared input layer (flat vector, field stack, first-order weights, numeric embeddings) over this model's
   * features, registered as the child 'input'; its embedding requests are declared now.
   */
  protected addFeatureInput(options: FeatureInputOptions = {}): FeatureInput {
    return this.addChild('input', new FeatureInput(this, (r) => this.requestEmbedding(r), options, this.initRng));
  }

  /** Map a batch to outputs [B, numTargets] (logits for binary targets). */
  protected abstract forward(inputs: ModelInputs, ctx: ForwardContext): tf.Tensor2D;

  /**
   * Embedding blocks needed for a batch beyond the declared requests, e.g. sampled negatives built with
   * `this.embeddings.lookupIds`. They appear in `inputs.embeddings` under their keys and are trained like the rest.
   */
  protected extraBlocks(_data: Dataset, _indices: Int32Array, _ctx: ForwardContext): EmbeddingBlock[] {
    return [];
  }

  /**
   * Training objective of one batch. The default applies the compiled per-target losses to `forward`'s outputs;
   * retrieval and generative models override it (in-batch or sampled softmax, auxiliary losses).
   */
  protected trainingLoss(inputs: ModelInputs, labels: tf.Tensor2D, ctx: ForwardContext): tf.Scalar {
    const c = this.requireCompiled('fit');
    return this.totalLoss(this.forward(inputs, ctx), labels, c, this.groupIdsOf(inputs.data, inputs.indices, c));
  }

  /** Group ids of the batch rows when a group-wise loss needs them (compile's groupColumn), else undefined. */
  private groupIdsOf(data: Dataset, indices: Int32Array, c: Compiled): Int32Array | undefined {
    const column = c.options.groupColumn;
    if (!column || !c.lossSpecs.some(isGroupedLoss) || !data.columns.has(column)) return undefined;
    const ids = data.column(column).data;
    return Int32Array.from(indices, (i) => ids[i]);
  }

  /**
   * Order of the training rows in one epoch of `fit`, as index batches. The default shuffles all rows; sequence
   * models override it to group rows of similar length so that a batch is not padded to the longest row overall.
   */
  protected trainBatches(data: Dataset, batchSize: number, opts: { shuffle: boolean; rng: Rng; dropLast?: boolean }): Iterable<Int32Array> {
    const c = this.compiled;
    // group-wise losses compare rows of one request: keep each group whole within a batch
    if (c?.options.groupColumn && c.lossSpecs.some(isGroupedLoss)) return groupBatches(data.column(c.options.groupColumn).data as Int32Array, batchSize, opts);
    return indexBatches(data.numRows, batchSize, opts);
  }

  /**
   * Marks `representation` as task `task`'s input from the shared part (e.g. a tower's input). Identity, except that
   * in training a balancer such as GradNorm measures the gradient flowing back through it.
   */
  protected tapTaskInput(task: number, representation: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return ctx.training && this.compiled ? this.compiled.balancer.tap(task, representation) : representation;
  }

  /** The compile options in force (null before compile). */
  protected get compileOptions(): CompileOptions | null {
    return this.compiled?.options ?? null;
  }

  // ---------------------------------------------------------------- compile

  /** Choose optimizer, loss and metrics. Must be called before fit or evaluate. */
  compile(options: CompileOptions = {}): this {
    checkOptionKeys('compile options', options, COMPILE_KEYS);
    const { lr, embeddingLr, lossSpecs, lossWeights, metricNames } = resolveCompileOptions(options, this.targets);
    const pair = optimizers.resolve(options.optimizer ?? 'adam')({ lr, embeddingLr, params: options.optimizerParams ?? {} });
    const controls = new TrainingControls(options, pair.dense, lr, embeddingLr);
    controls.bindRegularized(this.trainableParams().filter(([, p]) => p.regularize).map(([, p]) => p.variable.name));
    const balancer = createTaskBalancer(options.taskBalancing, this.targets, lossWeights);
    this.compiled?.dense.dispose();
    this.compiled?.balancer.dispose();
    this.embeddings.setOptimizer(pair.sparse);
    this.embeddings.embeddingL2 = options.embeddingL2 ?? 0;
    this.embeddings.embeddingL1 = options.embeddingL1 ?? 0;
    const ignoreLabels = resolveIgnoreLabels(options.ignoreLabel, this.targets.map((t) => t.name));
    this.compiled = { options, dense: pair.dense, lossSpecs, lossWeights, metricNames, controls, ignoreLabels, balancer };
    return this;
  }

  /** Whether compile has been called. */
  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new Error(`${this.modelName()}: call compile() before ${what}`);
    return this.compiled;
  }

  // ---------------------------------------------------------------- data binding

  private labelSpecs(): LabelSpec[] {
    return this.targets.map((t, k) => ({ name: t.name, type: t.type, ignore: this.compiled?.ignoreLabels[k] }));
  }

  /** Validate and convert user data for this model (with labels when `withLabels`). */
  bindData(data: DataInput, withLabels: boolean): Dataset {
    const features: Feature[] = this.allFeatures();
    const ds = Dataset.bind(data, features, withLabels ? this.labelSpecs() : []);
    for (const field of ['groupColumn', 'scenarioColumn'] as const) {
      const column = this.compiled?.options[field];
      if (withLabels && column && !ds.columns.has(column)) {
        if (data instanceof Dataset) throw new Error(`${field} '${column}' is not in the data`);
        const raw = (data as Record<string, ArrayLike<number>>)[column];
        if (!raw) throw new Error(`${field} '${column}' is not in the data`);
        ds.columns.set(column, { kind: 'int', data: Int32Array.from(raw as ArrayLike<number>), width: 1 });
      }
    }
    return ds;
  }

  // ---------------------------------------------------------------- forward plumbing

  private buildInputs(data: Dataset, indices: Int32Array, blockTensors: tf.Tensor[], blocks: EmbeddingBlock[], owned: tf.Tensor[]): ModelInputs {
    const B = indices.length;
    const embeddings: Record<string, tf.Tensor> = {};
    const masks: Record<string, tf.Tensor2D> = {};
    blocks.forEach((b, i) => {
      embeddings[b.key] = blockTensors[i];
      if (b.mask) {
        const m = tf.tensor2d(b.mask, [B, b.shape[1]]);
        owned.push(m);
        masks[b.key] = m;
      }
    });
    const denseFeature = (name: string): tf.Tensor2D => {
      const f = this.denseFeatures.find((d) => d.name === name);
      if (!f) throw new Error(`'${name}' is not a dense feature of this model`);
      const col = data.column(name);
      const out = new Float32Array(B * f.dim);
      for (let i = 0; i < B; i++) out.set(col.data.subarray(indices[i] * f.dim, (indices[i] + 1) * f.dim), i * f.dim);
      const t = tf.tensor2d(out, [B, f.dim]);
      owned.push(t);
      return t;
    };
    let dense: tf.Tensor2D | null = null;
    const width = this.denseDim();
    if (width > 0) {
      const out = new Float32Array(B * width);
      let off = 0;
      for (const f of this.denseFeatures) {
        const src = data.column(f.name).data;
        for (let i = 0; i < B; i++) {
          const s = indices[i] * f.dim;
          for (let j = 0; j < f.dim; j++) out[i * width + off + j] = src[s + j];
        }
        off += f.dim;
      }
      dense = tf.tensor2d(out, [B, width]);
      owned.push(dense);
    }
    return { batchSize: B, embeddings, masks, dense, denseFeature, data, indices };
  }

  private labelTensor(data: Dataset, indices: Int32Array): tf.Tensor2D {
    const T = this.targets.length;
    const B = indices.length;
    const out = new Float32Array(B * T);
    this.targets.forEach((t, k) => {
      const col = data.column(t.name).data;
      for (let i = 0; i < B; i++) out[i * T + k] = col[indices[i]];
    });
    return tf.tensor2d(out, [B, T]);
  }

  /** Weighted sum of per-target losses. */
  protected totalLoss(outputs: tf.Tensor2D, labels: tf.Tensor2D, c: Compiled, groupIds?: Int32Array): tf.Scalar {
    const T = this.targets.length;
    if (outputs.shape[1] !== T) throw new Error(`${this.modelName()}.forward returned ${outputs.shape[1]} columns, expected ${T} (one per target)`);
    const taskLosses: tf.Scalar[] = [];
    for (let t = 0; t < T; t++) {
      const o = T === 1 ? outputs : outputs.slice([0, t], [-1, 1]);
      const y = T === 1 ? labels : labels.slice([0, t], [-1, 1]);
      const spec = c.lossSpecs[t];
      const taskLoss = isGroupedLoss(spec) && groupIds ? applyGroupedLoss(spec.grouped, o, y, groupIds, spec.sortByLabel) : maskedTaskLoss(spec, o, y, c.ignoreLabels[t]);
      if (this.taskLossSink && T > 1) this.taskLossSink.push(tf.keep(taskLoss.clone()));
      taskLosses.push(taskLoss);
    }
    // the balancer weighs training steps only (taskLossSink is set by trainStep); evaluation keeps lossWeights
    if (this.taskLossSink) return c.balancer.combine(taskLosses);
    return tf.addN(taskLosses.map((l, t) => tf.mul(l, c.lossWeights[t]))) as tf.Scalar;
  }

  private trainableParams(): Array<[string, Param]> {
    return this.namedParams().filter(([, p]) => p.trainable);
  }

  /** One optimisation step on the given rows; returns the data loss. */
  private trainStep(data: Dataset, indices: Int32Array, c: Compiled): number {
    const ctx: ForwardContext = { training: true, rng: this.trainRng, deferred: [] };
    const blocks = [...this.requests.map((r) => this.embeddings.lookup(r, data, indices)), ...this.extraBlocks(data, indices, ctx)];
    const leaves = blocks.map((b) => {
      const t = b.tensor();
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    });
    const owned: tf.Tensor[] = [];
    const labels = this.labelTensor(data, indices);
    owned.push(labels);
    const params = this.trainableParams();
    const regularized = params.filter(([, p]) => p.regularize).map(([, p]) => p.variable);
    this.lastLr = c.controls.beforeStep(this.globalStep, this.embeddings);
    let dataLoss: tf.Tensor | null = null;
    this.taskLossSink = [];
    this.lastTaskLosses = null;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const inputs = this.buildInputs(data, indices, leaves, blocks, owned);
        const loss = this.trainingLoss(inputs, labels, ctx);
        dataLoss = tf.keep(loss.clone());
        const penalty = c.controls.penalty(regularized);
        return penalty ? (tf.add(loss, penalty) as tf.Scalar) : loss;
      }, [...params.map(([, p]) => p.variable), ...leaves, ...c.balancer.variables()]);
      const lossValue = (dataLoss as unknown as tf.Tensor).dataSync()[0];
      // only when every target's loss was seen exactly once: overrides of trainingLoss may not use totalLoss at all
      if (this.taskLossSink.length === this.targets.length && this.targets.length > 1) this.lastTaskLosses = this.taskLossSink.map((t) => t.dataSync()[0]);
      const denseGrads: tf.NamedTensorMap = {};
      for (const [, p] of params) {
        const g = grads[p.variable.name];
        if (g) denseGrads[p.variable.name] = g;
      }
      const blockGrads = Number.isFinite(lossValue)
        ? leaves.map((leaf, i) => {
            const g = grads[leaf.name];
            return g ? (g.dataSync() as Float32Array) : new Float32Array(blocks[i].values.length);
          })
        : [];
      // a non-finite loss or gradient is never applied, so the weights stay those of the last good step
      const bad = !Number.isFinite(lossValue) ? `loss became ${lossValue}` : !gradientsFinite(Object.values(denseGrads), blockGrads) ? 'a gradient became non-finite' : null;
      if (bad) {
        value.dispose();
        tf.dispose(grads);
        // a discarded step must not move batch-norm statistics either
        for (const f of ctx.deferred) f(false);
        const kept = this.weightsFinite()
          ? `the model keeps the finite weights of step ${this.globalStep} (this update was not applied)`
          : 'the weights are already non-finite (predict will refuse them); reload a checkpoint';
        throw new TrainingError(
          `${this.modelName()}: ${bad} at step ${this.globalStep + 1}; training stopped and ${kept}. Try a lower learning rate, clipping, or check the inputs for extreme values`,
        );
      }
      const touched = this.embeddings.accumulateGradients(blocks, blockGrads);
      owned.push(...c.controls.clip(denseGrads, this.embeddings, touched));
      if (this.lastTaskLosses) {
        try {
          c.balancer.afterStep(this.lastTaskLosses);
        } catch (e) {
          value.dispose();
          tf.dispose(grads);
          throw e;
        }
      }
      // the task weights' own gradients (uncertainty weighting) join the dense step after clipping
      for (const v of c.balancer.variables()) if (grads[v.name]) denseGrads[v.name] = grads[v.name];
      if (Object.keys(denseGrads).length) c.dense.applyGradients(denseGrads);
      this.embeddings.applyAccumulated(touched);
      for (const f of ctx.deferred) f(true);
      value.dispose();
      tf.dispose(grads);
      this.globalStep++;
      return lossValue;
    } finally {
      tf.dispose(this.taskLossSink ?? []);
      this.taskLossSink = null;
      if (dataLoss) (dataLoss as tf.Tensor).dispose();
      tf.dispose(owned);
      for (const l of leaves) l.dispose();
    }
  }

  /** Whether every dense weight and every embedding table value is finite (scans the tables: for error paths). */
  weightsFinite(): boolean {
    for (const [, p] of this.namedParams()) {
      const v = p.variable.dataSync();
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
    }
    for (const t of this.embeddings.tables.values()) {
      const d = t.data;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
    }
    return true;
  }

  /** Forward pass in inference mode on rows of `data`; returns outputs [B, T] on the host plus the batch loss if compiled. */
  private inferBatch(data: Dataset, indices: Int32Array, withLoss: boolean): { outputs: Float32Array; loss: number } {
    const ctx: ForwardContext = { training: false, rng: this.trainRng, deferred: [] };
    const blocks = this.inferenceBlocks(data, indices);
    const owned: tf.Tensor[] = [];
    try {
      // tensors (not host arrays) leave the tidy: it would walk a typed array's elements looking for tensors
      const [probs, lossT] = tf.tidy(() => {
        const tensors = blocks.map((b) => b.tensor());
        const inputs = this.buildInputs(data, indices, tensors, blocks, owned);
        const raw = this.forward(inputs, ctx);
        // group-wise losses see the groups as the sequential batches cut them
        const loss = withLoss && this.compiled ? this.totalLoss(raw, this.labelTensor(data, indices), this.compiled, this.groupIdsOf(data, indices, this.compiled)) : tf.scalar(NaN);
        return [this.outputTransform(raw), loss];
      });
      const outputs = probs.dataSync() as Float32Array;
      const loss = lossT.dataSync()[0];
      probs.dispose();
      lossT.dispose();
      return { outputs, loss };
    } finally {
      tf.dispose(owned);
    }
  }

  /** Embedding blocks of the declared requests for rows of `data` (no gradient bookkeeping needed by the caller). */
  protected inferenceBlocks(data: Dataset, indices: Int32Array): EmbeddingBlock[] {
    return this.requests.map((r) => this.embeddings.lookup(r, data, indices));
  }

  /** Build forward inputs for rows of `data` in inference mode; tensors are owned by the caller's tidy scope except those pushed to `owned`. */
  protected inferenceInputs(data: Dataset, indices: Int32Array, owned: tf.Tensor[]): ModelInputs {
    const blocks = this.inferenceBlocks(data, indices);
    return this.buildInputs(data, indices, blocks.map((b) => b.tensor()), blocks, owned);
  }

  /** Turn raw outputs into predictions: sigmoid for losses on logits, identity otherwise. */
  protected outputTransform(raw: tf.Tensor2D): tf.Tensor2D {
    const T = this.targets.length;
    const kinds = this.targets.map((t, k) => this.compiled?.lossSpecs[k].output ?? (t.type === 'binary' ? 'logit' : 'identity'));
    if (kinds.every((k) => k === 'logit')) return tf.sigmoid(raw);
    if (kinds.every((k) => k === 'identity')) return raw;
    const cols = kinds.map((k, t) => {
      const c = raw.slice([0, t], [-1, 1]);
      return k === 'logit' ? tf.sigmoid(c) : c;
    });
    return T === 1 ? (cols[0] as tf.Tensor2D) : tf.concat(cols, 1);
  }

  private predictBound(data: Dataset, batchSize: number, withLoss: boolean, onProgress?: InferenceOptions['onProgress']): { preds: Float32Array[]; loss: number } {
    const T = this.targets.length;
    const preds = this.targets.map(() => new Float32Array(data.numRows));
    let lossSum = 0;
    let done = 0;
    for (const idx of indexBatches(data.numRows, batchSize)) {
      const { outputs, loss } = this.inferBatch(data, idx, withLoss);
      lossSum += loss * idx.length;
      for (let i = 0; i < idx.length; i++) for (let t = 0; t < T; t++) preds[t][idx[i]] = outputs[i * T + t];
      onProgress?.((done += idx.length), data.numRows);
    }
    return { preds, loss: lossSum / data.numRows };
  }

  // ---------------------------------------------------------------- public lifecycle

  /** Scores for the first target (probabilities for binary targets), one per row. */
  async predict(data: DataInput, opts: InferenceOptions = {}): Promise<Float32Array> {
    checkOptionKeys('predict options', opts, INFERENCE_KEYS);
    return (await this.predictTargets(data, opts))[this.targets[0].name];
  }

  /** Scores per target name. */
  async predictTargets(data: DataInput, opts: InferenceOptions = {}): Promise<Record<string, Float32Array>> {
    checkOptionKeys('predict options', opts, INFERENCE_KEYS);
    const ds = this.bindData(data, false);
    const { preds } = this.predictBound(ds, opts.batchSize ?? 4096, false, opts.onProgress);
    this.assertFiniteScores(preds);
    const out: Record<string, Float32Array> = {};
    this.targets.forEach((t, k) => (out[t.name] = preds[k]));
    return out;
  }

  /** Refuse to hand out NaN scores: name the cause (non-finite weights, or the row whose input overflowed). */
  protected assertFiniteScores(preds: Float32Array[]): void {
    for (let k = 0; k < preds.length; k++) {
      const p = preds[k];
      for (let i = 0; i < p.length; i++) {
        if (Number.isFinite(p[i])) continue;
        if (!this.weightsFinite()) throw new Error(`${this.modelName()}: the model's weights are not finite (training diverged?); predict refuses to return ${p[i]} scores. Reload a checkpoint or retrain with a lower learning rate`);
        throw new Error(
          `${this.modelName()}: the score of row ${i} for target '${this.targets[k]?.name ?? k}' is ${p[i]} although the weights are finite: ` +
            `that row's inputs hold extreme values, or the weights are so large that the forward pass overflows (retrain with a lower learning rate)`,
        );
      }
    }
  }

  /** Compute the compiled metrics (and 'loss') on labelled data. Multi-target metrics are suffixed with _<target>. */
  async evaluate(data: DataInput, opts: InferenceOptions = {}): Promise<Record<string, number>> {
    // metrics are chosen once, in compile(), so that fit's validation and evaluate report the same ones
    checkOptionKeys('evaluate options (metrics are set in compile())', opts, INFERENCE_KEYS);
    this.requireCompiled('evaluate');
    const ds = this.bindData(data, true);
    // evaluateBound's signature is shared with the subclasses that override it, so the callback travels in a field
    this.evaluateProgress = opts.onProgress ?? null;
    try {
      return this.evaluateBound(ds, opts.batchSize ?? 4096);
    } finally {
      this.evaluateProgress = null;
    }
  }

  /** Progress callback of the `evaluate` call in flight (none during fit's validation passes). */
  private evaluateProgress: InferenceOptions['onProgress'] | null = null;

  /** Metrics of `evaluate` (and of validation during fit) on bound data; models with their own metrics override it. */
  protected evaluateBound(ds: Dataset, batchSize: number): Record<string, number> {
    const c = this.requireCompiled('evaluate');
    const { preds, loss } = this.predictBound(ds, batchSize, true, this.evaluateProgress ?? undefined);
    const report: Record<string, number> = { loss };
    const groups = c.options.groupColumn ? (ds.column(c.options.groupColumn).data as Int32Array) : undefined;
    const scenarioColumn = c.options.scenarioColumn;
    const scenarios = scenarioColumn ? { column: scenarioColumn, ids: ds.column(scenarioColumn).data } : undefined;
    const tasks = this.targets.map((t, k) => ({ name: t.name, labels: ds.column(t.name).data as Float32Array, preds: preds[k], ignore: c.ignoreLabels[k] }));
    Object.assign(report, taskMetrics(c.metricNames, tasks, groups, scenarios, { threshold: c.options.threshold }));
    return report;
  }

  /** Train. Returns the per-epoch history. */
  async fit(train: DataInput, opts: FitOptions = {}): Promise<History> {
    checkOptionKeys('fit options', opts, FIT_KEYS);
    const c = this.requireCompiled('fit');
    const { epochs, batchSize } = checkLoopOptions('fit', opts);
    let data = this.bindData(train, true);
    let valid: Dataset | null = null;
    if (opts.validationSplit === undefined && (opts.validationSplitBy !== undefined || opts.validationSplitColumn !== undefined)) {
      throw new Error('fit: validationSplitBy / validationSplitColumn need validationSplit (the fraction to hold out, e.g. 0.1)');
    }
    if (opts.validationSplit !== undefined) {
      if (opts.validData) throw new Error('fit: pass either validData or validationSplit, not both');
      const split = this.validationSplit(train, data, opts);
      valid = data.subset(split.valid);
      data = data.subset(split.train);
    }
    const steps = opts.dropLast ? Math.floor(data.numRows / batchSize) : Math.ceil(data.numRows / batchSize);
    if (steps === 0) throw new Error(`fit: dropLast with batchSize ${batchSize} leaves no batch from ${data.numRows} rows`);
    const batches = (_epoch: number) =>
      mapIterable(this.trainBatches(data, batchSize, { shuffle: opts.shuffle ?? true, rng: this.trainRng, dropLast: opts.dropLast }), (indices) => ({ data, indices }));
    return this.trainLoop('fit', c, opts, epochs, batchSize, steps, createProgress(opts.verbose ?? 1), batches, valid);
  }

  /** Rows of `fit({ validationSplit })` (see basic/dataset/validation-split.ts). */
  private validationSplit(raw: DataInput, data: Dataset, opts: FitOptions): { train: Int32Array; valid: Int32Array } {
    const by: ValidationSplitBy = opts.validationSplitBy ?? 'random';
    let column: ArrayLike<number> | undefined;
    if (by === 'time' || by === 'group') {
      const name = opts.validationSplitColumn ?? (by === 'group' ? this.compiled?.options.groupColumn : undefined);
      if (!name) throw new Error(`fit: validationSplitBy '${by}' needs validationSplitColumn (the ${by === 'time' ? 'timestamp' : 'group id'} column)`);
      column = data.columns.get(name)?.data;
      if (!column && !(raw instanceof Dataset) && !Array.isArray(raw)) column = (raw as Record<string, ArrayLike<number>>)[name];
      if (!column && Array.isArray(raw)) column = raw.map((r) => Number((r as Record<string, unknown>)[name]));
      if (!column || column.length !== data.numRows) throw new Error(`fit: validationSplitColumn '${name}' is not a column of the training data with one value per row`);
    }
    return splitForValidation(data.numRows, opts.validationSplit!, by, (this.seed ^ 0x5eed) >>> 0, column);
  }

  /**
   * Train on a streamed source, for data larger than memory (e.g. `processor.batchSource('big.csv')`). Each epoch
   * pulls chunks from `source.chunks(epoch)`, shuffles rows within a buffer of `shuffleBuffer` rows using the
   * model's seeded generator, and trains on mini-batches as buffers fill, so memory is bounded by the buffer rather
   * than the data. Validation data (`validData`) is in memory; the other options behave as in `fit`.
   */
  async fitStream(source: BatchSource, opts: StreamFitOptions = {}): Promise<History> {
    checkOptionKeys('fitStream options', opts, STREAM_FIT_KEYS);
    const c = this.requireCompiled('fitStream');
    const { epochs, batchSize } = checkLoopOptions('fitStream', opts);
    if ((opts as FitOptions).validationSplit !== undefined) throw new Error('fitStream: validationSplit needs the rows in memory; pass validData instead');
    if (!source || typeof source.chunks !== 'function') throw new Error('fitStream: source must have a chunks(epoch) method (a BatchSource)');
    const bufferRows = opts.shuffleBuffer ?? defaultShuffleBuffer(batchSize);
    if (!Number.isInteger(bufferRows) || bufferRows < 0) throw new Error(`fitStream: shuffleBuffer must be a non-negative integer (got ${opts.shuffleBuffer})`);
    const known = source.numRows !== undefined && source.numRows > 0;
    // without a row count there is no total for a bar or for 10% log lines: report per epoch instead
    const progress = createProgress(opts.verbose === 1 || opts.verbose === undefined ? (known ? 1 : 2) : opts.verbose);
    const steps = known ? (opts.dropLast ? Math.floor(source.numRows! / batchSize) : Math.ceil(source.numRows! / batchSize)) : 0;
    const batches = (epoch: number) =>
      bufferedBatches(source.chunks(epoch), {
        batchSize,
        bufferRows,
        rng: (opts.shuffle ?? true) && bufferRows > 1 ? this.trainRng : null,
        dropLast: opts.dropLast,
        bind: (chunk) => this.bindData(chunk, true),
      });
    return this.trainLoop(`fitStream: ${source.description ?? 'the source'}`, c, opts, epochs, batchSize, steps, progress, batches);
  }

  /**
   * The epoch loop shared by fit and fitStream: training steps with progress, validation, history, early stopping,
   * checkpoints and best-epoch restore. `batches(epoch)` yields the rows of each step.
   */
  private async trainLoop(
    what: string,
    c: Compiled,
    opts: FitOptions,
    epochs: number,
    batchSize: number,
    stepsPerEpoch: number,
    progress: ProgressSink,
    batches: (epoch: number) => Iterable<TrainBatch> | AsyncIterable<TrainBatch>,
    heldOut: Dataset | null = null,
  ): Promise<History> {
    const valid = heldOut ?? (opts.validData ? this.bindData(opts.validData, true) : null);
    const schedule = c.controls.schedule;
    schedule?.beginFit(this.globalStep, Math.min(epochs * stepsPerEpoch, opts.maxSteps ?? Infinity));
    const plateau = schedule?.spec.type === 'plateau' ? resolveMonitor(schedule.spec.monitor, schedule.spec.mode, this.monitorContext(valid !== null, c), 'schedule') : null;
    const runLog = openRunLog(opts.runLog);
    try {
      return await this.epochLoop(what, c, opts, epochs, batchSize, stepsPerEpoch, progress, batches, valid, plateau, runLog);
    } finally {
      await runLog?.flush?.();
      await runLog?.close?.();
    }
  }

  private async epochLoop(
    what: string,
    c: Compiled,
    opts: FitOptions,
    epochs: number,
    batchSize: number,
    stepsPerEpoch: number,
    progress: ProgressSink,
    batches: (epoch: number) => Iterable<TrainBatch> | AsyncIterable<TrainBatch>,
    valid: Dataset | null,
    plateau: Monitor | null,
    runLog: RunLogSink | null,
  ): Promise<History> {
    const validBatch = opts.validBatchSize ?? Math.max(batchSize, 4096);
    const rule = resolveEarlyStopping(opts.earlyStopping, this.monitorContext(valid !== null, c));
    const es = rule ? new EarlyStoppingTracker<ModelSnapshot>(rule) : null;
    const history: History = { epochs: [], stoppedEarly: false };
    const warnedNaN = new Set<string>();
    let stepsLeft = opts.maxSteps ?? Infinity;
    for (let epoch = 1; epoch <= epochs && stepsLeft > 0; epoch++) {
      progress.startEpoch(epoch, epochs, Math.min(stepsPerEpoch, stepsLeft));
      const t0 = Date.now();
      let lossSum = 0;
      let seen = 0;
      let step = 0;
      const taskSums = this.targets.map(() => 0);
      let taskSeen = 0;
      for await (const { data, indices } of batches(epoch)) {
        if (this.savesInFlight.size) await Promise.all([...this.savesInFlight]);
        const loss = this.trainStep(data, indices, c);
        lossSum += loss * indices.length;
        if (this.lastTaskLosses) {
          this.lastTaskLosses.forEach((v, k) => (taskSums[k] += v * indices.length));
          taskSeen += indices.length;
        }
        seen += indices.length;
        step++;
        stepsLeft--;
        const samplesPerSec = seen / Math.max((Date.now() - t0) / 1000, 1e-9);
        progress.step(step, { loss: lossSum / seen, samplesPerSec, lr: this.lastLr });
        opts.onStep?.({ epoch, step, globalStep: this.globalStep, loss, lr: this.lastLr });
        if (runLog) {
          const rec: RunLogRecord = { kind: 'step', globalStep: this.globalStep, epoch, step, loss, lr: this.lastLr, samplesPerSec, time: Date.now() };
          this.lastTaskLosses?.forEach((v, k) => (rec[`loss_${this.targets[k].name}`] = v));
          runLog.write(rec);
        }
        if (stepsLeft <= 0) break;
      }
      if (seen === 0) throw new Error(`${what} gave no training batch in epoch ${epoch}`);
      const seconds = (Date.now() - t0) / 1000;
      const log: EpochLog = { epoch, loss: lossSum / seen, seconds, samplesPerSec: seen / Math.max(seconds, 1e-9), lr: this.lastLr };
      // multi-target models also log each target's (unweighted) training loss, e.g. loss_click, loss_conversion
      if (taskSeen === seen) this.targets.forEach((t, k) => (log[`loss_${t.name}`] = taskSums[k] / seen));
      if (c.balancer.method !== 'fixed') c.balancer.weights().forEach((w, k) => (log[`weight_${this.targets[k].name}`] = w));
      if (valid) for (const [k, v] of Object.entries(this.evaluateBound(valid, validBatch))) log[`val_${k}`] = v;
      const undefinedMetrics = Object.keys(log).filter((k) => k.startsWith('val_') && Number.isNaN(log[k]) && !warnedNaN.has(k));
      if (undefinedMetrics.length) {
        undefinedMetrics.forEach((k) => warnedNaN.add(k));
        // e.g. AUC on validation rows that are all of one class: the metric is undefined, not bad
        console.warn(`${this.modelName()}: ${undefinedMetrics.join(', ')} is NaN at epoch ${epoch} (validation labels of a single class?); early stopping ignores NaN values`);
      }
      history.epochs.push(log);
      progress.endEpoch(formatEpochLine(log, epochs));
      if (runLog) {
        runLog.write({ kind: 'epoch', globalStep: this.globalStep, time: Date.now(), ...log } as RunLogRecord);
        await runLog.flush?.();
      }
      if (plateau) {
        const reduced = c.controls.schedule!.endEpoch(monitoredValue(log, plateau.monitor, 'schedule'), plateau.mode);
        if (reduced !== null) progress.message(`reduce on plateau: ${plateau.monitor} did not improve; learning rate factor now ${reduced.toPrecision(3)}`);
      }
      await opts.onEpochEnd?.(log);
      if (es) {
        const { improved, stop } = es.observe(log, epoch, () => snapshotState(this));
        if (improved && opts.checkpointDir) await this.save(joinPath(opts.checkpointDir, 'best'));
        if (opts.checkpointDir) await this.save(joinPath(opts.checkpointDir, 'last'));
        if (stop) {
          history.stoppedEarly = true;
          progress.message(es.stopMessage(epoch));
          break;
        }
      } else if (opts.checkpointDir) {
        await this.save(joinPath(opts.checkpointDir, 'last'));
      }
    }
    if (this.savesInFlight.size) await Promise.all([...this.savesInFlight]);
    const best = es?.best;
    if (es && best) {
      history.best = { epoch: best.epoch, monitor: es.rule.monitor, value: best.value };
      if (best.snapshot && best.epoch !== history.epochs[history.epochs.length - 1].epoch) {
        restoreSnapshot(this, best.snapshot);
        progress.message(`restored weights of epoch ${best.epoch} (${es.rule.monitor} ${best.value.toFixed(5)})`);
      }
    }
    return history;
  }

  private monitorContext(hasValid: boolean, c: Compiled): MonitorContext {
    return { targets: this.targets.map((t) => t.name), metricNames: c.metricNames, hasValid };
  }

  // ---------------------------------------------------------------- persistence

  /**
   * Save config, weights, embedding tables and optimizer state to a directory (Node) or a ModelStore, as one
   * transaction. `{ weightsOnly: true }` writes only what scoring needs (for serving; see {@link SaveOptions}).
   */
  async save(target: string | ModelStore, opts: SaveOptions = {}): Promise<void> {
    checkOptionKeys('save options', opts, { weightsOnly: true });
    // registered before the first await: a save started from fit's onStep holds the next step back until it is
    // written, so it never mixes weights of different steps
    const run = (async () => writeAtomically(await resolveStore(target), (s) => this.writeSave(s, opts)))();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.savesInFlight.add(settled);
    try {
      await run;
    } finally {
      this.savesInFlight.delete(settled);
    }
  }

  /** Saves started but not finished (fit waits for them between steps). */
  private readonly savesInFlight = new Set<Promise<void>>();

  /** Write this model's files into one save transaction (subclasses add their own files after these). */
  protected async writeSave(store: ModelStore, opts: SaveOptions = {}): Promise<void> {
    await saveModelState(this, store, opts);
  }

  /** Load a model saved with `save`. Called on a subclass, checks the saved class matches. */
  static async load<M extends BaseModel>(this: { modelName: string }, source: string | ModelStore): Promise<M> {
    const store = await resolveStore(source);
    return (await restoreModelState(store, this.modelName === 'BaseModel' ? null : this.modelName)) as M;
  }

  /**
   * The model as ONNX bytes plus its input/output signature (see src/basic/onnx). Needs the exporter, which
   * the Node entry ('nextrec-ts') installs; `import 'nextrec-ts/dist/basic/onnx'` does too.
   */
  async toOnnx(opts: OnnxExportOptions = {}): Promise<OnnxExport> {
    return onnxExporterOrThrow()(this, opts);
  }

  /**
   * Write the model as an ONNX file (`path`, e.g. 'runs/deepfm/model.onnx') and its signature next to it
   * (`<path>.json`: input names, dtypes and shapes). Score it with ONNX Runtime in any language.
   */
  async exportOnnx(path: string, opts: OnnxExportOptions = {}): Promise<OnnxExport> {
    if (typeof path !== 'string' || !path) throw new Error(`exportOnnx: path must be a file path such as 'model.onnx' (got ${String(path)})`);
    const exported = await this.toOnnx(opts);
    const cut = path.lastIndexOf('/');
    const store = await resolveStore(cut > 0 ? path.slice(0, cut) : cut === 0 ? '/' : '.');
    const file = path.slice(cut + 1);
    await store.writeBytes(file, exported.bytes);
    await store.writeJson(`${file}.json`, exported.signature);
    return exported;
  }

  /** Serializable constructor config (features as plain specs). */
  configForSave(): unknown {
    return encodeConfig(this.config);
  }

  /** Internal state needed by persistence. */
  internals(): { compiled: Compiled | null; globalStep: number; setGlobalStep(n: number): void; trainRngState: Rng } {
    return {
      compiled: this.compiled,
      globalStep: this.globalStep,
      setGlobalStep: (n: number) => (this.globalStep = n),
      trainRngState: this.trainRng,
    };
  }

  /** Number of parameters: dense (tfjs) and embedding (host tables). */
  parameterCount(): { dense: number; embedding: number; total: number } {
    const dense = this.namedParams()
      .filter(([, p]) => p.trainable)
      .reduce((s, [, p]) => s + p.variable.size, 0);
    const embedding = this.embeddings.parameterCount();
    return { dense, embedding, total: dense + embedding };
  }

  /**
   * A table of the model's modules (with output shapes from a 2-row probe forward pass), its embedding tables and
   * parameter counts (dense and embedding). Printed unless `print` is false; always returned.
   */
  summary(opts: { print?: boolean } = {}): string {
    const probe = () => {
      const ds = Dataset.bind(probeColumns(this.allFeatures()), this.allFeatures());
      this.inferBatch(ds, Int32Array.of(0, 1), false);
    };
    const { rows, probeError } = summaryRows(this, this.embeddings, probe);
    const counts = this.parameterCount();
    const text = formatSummary(`${this.modelName()} summary`, rows, counts, probeError);
    if (opts.print ?? true) console.log(text);
    return text;
  }

  /** Release tfjs memory held by this model. */
  dispose(): void {
    this.disposeParams();
    this.compiled?.dense.dispose();
    this.compiled?.balancer.dispose();
    this.compiled = null;
  }
}

/** Rows of one training step. */
interface TrainBatch {
  data: Dataset;
  indices: Int32Array;
}

function* mapIterable<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of items) yield f(a);
}

/** Fail early with a usable message instead of tfjs' internal one when no backend has been initialised yet. */
function assertBackendReady(): void {
  try {
    tf.backend();
  } catch {
    throw new Error("no tfjs backend is ready: call `await initBackend()` (from 'nextrec-ts') before creating models");
  }
}
