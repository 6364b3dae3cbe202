export * from '../basic/dataset/dataset';
export * from './raw';
export * from '../basic/dataset/stream';
export * from './processor';
export { csvSource } from './readers/csv';
export type { CsvSourceOptions } from './readers/csv';
export { DuckDbSource, duckdbSource, parquetSource } from './readers/duckdb';
export type { DuckDbSourceOptions } from './readers/duckdb';
export { jsonlSource } from './readers/jsonl';
export type { JsonlSourceOptions } from './readers/jsonl';
export { openPath } from './readers/open';
export * from './loaders';
export { syntheticCtr } from './synthetic/ctr';
export type { SyntheticCtr, SyntheticCtrOptions, SyntheticSplit } from './synthetic/ctr';
export { syntheticCtrStream } from './synthetic/ctr-stream';
export type { SyntheticCtrStream, SyntheticCtrStreamOptions } from './synthetic/ctr-stream';
export { syntheticRetrieval } from './synthetic/retrieval';
export type { SyntheticRetrieval, SyntheticRetrievalOptions, RetrievalOracle } from './synthetic/retrieval';
export { syntheticNextItem } from './synthetic/next-item';
export type { SyntheticNextItem, SyntheticNextItemOptions, NextItemOracle } from './synthetic/next-item';
export { syntheticCross3 } from './synthetic/cross3';
export type { SyntheticCross3, SyntheticCross3Options } from './synthetic/cross3';
export { syntheticInterestSequence } from './synthetic/interest-sequence';
export type { SyntheticInterestSequence, SyntheticInterestSequenceOptions } from './synthetic/interest-sequence';
export { syntheticFunnel, filterRows } from './synthetic/funnel';
export type { SyntheticFunnel, SyntheticFunnelOptions, FunnelOracle } from './synthetic/funnel';
export { syntheticTwoTasks } from './synthetic/multitask';
export type { SyntheticTwoTasks, SyntheticTwoTasksOptions } from './synthetic/multitask';
export { syntheticColdStart } from './synthetic/coldstart';
export { syntheticMultiScenario } from './synthetic/multi-scenario';
export type { SyntheticMultiScenario, SyntheticMultiScenarioOptions } from './synthetic/multi-scenario';
export type { SyntheticColdStart, SyntheticColdStartOptions, ColdStartOracle } from './synthetic/coldstart';
import { syntheticFunnel } from './synthetic/funnel';
import { syntheticTwoTasks } from './synthetic/multitask';
import { syntheticColdStart } from './synthetic/coldstart';
import { syntheticMultiScenario } from './synthetic/multi-scenario';
import { syntheticCtr } from './synthetic/ctr';
import { syntheticCross3 } from './synthetic/cross3';
import { syntheticInterestSequence } from './synthetic/interest-sequence';
import { syntheticCtrStream } from './synthetic/ctr-stream';
import { syntheticRetrieval } from './synthetic/retrieval';
import { syntheticNextItem } from './synthetic/next-item';
import { loadAliCCP, loadAmazonReviews, loadAvazu, loadCensusIncome, loadCriteo, loadMovieLens100K, loadMovieLens1M } from './loaders';

/** Built-in datasets: synthetic generators, and loaders that read public datasets from local files. */
export const datasets = {
  syntheticCtr,
  syntheticCtrStream,
  syntheticCross3,
  syntheticFunnel,
  syntheticTwoTasks,
  syntheticColdStart,
  syntheticMultiScenario,
  syntheticInterestSequence,
  syntheticRetrieval,
  syntheticNextItem,
  loadMovieLens100K,
  loadMovieLens1M,
  loadCriteo,
  loadAvazu,
  loadAmazonReviews,
  loadAliCCP,
  loadCensusIncome,
};
