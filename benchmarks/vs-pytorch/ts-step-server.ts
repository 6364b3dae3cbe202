/**
 * nextrec-ts side of the step-by-step speed comparison (issue 12): one training step per request, the protocol of
 * torch_step_server.py. Started by driver.ts; by hand:
 *
 *   npx ts-node --transpile-only benchmarks/vs-pytorch/ts-step-server.ts --model deepfm|dcnv2|sasrec|hstu [--len 50]
 *
 * Prints `ready {json}` once the model is built, then `ms WALL_MS CPU_MS LOSS` per `step` line; exits on `quit` or
 * end of input. The backend is whatever initBackend picks (NEXTREC_BACKEND selects it), one wasm thread.
 */
import * as readline from 'readline';
import * as tf from '@tensorflow/tfjs';
import { initBackend, shutdownBackend } from '../../src/basic/backend';
import { arg } from '../lib/args';
import { BENCH_MODELS, BenchModel, buildBench } from './ts-models';

async function main(): Promise<void> {
  const name = arg('model', '') as BenchModel;
  if (!BENCH_MODELS.includes(name)) throw new Error(`--model must be one of ${BENCH_MODELS.join(', ')} (got '${name}')`);
  const len = Number(arg('len', '50'));
  const seed = Number(arg('seed', '1'));
  const info = await initBackend({ threads: 1, log: false });
  const bench = buildBench(name, len, seed);
  const backendEnv = process.env.NEXTREC_BACKEND ?? null;
  console.log(`ready ${JSON.stringify({ node: process.version, backend: info.native ? `${info.name}+native (${info.native})` : info.name, provider: info.provider, threads: info.threads, NEXTREC_BACKEND: backendEnv, model: name, len, shapes: bench.shapes, params: bench.model.parameterCount() })}`);
  let i = 0;
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const raw of lines) {
    const cmd = raw.trim();
    if (cmd === 'quit') break;
    if (cmd !== 'step') throw new Error(`unknown request '${cmd}' (expected step or quit)`);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const loss = bench.step(i++);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    console.log(`ms ${wall.toFixed(4)} ${((c.user + c.system) / 1000).toFixed(4)} ${loss.toFixed(6)}`);
  }
  lines.close();
  bench.model.dispose();
  if (process.env.VS_PYTORCH_CHECK_LEAKS) console.error(`numTensors ${tf.memory().numTensors}`);
  await shutdownBackend();
}

main().catch((e) => {
  console.log(`error ${(e as Error).stack ?? e}`.split('\n').join(' | '));
  process.exit(1);
});
