import { checkOptionKeys, KeySchema } from '../options-schema';
import { COMPILE_OPTION_KEYS, FIT_OPTION_KEYS, INFERENCE_OPTION_KEYS, MODEL_OPTION_KEYS, STREAM_FIT_OPTION_KEYS } from './option-schemas.generated';

/*
 * Options being added on other branches at the same time (issue 17: schedules, clipping, L1, task balancing,
 * ignored labels; issue 16/17: validation split and run log). Listed here so that strict checking accepts them
 * as soon as those branches merge; once their interfaces are in, regenerating option-schemas.generated.ts
 * covers them and these lines can go.
 */
const PENDING_COMPILE_KEYS: KeySchema = { schedule: true, clipNorm: true, clipValue: true, l1: true, taskBalancing: true, ignoreLabel: true };
const PENDING_FIT_KEYS: KeySchema = { validationSplit: true, validationSplitBy: true, runLog: true };

export const COMPILE_KEYS: KeySchema = { ...COMPILE_OPTION_KEYS, ...PENDING_COMPILE_KEYS };
export const FIT_KEYS: KeySchema = { ...FIT_OPTION_KEYS, ...PENDING_FIT_KEYS };
export const STREAM_FIT_KEYS: KeySchema = { ...STREAM_FIT_OPTION_KEYS, ...PENDING_FIT_KEYS };
export const INFERENCE_KEYS: KeySchema = INFERENCE_OPTION_KEYS;

/** The declared config keys of a model class, or null for a class registered outside the library. */
export function modelOptionKeys(modelName: string): KeySchema | null {
  return Object.prototype.hasOwnProperty.call(MODEL_OPTION_KEYS, modelName) ? MODEL_OPTION_KEYS[modelName] : null;
}

/** Configs already checked by a subclass constructor that rewrote them before calling super (see checkedConfig). */
const checkedConfigs = new WeakSet<object>();

/** Check a model's constructor config against the keys its interface declares (names the key, suggests a fix). */
export function checkModelConfig(modelName: string, config: unknown): void {
  if (config && typeof config === 'object' && checkedConfigs.has(config)) return;
  const keys = modelOptionKeys(modelName);
  if (keys) checkOptionKeys(`${modelName} options`, config, keys);
}

/**
 * For constructors that pass super() a rewritten config (adding keys the user may not write): check the user's
 * config now and mark the rewritten one as checked.
 */
export function checkedConfig<T extends object>(modelName: string, userConfig: unknown, derived: T): T {
  checkModelConfig(modelName, userConfig);
  checkedConfigs.add(derived);
  return derived;
}
