/** Tiny instances of every registered model on one shared feature set, for the ONNX export tests and benchmark. */
import { DenseFeature, SequenceFeature, SparseFeature } from '../../src/basic/features';
import { Rng } from '../../src/basic/random';
import { BaseModel } from '../../src/basic/model/base-model';
import { DeepFM, DCNv2, DIN, DIEN, LR, FM, FFM, AFM, NFM, PNN, WideDeep, XDeepFM, DCN, AutoInt, FiBiNET, DLRM, MaskNet, EulerNet, BST, OneTrans } from '../../src/models/ranking';
import { SharedBottom, MMoE, PLE, ESMM, POSO, CrossStitch, AITM, HMoE, PEPNet, APG, SNRTrans } from '../../src/models/multitask';
import { DSSM, YouTubeDNN, MIND, ComiRec, MatchModel } from '../../src/models/match';
import { syntheticRetrieval } from '../../src/data/synthetic/retrieval';

/** Small retrieval task (users with histories, 40 items) for the match models. */
export const matchTask = () => syntheticRetrieval({ numUsers: 60, numItems: 40, numClusters: 4, clustersPerUser: [1, 2], historyLen: 5, trainPerUser: 4, testPerUser: 1, embeddingDim: 8, seed: 5 });

type MatchTask = ReturnType<typeof matchTask>;

/** Match models: exported as the user tower (user columns -> user vectors) plus the item embedding matrix. */
export const MATCH_ZOO: Array<[string, (t: MatchTask) => MatchModel]> = [
  ['DSSM', (t) => new DSSM({ userFeatures: t.userFeatures, itemFeatures: t.itemFeatures, userMlp: { dims: [16] }, itemMlp: { dims: [16] }, outputDim: 8, seed: 3 })],
  ['YouTubeDNN', (t) => new YouTubeDNN({ userFeatures: t.userFeatures, itemFeatures: t.itemFeatures, mlp: { dims: [16] }, seed: 3 })],
  ['MIND', (t) => new MIND({ userFeatures: t.userFeatures, itemFeatures: t.itemFeatures, numInterests: 3, mlp: { dims: [16] }, seed: 3 })],
  ['ComiRec', (t) => new ComiRec({ userFeatures: t.userFeatures.filter((f) => f.name === 'hist'), itemFeatures: t.itemFeatures, numInterests: 3, seed: 3 })],
  ['ComiRec-DR', (t) => new ComiRec({ userFeatures: t.userFeatures.filter((f) => f.name === 'hist'), itemFeatures: t.itemFeatures, variant: 'dr', numInterests: 3, seed: 3 })],
];

const item = { vocabSize: 40, embeddingDim: 8, embeddingName: 'item' };
export const zooFeatures = () => ({
  sparseFeatures: [new SparseFeature({ name: 'item', ...item }), new SparseFeature({ name: 'user', vocabSize: 30, embeddingDim: 8 }), new SparseFeature({ name: 'segment', vocabSize: 4, embeddingDim: 8 })],
  sequenceFeatures: [new SequenceFeature({ name: 'hist', maxLen: 6, ...item })],
  denseFeatures: [new DenseFeature({ name: 'price' }), new DenseFeature({ name: 'ctx', dim: 2 })],
});
const roles = { behaviorFeature: 'hist', targetItemFeature: 'item', contextFeatures: ['user', 'segment', 'price', 'ctx'] };
const tasks = { targets: ['click', 'like'] };
const small = { dims: [16] };

/** Columns for `rows` rows: ids in range, histories of varying length padded with 0, labels for every target. */
export function zooData(rows: number, seed = 1): Record<string, Int32Array | Float32Array> {
  const rng = new Rng(seed);
  const int = (n: number) => Int32Array.from({ length: rows }, () => 1 + Math.floor(rng.uniform(0, n - 1)));
  const hist = new Int32Array(rows * 6);
  for (let i = 0; i < rows; i++) {
    const len = 1 + Math.floor(rng.uniform(0, 6));
    for (let j = 0; j < len; j++) hist[i * 6 + j] = 1 + Math.floor(rng.uniform(0, 39));
  }
  const label = () => Float32Array.from({ length: rows }, () => (rng.uniform(0, 1) < 0.3 ? 1 : 0));
  const click = label();
  return {
    item: int(40),
    user: int(30),
    segment: int(4),
    hist,
    price: Float32Array.from({ length: rows }, () => rng.uniform(-1, 1)),
    ctx: Float32Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1)),
    label: label(),
    click,
    like: label(),
    // a conversion needs a click (ESMM's second label is click AND conversion)
    conversion: Float32Array.from(click, (c) => (c === 1 && rng.uniform(0, 1) < 0.5 ? 1 : 0)),
  };
}

/** Ranking and multi-task models: exported as one graph from raw columns to predictions. */
export const RANKING_ZOO: Array<[string, () => BaseModel]> = [
  ['DeepFM', () => new DeepFM({ ...zooFeatures(), mlp: { dims: [16, 8], batchNorm: true }, seed: 1 })],
  ['DCNv2', () => new DCNv2({ ...zooFeatures(), cross: { numLayers: 2 }, mlp: small, seed: 1 })],
  ['DIN', () => new DIN({ ...zooFeatures(), ...roles, attention: { dims: [16, 8] }, mlp: small, seed: 1 })],
  ['DIEN', () => new DIEN({ ...zooFeatures(), ...roles, mlp: small, seed: 1 } as ConstructorParameters<typeof DIEN>[0])],
  ['SharedBottom', () => new SharedBottom({ ...zooFeatures(), ...tasks, bottom: small, tower: { dims: [8] }, seed: 1 })],
  ['MMoE', () => new MMoE({ ...zooFeatures(), ...tasks, numExperts: 3, expert: small, tower: { dims: [8] }, seed: 1 })],
  ['PLE', () => new PLE({ ...zooFeatures(), ...tasks, numLevels: 2, taskExperts: 1, sharedExperts: 2, expert: small, tower: { dims: [8] }, seed: 1 })],
  ['ESMM', () => new ESMM({ ...zooFeatures(), ctrTower: small, cvrTower: small, seed: 1 })],
  ['POSO', () => new POSO({ ...zooFeatures(), ...tasks, personalizationFeatures: ['segment', 'price'], mlp: small, seed: 1 })],
  ['LR', () => new LR({ ...zooFeatures(), sequenceFeatures: [], seed: 1 })],
  ['FM', () => new FM({ ...zooFeatures(), seed: 1 })],
  ['FFM', () => new FFM({ ...zooFeatures(), sequenceFeatures: [], seed: 1 })],
  ['AFM', () => new AFM({ ...zooFeatures(), attentionDim: 4, seed: 1 })],
  ['NFM', () => new NFM({ ...zooFeatures(), mlp: small, seed: 1 })],
  ['PNN', () => new PNN({ ...zooFeatures(), product: 'inner', mlp: small, seed: 1 })],
  ['WideDeep', () => new WideDeep({ ...zooFeatures(), mlp: small, seed: 1 })],
  ['xDeepFM', () => new XDeepFM({ ...zooFeatures(), cin: { layerSizes: [4, 4] }, mlp: small, seed: 1 })],
  ['DCN', () => new DCN({ ...zooFeatures(), numCrossLayers: 2, mlp: small, seed: 1 })],
  ['AutoInt', () => new AutoInt({ ...zooFeatures(), numLayers: 2, mlp: small, seed: 1 })],
  ['FiBiNET', () => new FiBiNET({ ...zooFeatures(), reductionRatio: 2, mlp: small, seed: 1 })],
  ['DLRM', () => new DLRM({ ...zooFeatures(), bottomMlp: { dims: [16] }, topMlp: small, seed: 1 })],
  ['MaskNet', () => new MaskNet({ ...zooFeatures(), structure: 'parallel', numBlocks: 2, blockDim: 8, mlp: small, seed: 1 })],
  ['EulerNet', () => new EulerNet({ ...zooFeatures(), orderList: [4, 4], seed: 1 })],
  ['BST', () => new BST({ ...zooFeatures(), ...roles, numBlocks: 1, mlp: small, seed: 1 })],
  // with sequence features its export is refused (test/onnx-export.test.ts)
  ['OneTrans', () => new OneTrans({ ...zooFeatures(), sequenceFeatures: [], numBlocks: 2, mlp: small, seed: 1 })],
  ['OneTrans-split', () => new OneTrans({ ...zooFeatures(), sequenceFeatures: [], tokenizer: 'split', numNsTokens: 3, numBlocks: 3, mlp: small, seed: 1 })],
  ['CrossStitch', () => new CrossStitch({ ...zooFeatures(), ...tasks, column: { dims: [16, 8] }, seed: 1 })],
  ['AITM', () => new AITM({ ...zooFeatures(), ...tasks, encoder: { dims: [16, 8] }, seed: 1 })],
  ['HMoE', () => new HMoE({ ...zooFeatures(), ...tasks, scenarioFeature: 'segment', sharedExperts: 2, scenarioExperts: 1, expert: small, seed: 1 })],
  ['PEPNet', () => new PEPNet({ ...zooFeatures(), ...tasks, domainFeatures: ['segment'], personalizationFeatures: ['user', 'price'], tower: small, gate: { dims: [8] }, seed: 1 } as ConstructorParameters<typeof PEPNet>[0])],
  ['APG', () => new APG({ ...zooFeatures(), ...tasks, conditionFeatures: ['segment'], dims: [16, 8], rank: 4, seed: 1 })],
  ['SNRTrans', () => new SNRTrans({ ...zooFeatures(), ...tasks, numLower: 2, lower: small, upperDim: 8, seed: 1 })],
];
