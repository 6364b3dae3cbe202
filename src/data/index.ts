export * from './dataset';
export { syntheticCtr } from './synthetic/ctr';
export type { SyntheticCtr, SyntheticCtrOptions, SyntheticSplit } from './synthetic/ctr';
import { syntheticCtr } from './synthetic/ctr';

/** Built-in datasets (synthetic generators; loaders for public datasets read local files). */
export const datasets = { syntheticCtr };
