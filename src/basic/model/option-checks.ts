import { checkOptionKeys, KeySchema } from '../options-schema';
import { COMPILE_OPTION_KEYS, FIT_OPTION_KEYS, INFERENCE_OPTION_KEYS, MODEL_OPTION_KEYS, STREAM_FIT_OPTION_KEYS } from './option-schemas.generated';

export const COMPILE_KEYS: KeySchema = COMPILE_OPTION_KEYS;
export const FIT_KEYS: KeySchema = FIT_OPTION_KEYS;
export const STREAM_FIT_KEYS: KeySchema = STREAM_FIT_OPTION_KEYS;
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
