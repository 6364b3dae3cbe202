/**
 * The machinery of benchmarks/vs-pytorch (issue 12) without PyTorch: the step-protocol client against small fake
 * children (results parsed, timeouts and crashes reported with the child's stderr, no process left behind), the
 * per-pair statistics, and the kernel categories of benchmarks/step-breakdown.ts. One real round trip through
 * torch_step_server.py runs only where Debian's python3-torch is installed.
 */
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { StepServer } from '../benchmarks/vs-pytorch/step-server';
import { quantile, spread } from '../benchmarks/vs-pytorch/stats';
import { categoryOf } from '../benchmarks/lib/kernel-categories';

const ROOT = path.resolve(__dirname, '..');

/** A child speaking the protocol, written in plain Node; `onStep` is the body run per step request. */
function fake(onStep: string, label = 'fake'): StepServer {
  const script = `
    const rl = require('readline').createInterface({ input: process.stdin });
    let n = 0;
    console.log('some banner');
    console.log('ready ' + JSON.stringify({ model: 'x' }));
    rl.on('line', (l) => {
      if (l === 'quit') process.exit(0);
      n++;
      ${onStep}
    });`;
  return new StepServer(label, process.execPath, ['-e', script], { cwd: ROOT, env: process.env });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('StepServer (the driver side of the step protocol)', () => {
  it('skips banner lines, parses ready and step results, and quits cleanly', async () => {
    const s = fake(`console.log('noise'); console.log('ms ' + (10 * n) + ' ' + (9 * n) + ' 0.5');`);
    expect(await s.ready(20_000)).toEqual({ model: 'x' });
    expect(await s.step(20_000)).toEqual({ wallMs: 10, cpuMs: 9, loss: 0.5 });
    expect(await s.step(20_000)).toEqual({ wallMs: 20, cpuMs: 18, loss: 0.5 });
    await s.close(5_000);
    await expect(s.step(1_000)).rejects.toThrow(/fake: exited with status 0/);
  });

  it('gives up on a step after the timeout, then terminates the hung child', async () => {
    const s = fake(`/* never answers */`, 'hung');
    await s.ready(20_000);
    await expect(s.step(300)).rejects.toThrow('hung: timed out after 0.3 s waiting for a step result');
    const pid = (s as unknown as { child: { pid: number } }).child.pid;
    // stdin 'quit' is honoured by this child; a child that ignores it is signalled (see the next test)
    await s.close(2_000);
    expect(alive(pid)).toBe(false);
  });

  it('kills a child that ignores quit and SIGTERM', async () => {
    const script = `process.on('SIGTERM', () => {}); console.log('ready {}'); process.stdin.on('data', () => {}); setInterval(() => {}, 1000);`;
    const s = new StepServer('stubborn', process.execPath, ['-e', script], { cwd: ROOT, env: process.env });
    await s.ready(20_000);
    const pid = (s as unknown as { child: { pid: number } }).child.pid;
    await s.close(300);
    expect(alive(pid)).toBe(false);
  });

  it("reports a crashing child's error line and stderr", async () => {
    const s = fake(`console.error('Traceback: boom in step'); console.log('error RuntimeError: boom'); process.exit(1);`, 'crashy');
    await s.ready(20_000);
    const err = await s.step(20_000).catch((e: Error) => e);
    expect(String(err)).toMatch(/crashy: RuntimeError: boom/);
    await s.close(1_000);
    await expect(s.step(1_000)).rejects.toThrow(/crashy: exited with status 1[\s\S]*Traceback: boom in step/);
  });

  it('names the command when the child cannot start', async () => {
    const s = new StepServer('missing', '/nonexistent/python3', [], { cwd: ROOT, env: process.env });
    await expect(s.ready(5_000)).rejects.toThrow(/missing: could not start \(spawn \/nonexistent\/python3 ENOENT\)/);
  });
});

describe('per-pair statistics', () => {
  it('takes the median and quartiles of the ratios', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(spread([3, 1, 2, 10, 4])).toEqual({ median: 3, p25: 2, p75: 4, min: 1, max: 10 });
  });
});

describe('kernel categories of the step breakdown', () => {
  it('puts the engine kernels where the issue counts them', () => {
    expect(['MatMul', 'BatchMatMul', '_FusedMatMul', 'NativeGemm', 'FusedDenseBatchNorm'].map(categoryOf)).toEqual(Array(5).fill('matMul'));
    expect(['DepthwiseConv2dNative', 'FusedAttention'].map(categoryOf)).toEqual(['attention products', 'attention products']);
    expect(['Sum', 'Mean', 'Max'].map(categoryOf)).toEqual(Array(3).fill('reductions'));
    expect(['Identity', 'Transpose', 'SplitV', 'Concat', 'Slice', 'Reshape'].map(categoryOf)).toEqual(Array(6).fill('copies/layout'));
    expect(['Multiply', 'Add', 'Exp', 'Sigmoid', 'Cast'].map(categoryOf)).toEqual(Array(5).fill('elementwise'));
    expect(categoryOf('SomethingNew')).toBe('other kernels');
  });
});

const python = '/usr/bin/python3';
const hasTorch = (() => {
  if (!existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
})();
const withTorch = hasTorch ? it : it.skip;
if (!hasTorch) console.warn('vs-pytorch-driver.test: skipping the PyTorch round trip (no torch for /usr/bin/python3; apt-get install -y python3-torch)');

describe('torch_step_server.py', () => {
  withTorch('trains DeepFM one step per request, one thread', async () => {
    const s = new StepServer('PyTorch', python, ['-u', path.join(ROOT, 'benchmarks/vs-pytorch/torch_step_server.py'), '--model', 'deepfm'], { cwd: ROOT, env: process.env });
    try {
      const info = await s.ready(120_000);
      expect(info).toMatchObject({ model: 'deepfm', threads: 1, interopThreads: 1 });
      const losses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await s.step(120_000);
        expect(r.wallMs).toBeGreaterThan(0);
        losses.push(r.loss);
      }
      // the same four batches come round again: the model has fitted them better the second time
      expect(losses.slice(4).reduce((a, b) => a + b)).toBeLessThan(losses.slice(0, 4).reduce((a, b) => a + b));
    } finally {
      await s.close();
    }
  });
});
