import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../layers/module';
import type { EmbeddingCollection } from '../embedding/embedding-collection';
import type { Feature } from '../features';
import type { ColumnarInput } from '../dataset/dataset';

/** One row of a model summary. */
export interface SummaryRow {
  /** Path of the module ("mlp/0") or table ("table:item_id"). */
  path: string;
  kind: string;
  /** Output shape seen in a probe forward pass ("?" when the module was not called through `apply`). */
  outputShape: string;
  /** Trainable dense parameters of the module and its children, or the table's weights. */
  params: number;
}

/** Two rows of valid inputs for every feature (id 1, zeros), used to trace output shapes. */
export function probeColumns(features: readonly Feature[]): ColumnarInput {
  const cols: ColumnarInput = {};
  for (const f of features) {
    if (f.kind === 'sparse') cols[f.name] = Int32Array.of(1, 1);
    else if (f.kind === 'sequence') cols[f.name] = [Int32Array.of(1), Int32Array.of(1, 1)];
    else cols[f.name] = new Float32Array(2 * f.dim);
  }
  return cols;
}

type Applying = Module & { apply?: (...args: unknown[]) => unknown };

function shapeOf(out: unknown): string {
  const t = out as tf.Tensor | tf.Tensor[] | null;
  if (t && Array.isArray(t)) return t.map(shapeOf).join(', ');
  if (t && typeof t === 'object' && Array.isArray((t as tf.Tensor).shape)) return `[${['B', ...(t as tf.Tensor).shape.slice(1)].join(', ')}]`;
  return '?';
}

/**
 * Rows of modules (depth-first) and embedding tables, with output shapes recorded by wrapping each module's
 * `apply` while `probe` runs a forward pass. The wrappers are removed afterwards.
 */
export function summaryRows(root: Module, embeddings: EmbeddingCollection, probe: () => void): { rows: SummaryRow[]; probeError: string | null } {
  const modules: Array<[string, Applying]> = [];
  const walk = (m: Module, prefix: string) => {
    for (const [name, child] of m.namedChildren()) {
      modules.push([prefix + name, child as Applying]);
      walk(child, `${prefix}${name}/`);
    }
  };
  walk(root, '');
  const shapes = new Map<Module, string>();
  const restore: Array<() => void> = [];
  for (const [, m] of modules) {
    if (typeof m.apply !== 'function' || shapes.has(m)) continue;
    const original = m.apply;
    const hadOwn = Object.prototype.hasOwnProperty.call(m, 'apply');
    shapes.set(m, '?');
    m.apply = function (this: Module, ...args: unknown[]) {
      const out = original.apply(this, args);
      shapes.set(m, shapeOf(out));
      return out;
    };
    restore.push(() => {
      if (hadOwn) m.apply = original;
      else delete (m as { apply?: unknown }).apply;
    });
  }
  let probeError: string | null = null;
  try {
    probe();
  } catch (err) {
    probeError = (err as Error).message;
  } finally {
    for (const r of restore) r();
  }
  const count = (m: Module) => m.namedParams().filter(([, p]) => p.trainable).reduce((s, [, p]) => s + p.variable.size, 0);
  const rows: SummaryRow[] = modules.map(([path, m]) => ({ path, kind: m.constructor.name, outputShape: shapes.get(m) ?? '?', params: count(m) }));
  const own = root.ownParameters().filter(([, p]) => p.trainable);
  if (own.length) rows.push({ path: '(model)', kind: 'parameters', outputShape: '', params: own.reduce((s, [, p]) => s + p.variable.size, 0) });
  for (const t of embeddings.tables.values()) rows.push({ path: `table:${t.name}`, kind: 'SparseTable', outputShape: `[${t.rows}, ${t.dim}]`, params: t.rows * t.dim });
  return { rows, probeError };
}

/** Render summary rows as a fixed-width table with totals. */
export function formatSummary(title: string, rows: SummaryRow[], totals: { dense: number; embedding: number }, probeError: string | null): string {
  const header = ['module / table', 'kind', 'output shape', 'params'];
  const body = rows.map((r) => [r.path, r.kind, r.outputShape, r.params.toLocaleString('en-US')]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const out = [title, rule, line(header), rule, ...body.map(line), rule];
  out.push(`dense parameters: ${totals.dense.toLocaleString('en-US')}   embedding parameters: ${totals.embedding.toLocaleString('en-US')}   total: ${(totals.dense + totals.embedding).toLocaleString('en-US')}`);
  out.push('output shapes: B = batch size; tables show [rows, dim]' + (probeError ? ` (shapes not traced: ${probeError})` : ''));
  return out.join('\n');
}
