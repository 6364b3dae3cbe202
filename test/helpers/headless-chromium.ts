import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import * as esbuild from 'esbuild';
import { startStaticServer } from './static-server';

/** Path of Debian's `chromium` (or CHROMIUM_BIN), or null when it is not installed. */
export function findChromium(): string | null {
  for (const bin of [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser'].filter((b): b is string => !!b)) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return bin;
  }
  return null;
}

/** Bundle a page script for the browser (esbuild, from the lockfile). */
export async function bundlePage(entry: string): Promise<string> {
  const out = await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent', minify: true });
  return out.outputFiles[0].text;
}

/** Open `url` in headless Chromium; the page reports back to the test server. Call the result to close it. */
export async function openHeadless(bin: string, url: string): Promise<() => Promise<void>> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-chromium-'));
  const child: ChildProcess = spawn(
    bin,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`, url],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    // Chromium's helper processes can still be writing the profile for a moment after the browser exits (ENOTEMPTY)
    await fs.rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
}

/** Resolve `p`, or reject after `ms` with `what` in the message. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Bundle the page script `entry`, serve it beside tfjs-backend-wasm's .wasm files (under /wasm/), open it in headless
 * Chromium and return the JSON the page reports (within 60 s).
 */
export async function runWasmPage(bin: string, entry: string): Promise<unknown> {
  const script = await bundlePage(entry);
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const server = await startStaticServer({ '/wasm/': wasmDir }, { '/index.html': '<!doctype html><script src="/page.js"></script>', '/page.js': script });
  const close = await openHeadless(bin, `${server.url}/index.html`);
  try {
    return JSON.parse(await withTimeout(server.results, 60_000, 'the headless Chromium page'));
  } finally {
    await close();
    await server.close();
  }
}
