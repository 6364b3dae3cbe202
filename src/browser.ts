/**
 * Browser / edge entry point of nextrec-ts: the models, features, stores and a wasm-only initBackend, with
 * nothing that needs Node (no file system, DuckDB, CSV reader, worker threads or terminal progress bars) and
 * only @tensorflow/tfjs-core + the wasm backend from tfjs. Bundlers pick it through package.json's
 * `exports` "browser" condition; it is also importable as 'nextrec-ts/browser'.
 */
import 'reflect-metadata';
export * from './basic/features';
export * from './basic/random';
export * from './basic/metrics';
export { models as modelRegistry } from './basic/model/model-registry';
export { initBackend, backendInfo } from './basic/backend/browser';
export type { BrowserBackendOptions, BackendInfo, WasmPaths } from './basic/backend/browser';
export * from './basic/store';
export * from './basic/fetch-store';
export * from './basic/model/base-model';
export * from './basic/model/types';
export * from './basic/dataset/dataset';
export * from './models/ranking';
export * from './models/match';
export * from './models/multitask';
export { HSTU, SASRec, HSTURanker, SequentialRecommender } from './models/generative';
export type { HSTUConfig, SASRecConfig, HSTURankerConfig, SequentialRecommenderConfig } from './models/generative';
