import { createHash } from 'crypto';
import { Rng } from '../src/basic/random';
import { syntheticMultiScenario } from '../src/data/synthetic/multi-scenario';
import { syntheticTwoTasks } from '../src/data/synthetic/multitask';
import { addDenseResponse, correlatedVector, normalVector, requireCorrelation, sinusoidResponse, TaskFeatureColumns } from '../src/data/synthetic/task-features';

describe('task-features (shared by the multi-task generators)', () => {
  it('correlatedVector draws entries with the asked correlation to the base', () => {
    const rng = new Rng(3);
    const base = normalVector(rng, 20000, 1);
    for (const rho of [-0.6, 0, 0.8]) {
      const v = correlatedVector(rng, base, rho, 1);
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < base.length; i++) {
        sxy += base[i] * v[i];
        sxx += base[i] * base[i];
        syy += v[i] * v[i];
      }
      expect(Math.abs(sxy / Math.sqrt(sxx * syy) - rho)).toBeLessThan(0.03);
    }
    expect(() => requireCorrelation('gen', 'taskCorrelation', 1.5)).toThrow('gen: taskCorrelation must be in [-1, 1] (got 1.5)');
  });

  it('addDenseResponse adds scale / sqrt(M) * sum_m r(<w_m, x>) to the logit', () => {
    const response = sinusoidResponse(new Rng(1));
    const w = [Float32Array.from([1, 0]), Float32Array.from([0.5, -2])];
    const x = Float64Array.from([0.3, 0.7]);
    const expected = 2 + (3 * (response(0.3) + response(0.15 - 1.4))) / Math.sqrt(2);
    expect(addDenseResponse(2, w, x, response, 3)).toBeCloseTo(expected, 12);
  });

  it('TaskFeatureColumns declares c0.. / d0.. and slices rows of every column', () => {
    const cols = new TaskFeatureColumns(4, [5, 3], 2, 6);
    cols.ids[1].set([1, 2, 2, 1]);
    cols.drawDense(new Rng(2), 2, new Float64Array(2));
    const part = cols.slice(1, 3, { y: Float32Array.from([1, 0]) });
    expect(Object.keys(part)).toEqual(['y', 'c0', 'c1', 'd0', 'd1']);
    expect(Array.from(part.c1 as Int32Array)).toEqual([2, 2]);
    expect((part.d0 as Float32Array)[1]).not.toBe(0);
    expect(cols.sparseFeatures.map((f) => [f.name, f.vocabSize, f.embeddingDim])).toEqual([['c0', 5, 6], ['c1', 3, 6]]);
  });

  it('the two-task and multi-scenario data stay those of the committed leaderboard rows (hash of four option sets)', () => {
    const h = createHash('sha256');
    const add = (o: Record<string, ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }>) => {
      for (const k of Object.keys(o).sort()) {
        h.update(k);
        h.update(Buffer.from(o[k].buffer, o[k].byteOffset, o[k].byteLength));
      }
    };
    const sets = [
      syntheticTwoTasks({ rows: 5000, seed: 5 }),
      syntheticTwoTasks({ rows: 3000, seed: 2, taskCorrelation: 0.4, directions: 2 }),
      syntheticMultiScenario({ rows: 5000, seed: 5 }),
      syntheticMultiScenario({ rows: 4000, seed: 3, scenarioShares: [0.3, 0.2, 0.15, 0.15, 0.1, 0.1] }),
    ];
    for (const d of sets) {
      for (const s of ['train', 'valid', 'test'] as const) {
        add(d[s] as never);
        add(d.oracle[s] as never);
      }
      h.update(JSON.stringify([d.sparseFeatures, d.denseFeatures, d.taskNames]));
    }
    // measured before task-features.ts was extracted from the two generators
    expect(h.digest('hex')).toBe('d7fb65480ab345e70e5b89a078aabd3461ba6b1dde252e8cc6c4beebfece855e');
  });
});
