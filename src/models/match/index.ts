export { MatchModel, bestInterest, readEmbeddings } from './match-model';
export type {
  MatchModelConfig,
  MatchTrainingMode,
  NegativeSource,
  Similarity,
  UserTowerInputs,
  ItemTowerInputs,
  UserRepresentation,
  RecommendOptions,
  Recommendations,
  RetrievalEvalOptions,
  EmbeddingMatrix,
  EmbeddingExportManifest,
  ItemIndexKind,
  HnswOptions,
} from './match-model';
export { DSSM } from './dssm';
export type { DSSMConfig } from './dssm';
export { YouTubeDNN } from './youtube-dnn';
export type { YouTubeDNNConfig } from './youtube-dnn';
export { MIND, labelAwareAttention } from './mind';
export type { MINDConfig } from './mind';
export { ComiRec } from './comirec';
export type { ComiRecConfig, DiverseRecommendOptions } from './comirec';
export { SDM } from './sdm';
export type { SDMConfig } from './sdm';
