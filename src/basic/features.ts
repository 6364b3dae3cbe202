import 'reflect-metadata';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
  validateSync,
  ValidationError,
} from 'class-validator';
import { Type } from 'class-transformer';

/** Raised when a feature declaration is invalid; the message names the feature and every offending field. */
export class FeatureSpecError extends Error {
  constructor(
    readonly featureKind: string,
    readonly featureName: string,
    readonly fields: string[],
    message: string,
  ) {
    super(message);
    this.name = 'FeatureSpecError';
  }
}

/** How a freshly created embedding row is initialised. */
export class EmbeddingInitializer {
  /** 'normal' (mean 0, `std`), 'uniform' (in [-scale, scale]) or 'zeros'. */
  @IsIn(['normal', 'uniform', 'zeros'])
  type: 'normal' | 'uniform' | 'zeros' = 'normal';

  @IsOptional()
  @IsNumber()
  @Min(0)
  std?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  scale?: number;
}

/** Pooling applied to a sequence feature's embeddings when a model needs one vector per row. */
export type SequencePooling = 'mean' | 'sum' | 'max' | 'attention' | 'none';

function flattenErrors(errors: ValidationError[], prefix = ''): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      const got = JSON.stringify(e.value);
      for (const text of Object.values(e.constraints)) out.push({ field, text: `${text} (got ${got})` });
    }
    if (e.children && e.children.length) out.push(...flattenErrors(e.children, field));
  }
  return out;
}

/** Validate a decorated spec object, throwing a FeatureSpecError that names the feature and its bad fields. */
function assertValid(spec: { name?: unknown }, kind: string): void {
  const errors = validateSync(spec, { forbidUnknownValues: false });
  if (errors.length === 0) return;
  const flat = flattenErrors(errors);
  const name = typeof spec.name === 'string' && spec.name ? spec.name : '<unnamed>';
  const details = flat.map((f) => `  - ${f.field}: ${f.text}`).join('\n');
  throw new FeatureSpecError(kind, name, [...new Set(flat.map((f) => f.field))], `${kind} '${name}' is invalid:\n${details}`);
}

function rejectUnknownKeys(kind: string, init: object, allowed: readonly string[]): void {
  const unknown = Object.keys(init).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    const name = (init as { name?: string }).name ?? '<unnamed>';
    throw new FeatureSpecError(
      kind,
      name,
      unknown,
      `${kind} '${name}' has unknown option(s) ${unknown.map((u) => `'${u}'`).join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  }
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** Options shared by features that own an embedding table. */
export interface EmbeddedFeatureInit {
  /** Column name in the data. */
  name: string;
  /** Number of rows in the table, including row 0 which is reserved for padding / unknown ids. */
  vocabSize: number;
  /** Embedding width (default 16). */
  embeddingDim?: number;
  /** Features with the same `embeddingName` share one table (their vocabSize and embeddingDim must agree). */
  embeddingName?: string;
  /** Map raw non-negative integer ids into [1, vocabSize) with a hash instead of requiring them to be in range. */
  hashing?: boolean;
  /** Number of independent hash functions (each with its own table); the embedding is their sum. Implies hashing. */
  numHashes?: number;
  /** Row initialiser (default normal with std 0.01). */
  initializer?: { type: 'normal' | 'uniform' | 'zeros'; std?: number; scale?: number };
  /** L2 penalty applied to the rows touched in a step (overrides the model-wide embedding L2). */
  l2?: number;
  /**
   * false: the feature's embedding table is frozen, never updated by training (e.g. pretrained vectors set with
   * `model.embeddings.setPretrained`). Its first-order ('linear') weights, if a model uses them, still train.
   * Default true.
   */
  trainable?: boolean;
}

abstract class EmbeddedFeature {
  @IsString()
  @IsNotEmpty()
  @Matches(NAME_PATTERN, { message: 'name must start with a letter or _ and contain only letters, digits, _ . : -' })
  name!: string;

  @IsInt()
  @Min(2)
  vocabSize!: number;

  @IsInt()
  @Min(1)
  @Max(4096)
  embeddingDim = 16;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  embeddingName?: string;

  @IsOptional()
  hashing?: boolean;

  @IsInt()
  @Min(1)
  @Max(8)
  numHashes = 1;

  @ValidateNested()
  @Type(() => EmbeddingInitializer)
  initializer: EmbeddingInitializer = Object.assign(new EmbeddingInitializer(), { type: 'normal', std: 0.01 });

  @IsOptional()
  @IsNumber()
  @Min(0)
  l2?: number;

  @IsOptional()
  @IsBoolean()
  trainable?: boolean;

  protected assign(init: EmbeddedFeatureInit): void {
    Object.assign(this, { ...init });
    if (init.initializer) this.initializer = Object.assign(new EmbeddingInitializer(), init.initializer);
    if (this.numHashes > 1) this.hashing = true;
  }

  /** Name of the embedding table this feature reads (shared when embeddingName is set). */
  get tableName(): string {
    return this.embeddingName ?? this.name;
  }
}

const EMBEDDED_KEYS = ['name', 'vocabSize', 'embeddingDim', 'embeddingName', 'hashing', 'numHashes', 'initializer', 'l2', 'trainable'] as const;

/** A categorical feature: one integer id per row, looked up in an embedding table. */
export class SparseFeature extends EmbeddedFeature {
  readonly kind = 'sparse' as const;

  constructor(init: EmbeddedFeatureInit) {
    super();
    rejectUnknownKeys('SparseFeature', init ?? {}, EMBEDDED_KEYS);
    this.assign(init);
    assertValid(this, 'SparseFeature');
  }
}

/** Options of a sequence (multi-valued) feature. */
export interface SequenceFeatureInit extends EmbeddedFeatureInit {
  /** Rows are padded with id 0 or truncated (keeping the most recent, i.e. last, items) to this length. */
  maxLen: number;
  /** How a model that needs one vector per row pools the sequence (default 'mean'; 'none' keeps [B, L, D]). */
  pooling?: SequencePooling;
}

/** A variable-length list of ids per row (e.g. a behaviour history); id 0 is padding. */
export class SequenceFeature extends EmbeddedFeature {
  readonly kind = 'sequence' as const;

  @IsInt()
  @Min(1)
  @Max(100000)
  maxLen!: number;

  @IsIn(['mean', 'sum', 'max', 'attention', 'none'])
  pooling: SequencePooling = 'mean';

  constructor(init: SequenceFeatureInit) {
    super();
    rejectUnknownKeys('SequenceFeature', init ?? {}, [...EMBEDDED_KEYS, 'maxLen', 'pooling']);
    this.assign(init);
    assertValid(this, 'SequenceFeature');
  }
}

/** Options of a numeric feature. */
export interface DenseFeatureInit {
  name: string;
  /** Number of floats per row (default 1). */
  dim?: number;
}

/** A numeric feature of `dim` floats per row, fed to the model as is (scale it in the DataProcessor). */
export class DenseFeature {
  readonly kind = 'dense' as const;

  @IsString()
  @IsNotEmpty()
  @Matches(NAME_PATTERN, { message: 'name must start with a letter or _ and contain only letters, digits, _ . : -' })
  name!: string;

  @IsInt()
  @Min(1)
  @Max(100000)
  dim = 1;

  constructor(init: DenseFeatureInit) {
    rejectUnknownKeys('DenseFeature', init ?? {}, ['name', 'dim']);
    Object.assign(this, { ...init });
    assertValid(this, 'DenseFeature');
  }
}

/** Any declared feature. */
export type Feature = SparseFeature | SequenceFeature | DenseFeature;
/** A feature that owns (or shares) an embedding table. */
export type EmbeddedFeatureType = SparseFeature | SequenceFeature;

/** Plain-object form of a feature, as stored in configs and model manifests. */
export type FeatureSpec =
  | ({ kind: 'sparse' } & EmbeddedFeatureInit)
  | ({ kind: 'sequence' } & SequenceFeatureInit)
  | ({ kind: 'dense' } & DenseFeatureInit);

/** Serialise a feature to its plain spec. */
export function featureToSpec(f: Feature): FeatureSpec {
  if (f.kind === 'dense') return { kind: 'dense', name: f.name, dim: f.dim };
  const base: EmbeddedFeatureInit = {
    name: f.name,
    vocabSize: f.vocabSize,
    embeddingDim: f.embeddingDim,
    numHashes: f.numHashes,
    initializer: { ...f.initializer },
  };
  if (f.embeddingName !== undefined) base.embeddingName = f.embeddingName;
  if (f.hashing !== undefined) base.hashing = f.hashing;
  if (f.l2 !== undefined) base.l2 = f.l2;
  if (f.trainable !== undefined) base.trainable = f.trainable;
  if (f.kind === 'sparse') return { kind: 'sparse', ...base };
  return { kind: 'sequence', ...base, maxLen: f.maxLen, pooling: f.pooling };
}

/** Rebuild a feature from its plain spec (validating it again). */
export function featureFromSpec(spec: FeatureSpec): Feature {
  const { kind, ...rest } = spec;
  if (kind === 'sparse') return new SparseFeature(rest as EmbeddedFeatureInit);
  if (kind === 'sequence') return new SequenceFeature(rest as SequenceFeatureInit);
  if (kind === 'dense') return new DenseFeature(rest as DenseFeatureInit);
  throw new FeatureSpecError(String(kind), (spec as { name?: string }).name ?? '<unnamed>', ['kind'], `unknown feature kind '${String(kind)}'`);
}

/**
 * Check a set of features as a whole: unique names, and features sharing a table agree on its shape.
 * Throws FeatureSpecError naming the conflicting features.
 */
export function validateFeatureSet(features: readonly Feature[]): void {
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) throw new FeatureSpecError(f.constructor.name, f.name, ['name'], `feature name '${f.name}' is declared twice`);
    seen.add(f.name);
  }
  const tables = new Map<string, EmbeddedFeatureType>();
  for (const f of features) {
    if (f.kind === 'dense') continue;
    const other = tables.get(f.tableName);
    if (!other) {
      tables.set(f.tableName, f);
      continue;
    }
    for (const field of ['vocabSize', 'embeddingDim', 'numHashes', 'trainable'] as const) {
      if (other[field] !== f[field]) {
        throw new FeatureSpecError(
          f.constructor.name,
          f.name,
          [field],
          `features '${other.name}' and '${f.name}' share table '${f.tableName}' but have different ${field} (${other[field]} vs ${f[field]})`,
        );
      }
    }
  }
}
