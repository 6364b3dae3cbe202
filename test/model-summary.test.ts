import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { DIN } from '../src/models/ranking/din';
import { syntheticCtr } from '../src/data/synthetic/ctr';
import { syntheticInterestSequence } from '../src/data/synthetic/interest-sequence';

beforeAll(async () => {
  await initBackend({ log: false });
});
afterAll(async () => {
  await shutdownBackend();
});

/** Parse the table body back into rows. */
function rows(text: string): Array<{ path: string; kind: string; shape: string; params: number }> {
  return text
    .split('\n')
    .filter((l) => /^\S+\s{2,}\S+/.test(l) && !l.startsWith('module / table') && !l.startsWith('dense parameters'))
    .map((l) => {
      const cells = l.split(/\s{2,}/);
      return { path: cells[0], kind: cells[1], shape: cells.length === 4 ? cells[2] : '', params: Number(cells[cells.length - 1].replace(/,/g, '')) };
    });
}

describe('model.summary()', () => {
  it('lists modules with traced output shapes, tables, and parameter counts that add up', () => {
    const d = syntheticCtr({ rows: 300, seed: 1 });
    const m = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [16, 8] } });
    const text = m.summary({ print: false });
    const r = rows(text);
    const byPath = new Map(r.map((x) => [x.path, x]));
    expect(byPath.get('deep/0/dense')).toEqual({ path: 'deep/0/dense', kind: 'Dense', shape: '[B, 16]', params: (d.sparseFeatures.length * 16 + d.denseFeatures.reduce((s, f) => s + f.dim, 0)) * 16 + 16 });
    expect(byPath.get('deep/out')!.shape).toBe('[B, 1]');
    const counts = m.parameterCount();
    const topLevelDense = r.filter((x) => !x.path.includes('/') && !x.path.startsWith('table:')).reduce((s, x) => s + x.params, 0);
    expect(topLevelDense).toBe(counts.dense);
    expect(r.filter((x) => x.path.startsWith('table:')).reduce((s, x) => s + x.params, 0)).toBe(counts.embedding);
    expect(text).toContain(`total: ${counts.total.toLocaleString('en-US')}`);
    expect(text).not.toContain('shapes not traced');
    // the probe leaves no wrapper behind
    expect(Object.prototype.hasOwnProperty.call((m as unknown as { deep: object }).deep, 'apply')).toBe(false);
    m.dispose();
  });

  it('traces a sequence model (DIN) too', () => {
    const t = syntheticInterestSequence({ rows: 300 });
    const m = new DIN({ sparseFeatures: t.sparseFeatures, sequenceFeatures: t.sequenceFeatures, behaviorFeature: 'hist_item', targetItemFeature: 'target_item', contextFeatures: ['user_group'], mlp: { dims: [8] }, attention: { dims: [8] } });
    const text = m.summary({ print: false });
    expect(text).not.toContain('shapes not traced');
    expect(rows(text).some((x) => x.kind === 'Mlp' && x.shape === '[B, 1]')).toBe(true);
    m.dispose();
  });
});
