/**
 * Training speed against PyTorch, one step at a time (issue 12). Starts one PyTorch process
 * (torch_step_server.py) and one nextrec-ts process (ts-step-server.ts), one thread each, warms both up, then
 * alternates single training steps A B B A ... on synthetic data of the same shapes, and reports per model the
 * median of the per-pair ratios ours / PyTorch (wall clock, and process CPU time), their spread and both medians.
 * Alternating steps makes both sides see the same machine load, which matters on a shared machine.
 *
 *   npx ts-node --transpile-only benchmarks/vs-pytorch/driver.ts --model deepfm [--pairs 30] [--warmup 5]
 *     --model deepfm|dcnv2|sasrec|hstu, a comma list, or all (= deepfm,dcnv2,sasrec,hstu at every --len)
 *     --len 50[,200]         sequence lengths for sasrec / hstu (default 50)
 *     --out FILE.json        results, merged by case and backend into FILE.json, table in FILE.md
 *                            (default benchmarks/results/vs-pytorch.json)
 *     --python PATH          interpreter with PyTorch (default /usr/bin/python3, or VS_PYTORCH_PYTHON)
 *     --step-timeout S       seconds one step may take before the run is abandoned (default 300)
 *     --label TEXT           free text stored with the results (e.g. 'baseline', 'native kernels')
 *     --node-args "..."      extra Node flags for the nextrec-ts process (e.g. --experimental-wasm-relaxed-simd)
 * NEXTREC_BACKEND (wasm, auto, ...) is passed to the nextrec-ts process; the results record which backend ran.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { arg } from '../lib/args';
import { Spread, spread } from './stats';
import { StepServer, StepTiming } from './step-server';

const ROOT = path.resolve(__dirname, '..', '..');
const MODELS = ['deepfm', 'dcnv2', 'sasrec', 'hstu'] as const;
type Model = (typeof MODELS)[number];
const SEQUENCE: readonly Model[] = ['sasrec', 'hstu'];

interface Case {
  model: Model;
  len: number | null;
  key: string;
}

/** One model's result, as stored in the JSON file. */
interface CaseResult {
  key: string;
  model: Model;
  len: number | null;
  label: string;
  date: string;
  pairs: number;
  warmup: number;
  shapes: string;
  backend: string;
  provider: string;
  nextrecBackendEnv: string | null;
  torch: string;
  /** BLAS / LAPACK / oneDNN libraries the PyTorch process had mapped (which libblas.so.3 decides its matMul speed). */
  torchBlas: string[];
  /** ours / PyTorch per pair, wall clock of the step inside each process. */
  ratio: Spread;
  /** ours / PyTorch per pair, process CPU time of the step (less sensitive to waiting for a core). */
  cpuRatio: Spread;
  oursMs: Spread;
  torchMs: Spread;
  oursCpuMs: Spread;
  torchCpuMs: Spread;
  loadAverage: number[];
  /** Raw per-pair wall times [ours, torch]. */
  raw: Array<[number, number]>;
}

function parseCases(): Case[] {
  const spec = arg('model', '');
  if (!spec) throw new Error(`--model is required: one of ${MODELS.join(', ')}, a comma list, or all`);
  const names = spec === 'all' ? [...MODELS] : spec.split(',').map((s) => s.trim());
  const lens = arg('len', '50').split(',').map(Number);
  for (const l of lens) if (!Number.isInteger(l) || l < 2) throw new Error(`--len must be integers >= 2 (got '${arg('len', '')}')`);
  const cases: Case[] = [];
  for (const n of names) {
    if (!(MODELS as readonly string[]).includes(n)) throw new Error(`--model: unknown model '${n}' (expected ${MODELS.join(', ')} or all)`);
    const m = n as Model;
    if (SEQUENCE.includes(m)) for (const l of lens) cases.push({ model: m, len: l, key: `${m}-L${l}` });
    else cases.push({ model: m, len: null, key: m });
  }
  return cases;
}

/** The interpreter to use, or a clear error when it has no PyTorch. */
function checkPython(): { python: string; torch: string } {
  const python = arg('python', process.env.VS_PYTORCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'));
  try {
    const v = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
    return { python, torch: v };
  } catch (e) {
    const detail = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').slice(-1)[0];
    throw new Error(
      `PyTorch is not importable with ${python} (${detail}). Install Debian's build with: apt-get install -y python3-torch ` +
        `(then use /usr/bin/python3), or pass --python PATH / set VS_PYTORCH_PYTHON to an interpreter that has torch`,
    );
  }
}

const live = new Set<StepServer>();
function killAll(): void {
  for (const s of live) s.killNow();
}
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('SIGTERM', () => {
  killAll();
  process.exit(143);
});

async function runCase(c: Case, python: string, torchVersion: string, pairs: number, warmup: number, stepTimeoutMs: number, label: string): Promise<CaseResult> {
  const lenArgs = c.len === null ? [] : ['--len', String(c.len)];
  const oneThread = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const torch = new StepServer('PyTorch', python, ['-u', path.join(__dirname, 'torch_step_server.py'), '--model', c.model, ...lenArgs], {
    cwd: ROOT,
    env: { ...process.env, ...oneThread },
  });
  live.add(torch);
  const nodeArgs = arg('node-args', '').split(/\s+/).filter(Boolean);
  const ours = new StepServer('nextrec-ts', process.execPath, [...nodeArgs, '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'ts-step-server.ts'), '--model', c.model, ...lenArgs], {
    cwd: ROOT,
    env: { ...process.env, ...oneThread, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  live.add(ours);
  try {
    const [torchInfo, oursInfo] = await Promise.all([torch.ready(stepTimeoutMs), ours.ready(stepTimeoutMs)]);
    console.error(`[${c.key}] ready: PyTorch ${torchInfo.torch} (${torchInfo.threads} thread, BLAS ${JSON.stringify(torchInfo.blas)}), nextrec-ts ${oursInfo.backend} (${oursInfo.provider}, ${oursInfo.threads} thread)`);
    for (let i = 0; i < warmup; i++) {
      await ours.step(stepTimeoutMs);
      await torch.step(stepTimeoutMs);
    }
    const raw: Array<[StepTiming, StepTiming]> = [];
    for (let p = 0; p < pairs; p++) {
      // A B, then B A: each side runs first in half of the pairs
      let a: StepTiming;
      let b: StepTiming;
      if (p % 2 === 0) {
        a = await ours.step(stepTimeoutMs);
        b = await torch.step(stepTimeoutMs);
      } else {
        b = await torch.step(stepTimeoutMs);
        a = await ours.step(stepTimeoutMs);
      }
      raw.push([a, b]);
      if ((p + 1) % 10 === 0 || p === pairs - 1) console.error(`[${c.key}] pair ${p + 1}/${pairs}: ours ${a.wallMs.toFixed(1)} ms, PyTorch ${b.wallMs.toFixed(1)} ms`);
    }
    return {
      key: c.key,
      model: c.model,
      len: c.len,
      label,
      date: new Date().toISOString(),
      pairs,
      warmup,
      shapes: String(oursInfo.shapes),
      backend: String(oursInfo.backend),
      provider: String(oursInfo.provider),
      nextrecBackendEnv: (oursInfo.NEXTREC_BACKEND as string | null) ?? null,
      torch: torchVersion,
      torchBlas: (torchInfo.blas as string[] | undefined) ?? [],
      ratio: spread(raw.map(([a, b]) => a.wallMs / b.wallMs)),
      cpuRatio: spread(raw.map(([a, b]) => a.cpuMs / Math.max(b.cpuMs, 1e-6))),
      oursMs: spread(raw.map(([a]) => a.wallMs)),
      torchMs: spread(raw.map(([, b]) => b.wallMs)),
      oursCpuMs: spread(raw.map(([a]) => a.cpuMs)),
      torchCpuMs: spread(raw.map(([, b]) => b.cpuMs)),
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      raw: raw.map(([a, b]) => [Number(a.wallMs.toFixed(3)), Number(b.wallMs.toFixed(3))]),
    };
  } finally {
    await Promise.all([torch.close(), ours.close()]);
    live.delete(torch);
    live.delete(ours);
  }
}

const CASE_ORDER = ['deepfm', 'dcnv2', 'sasrec-L50', 'hstu-L50', 'sasrec-L200', 'hstu-L200'];

function markdown(results: CaseResult[]): string {
  const rank = (r: CaseResult) => {
    const i = CASE_ORDER.indexOf(r.key);
    return (i < 0 ? CASE_ORDER.length : i) * 100 + (r.backend === 'wasm' ? 0 : 1);
  };
  const sorted = [...results].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    '| model | shapes | backend | PyTorch ms/step (median) | nextrec-ts ms/step (median) | ratio ours/PyTorch: median of pairs [IQR] | CPU-time ratio [IQR] | pairs | load avg | date |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of sorted) {
    lines.push(
      `| ${r.key} | ${r.shapes} | ${r.backend}${r.label ? ` (${r.label})` : ''} | ${f(r.torchMs.median)} | ${f(r.oursMs.median)} | **${f(r.ratio.median, 2)}** [${f(r.ratio.p25, 2)}-${f(r.ratio.p75, 2)}] | ${f(r.cpuRatio.median, 2)} [${f(r.cpuRatio.p25, 2)}-${f(r.cpuRatio.p75, 2)}] | ${r.pairs} | ${r.loadAverage[0]} | ${r.date.slice(0, 16)}Z |`,
    );
  }
  const blas = [...new Set(sorted.map((r) => (r.torchBlas ?? []).filter((b) => !/lapack|dnnl/i.test(b)).join(', ') || 'not recorded'))];
  return `${lines.join('\n')}\n\nPyTorch's BLAS (libblas.so.3): ${blas.join('; ')}\n`;
}

async function main(): Promise<void> {
  const cases = parseCases();
  const pairs = Number(arg('pairs', '30'));
  const warmup = Number(arg('warmup', '5'));
  const stepTimeoutMs = Number(arg('step-timeout', '300')) * 1000;
  const label = arg('label', '');
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a positive integer (got ${arg('pairs', '')})`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a non-negative integer (got ${arg('warmup', '')})`);
  if (!(stepTimeoutMs > 0)) throw new Error(`--step-timeout must be a positive number of seconds (got ${arg('step-timeout', '')})`);
  const out = path.resolve(arg('out', path.join(ROOT, 'benchmarks', 'results', 'vs-pytorch.json')));
  const { python, torch } = checkPython();
  let stored: { results: CaseResult[] } = { results: [] };
  if (existsSync(out)) stored = JSON.parse(await fs.readFile(out, 'utf8')) as { results: CaseResult[] };
  for (const c of cases) {
    const r = await runCase(c, python, torch, pairs, warmup, stepTimeoutMs, label);
    console.log(
      `${r.key} [${r.backend}]: PyTorch ${r.torchMs.median.toFixed(1)} ms, nextrec-ts ${r.oursMs.median.toFixed(1)} ms, ratio ${r.ratio.median.toFixed(2)} (IQR ${r.ratio.p25.toFixed(2)}-${r.ratio.p75.toFixed(2)}), CPU-time ratio ${r.cpuRatio.median.toFixed(2)}`,
    );
    // merge after every case, so that a later failure keeps the finished ones
    stored.results = [...stored.results.filter((x) => !(x.key === r.key && x.backend === r.backend)), r];
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, JSON.stringify({ machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, ...stored }, null, 2) + '\n');
    await fs.writeFile(out.replace(/\.json$/, '') + '.md', markdown(stored.results));
  }
  console.log(`wrote ${path.relative(process.cwd(), out)} and ${path.relative(process.cwd(), out.replace(/\.json$/, '') + '.md')}`);
}

main().catch((e) => {
  killAll();
  console.error((e as Error).message ?? e);
  process.exit(1);
});
