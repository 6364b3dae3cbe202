/**
 * Training throughput at batch 1024 of the ranking models of issue #4 on synthetic data:
 *   DCNv2: 7 sparse fields x dim 16, 3 cross layers (full rank, and the low-rank mixture), MLP [256, 128] + BN
 *          (the DESIGN.md reference configuration: torch-rechub does ~126k samples/s on this machine kind);
 *   DIN / DIEN: behaviour histories of maxLen 20 (and 50 for DIEN), item dim 16, attention [80, 40], MLP [200, 80].
 * One process (the backend is process-global); wall and CPU time per step are both printed because the
 * machines are shared and noisy: compare rows of one run, not runs.
 *
 * DeepFM on the DCNv2 data is printed first as the yardstick.
 *
 * The issue-13 zoo (LR, FM, FFM, AFM, NFM, PNN, WideDeep, xDeepFM, DCN) runs on the same 7 fields x 16 data, each
 * with the deep part of the reference configuration (MLP [256, 128] + BN) where it has one.
 *
 *   npx ts-node --transpile-only benchmarks/ranking-throughput.ts [--steps 20] [--threads 1] [--only DeepFM,DCNv2,DIN,DIEN]
 *   npx ts-node --transpile-only benchmarks/ranking-throughput.ts --only LR,FM,FFM,AFM,NFM,PNN,WideDeep,xDeepFM,DCN
 */
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { SparseFeature } from '../src/basic/features';
import { Rng } from '../src/basic/random';
import { BaseModel } from '../src/basic/model/base-model';
import { ColumnarInput } from '../src/basic/dataset/dataset';
import { syntheticInterestSequence } from '../src/data/synthetic/interest-sequence';
import { DCNv2 } from '../src/models/ranking/dcnv2';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DIN } from '../src/models/ranking/din';
import { DIEN } from '../src/models/ranking/dien';
import { LR, FM, FFM, AFM, NFM, PNN, WideDeep, XDeepFM, DCN } from '../src/models/ranking';
import { AutoInt } from '../src/models/ranking/autoint';
import { FiBiNET } from '../src/models/ranking/fibinet';
import { DLRM } from '../src/models/ranking/dlrm';
import { MaskNet } from '../src/models/ranking/masknet';
import { EulerNet } from '../src/models/ranking/eulernet';
import { BST } from '../src/models/ranking/bst';
import { OneTrans } from '../src/models/ranking/onetrans';
import { arg } from './lib/args';

const BATCH = 1024;

interface Case {
  name: string;
  family: string;
  build: () => { model: BaseModel; data: ColumnarInput };
}

function ctrData(): { features: SparseFeature[]; data: ColumnarInput } {
  const vocab = [6041, 3953, 3, 8, 22, 679, 19];
  const rng = new Rng(1);
  const rows = BATCH * 16;
  const features = vocab.map((v, f) => new SparseFeature({ name: `f${f}`, vocabSize: v, embeddingDim: 16 }));
  const data: ColumnarInput = { label: Float32Array.from({ length: rows }, () => (rng.next() < 0.3 ? 1 : 0)) };
  for (const f of features) data[f.name] = Int32Array.from({ length: rows }, () => 1 + Math.floor(Math.pow(rng.next(), 3) * (f.vocabSize - 1)));
  return { features, data };
}

function seqData(maxLen: number) {
  const t = syntheticInterestSequence({ rows: BATCH * 16, maxLen, embeddingDim: 16, numClusters: 50, itemsPerCluster: 40, validFraction: 0, testFraction: 0 });
  const roles = { behaviorFeature: 'hist_item', targetItemFeature: 'target_item', contextFeatures: ['user_group'] };
  return { t, base: { sparseFeatures: t.sparseFeatures, sequenceFeatures: t.sequenceFeatures, ...roles, mlp: { dims: [200, 80] }, attention: { dims: [80, 40] } } };
}

const CASES: Case[] = [
  {
    name: 'DeepFM (reference)',
    family: 'DeepFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new DeepFM({ sparseFeatures: features, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'DCNv2 full x3',
    family: 'DCNv2',
    build: () => {
      const { features, data } = ctrData();
      return { model: new DCNv2({ sparseFeatures: features, cross: { numLayers: 3 }, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'DCNv2 mix x3 (K=4, r=32)',
    family: 'DCNv2',
    build: () => {
      const { features, data } = ctrData();
      return { model: new DCNv2({ sparseFeatures: features, cross: { numLayers: 3, crossType: 'mix' }, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'LR',
    family: 'LR',
    build: () => {
      const { features, data } = ctrData();
      return { model: new LR({ sparseFeatures: features }), data };
    },
  },
  {
    name: 'FM',
    family: 'FM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new FM({ sparseFeatures: features }), data };
    },
  },
  {
    name: 'FFM (7 x 7 x 16 per id)',
    family: 'FFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new FFM({ sparseFeatures: features }), data };
    },
  },
  {
    name: 'AFM (attention 16)',
    family: 'AFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new AFM({ sparseFeatures: features }), data };
    },
  },
  {
    name: 'NFM (MLP [256, 128] + BN)',
    family: 'NFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new NFM({ sparseFeatures: features, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'PNN inner',
    family: 'PNN',
    build: () => {
      const { features, data } = ctrData();
      return { model: new PNN({ sparseFeatures: features, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'PNN outer',
    family: 'PNN',
    build: () => {
      const { features, data } = ctrData();
      return { model: new PNN({ sparseFeatures: features, product: 'outer', mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'WideDeep (2 crosses)',
    family: 'WideDeep',
    build: () => {
      const { features, data } = ctrData();
      return { model: new WideDeep({ sparseFeatures: features, crossFeatures: [['f0', 'f1'], ['f0', 'f5']], crossBuckets: 100003, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'xDeepFM CIN [128, 128]',
    family: 'xDeepFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new XDeepFM({ sparseFeatures: features, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'xDeepFM CIN [64, 64]',
    family: 'xDeepFM',
    build: () => {
      const { features, data } = ctrData();
      return { model: new XDeepFM({ sparseFeatures: features, cin: { layerSizes: [64, 64] }, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'DCN v1 x3',
    family: 'DCN',
    build: () => {
      const { features, data } = ctrData();
      return { model: new DCN({ sparseFeatures: features, mlp: { dims: [256, 128], batchNorm: true } }), data };
    },
  },
  {
    name: 'DIN L=20',
    family: 'DIN',
    build: () => {
      const { t, base } = seqData(20);
      return { model: new DIN(base), data: t.train };
    },
  },
  {
    name: 'DIEN L=20 (AUGRU, aux)',
    family: 'DIEN',
    build: () => {
      const { t, base } = seqData(20);
      return { model: new DIEN(base), data: t.train };
    },
  },
  {
    name: 'DIEN L=20 (AUGRU, no aux)',
    family: 'DIEN',
    build: () => {
      const { t, base } = seqData(20);
      return { model: new DIEN({ ...base, auxLossWeight: 0 }), data: t.train };
    },
  },
  {
    name: 'DIEN L=50 (AUGRU, aux)',
    family: 'DIEN',
    build: () => {
      const { t, base } = seqData(50);
      return { model: new DIEN(base), data: t.train };
    },
  },
  // issue 13, part B: the same 7 fields x dim 16 (BST: the DIN data), default layer sizes
  ...(
    [
      ['AutoInt (3 layers, 2 heads)', 'AutoInt', (f: SparseFeature[]) => new AutoInt({ sparseFeatures: f })],
      ['AutoInt+ (+ MLP [256, 128])', 'AutoInt', (f: SparseFeature[]) => new AutoInt({ sparseFeatures: f, mlp: { dims: [256, 128] } })],
      ['FiBiNET (field_interaction)', 'FiBiNET', (f: SparseFeature[]) => new FiBiNET({ sparseFeatures: f })],
      ['FiBiNET (field_all)', 'FiBiNET', (f: SparseFeature[]) => new FiBiNET({ sparseFeatures: f, bilinearType: 'field_all' })],
      ['DLRM (top [256, 128])', 'DLRM', (f: SparseFeature[]) => new DLRM({ sparseFeatures: f })],
      ['MaskNet serial (3 x 64)', 'MaskNet', (f: SparseFeature[]) => new MaskNet({ sparseFeatures: f })],
      ['MaskNet parallel (3 x 64, MLP)', 'MaskNet', (f: SparseFeature[]) => new MaskNet({ sparseFeatures: f, structure: 'parallel' })],
      ['EulerNet ([F, F])', 'EulerNet', (f: SparseFeature[]) => new EulerNet({ sparseFeatures: f })],
    ] as Array<[string, string, (f: SparseFeature[]) => BaseModel]>
  ).map(([name, family, make]) => ({
    name,
    family,
    build: () => {
      const { features, data } = ctrData();
      return { model: make(features), data };
    },
  })),
  {
    name: 'BST L=20 (1 block, 2 heads)',
    family: 'BST',
    build: () => {
      const { t, base } = seqData(20);
      const { attention: _a, ...rest } = base;
      return { model: new BST({ ...rest, mlp: { dims: [200, 80] } }), data: t.train };
    },
  },
  {
    name: 'OneTrans L=20 (2 blocks, 2 heads, pyramid)',
    family: 'OneTrans',
    build: () => {
      const { t } = seqData(20);
      return { model: new OneTrans({ sparseFeatures: t.sparseFeatures, sequenceFeatures: t.sequenceFeatures, mlp: { dims: [200, 80] } }), data: t.train };
    },
  },
  {
    name: 'OneTrans, 7 fields, no sequence (2 blocks)',
    family: 'OneTrans',
    build: () => {
      const { features, data } = ctrData();
      return { model: new OneTrans({ sparseFeatures: features }), data };
    },
  },
];

async function main(): Promise<void> {
  const steps = Number(arg('steps', '20'));
  const threads = Number(arg('threads', '1'));
  const only = arg('only', 'DeepFM,DCNv2,DIN,DIEN').split(',');
  const info = await initBackend({ threads, log: false });
  console.log(`backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}), batch ${BATCH}, ${steps} timed steps after 3 warm-up steps`);
  const rows: string[][] = [['model', 'ms/step (wall)', 'ms/step (cpu)', 'samples/s']];
  for (const c of CASES.filter((k) => only.includes(k.family))) {
    const { model, data } = c.build();
    model.compile({ lr: 1e-3 });
    await model.fit(data, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: 3 });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.fit(data, { epochs: 1, batchSize: BATCH, verbose: 0, maxSteps: steps, dropLast: true });
    const cpu = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / steps;
    rows.push([c.name, wall.toFixed(1), ((cpu.user + cpu.system) / 1000 / steps).toFixed(1), Math.round((BATCH / wall) * 1000).toString()]);
    model.dispose();
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const r of rows) console.log(r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  '));
  await shutdownBackend();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
