import { markdown, Provenance } from '../benchmarks/lib/report';
import type { BenchResult } from '../benchmarks/lib/run-one';

const prov: Provenance = { commit: 'abc1234', date: '2026-11-25T00:00:00Z', machine: 'test CPU, 2 cores', node: 'v20', quick: false };

function row(name: string, family: string, metrics: Record<string, number>): BenchResult {
  return {
    name,
    family,
    model: name.toUpperCase(),
    task: 'synthetic',
    quick: false,
    metrics,
    primaryMetric: Object.keys(metrics)[0],
    trainSamplesPerSec: 1234.5,
    inferenceSamplesPerSec: 5678,
    epochs: 2,
    trainSeconds: 3.2,
    parameters: { dense: 10, embedding: 20, total: 30 },
    peakRssMB: 100,
    backend: 'wasm',
    threads: 1,
    config: {} as BenchResult['config'],
  };
}

describe('leaderboard markdown', () => {
  it('gives every table row as many cells as its header, best primary metric first, missing metrics as "-"', () => {
    const md = markdown([row('a', 'ranking', { auc: 0.7, logloss: 0.5 }), row('b', 'ranking', { auc: 0.8 }), row('c', 'match', { 'recall@50': 0.4 })], prov, 'chart.svg');
    const tables = md.split('\n## ').slice(1).map((t) => t.split('\n').filter((l) => l.startsWith('|')));
    expect(tables).toHaveLength(2);
    for (const lines of tables) {
      const cells = lines.map((l) => l.split('|').length);
      expect(new Set(cells).size).toBe(1);
      expect(lines[1]).toMatch(/^\|(---\|)+$/);
    }
    const ranking = tables[0];
    expect(ranking[0]).toContain('| auc | logloss |');
    expect(ranking[2]).toMatch(/^\| b \| B \| synthetic \| 0\.8000 \| - \|/);
    expect(md).toContain('at commit `abc1234`');
  });
});
