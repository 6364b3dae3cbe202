/**
 * The browser entry must bundle for a browser with zero Node imports (esbuild, platform 'browser': an
 * unresolvable import is a build error), carry only tfjs-core + the wasm backend from tfjs, and evaluate in a
 * context that has no `process`, `require` or `Buffer` (nothing Node-only may be touched at import time).
 */
import * as path from 'path';
import * as vm from 'vm';
import { builtinModules } from 'module';
import * as esbuild from 'esbuild';

const ROOT = path.join(__dirname, '..');

async function bundle(format: 'esm' | 'iife'): Promise<esbuild.BuildResult & { metafile: esbuild.Metafile; outputFiles: esbuild.OutputFile[] }> {
  return esbuild.build({
    entryPoints: [path.join(ROOT, 'src/browser.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format,
    globalName: format === 'iife' ? 'nextrec' : undefined,
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: path.join(ROOT, 'dist-browser-test/nextrec.js'),
  });
}

describe('browser bundle', () => {
  let esm: Awaited<ReturnType<typeof bundle>>;
  beforeAll(async () => {
    esm = await bundle('esm');
  });

  it('builds for platform=browser with no unresolved import and no Node module from our code', () => {
    expect(esm.errors).toEqual([]);
    const inputs = Object.keys(esm.metafile.inputs);
    const node = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    // Packages may disable their own Node paths through their "browser" field ("(disabled):fs"); our own
    // modules must not import any Node module at all, disabled or not.
    for (const [file, info] of Object.entries(esm.metafile.inputs)) {
      if (!file.startsWith('src/')) continue;
      for (const imp of info.imports) {
        expect({ file, import: imp.original, node: node.has(imp.original ?? '') }).toEqual({ file, import: imp.original, node: false });
      }
    }
    expect(inputs.filter((i) => /src\/data\/file-store\.ts$|wasm-threads|readers|duckdb|csv-parse/.test(i))).toEqual([]);
  });

  it('pulls tfjs-core and the wasm backend only: no layers, webgl, converter, data or cpu backend', () => {
    const inputs = Object.keys(esm.metafile.inputs);
    for (const pkg of ['tfjs-layers', 'tfjs-backend-webgl', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-cpu/dist/base', 'tfjs-backend-cpu/dist/register_all_kernels']) {
      expect({ pkg, included: inputs.some((i) => i.includes(pkg)) }).toEqual({ pkg, included: false });
    }
    expect(inputs.some((i) => i.includes('tfjs-backend-wasm'))).toBe(true);
    const bytes = esm.outputFiles[0].contents.length;
    // measured 0.62 MB minified; the whole @tensorflow/tfjs would add ~0.6 MB of webgl + layers
    expect(bytes).toBeLessThan(900_000);
  });

  it('evaluates without process, require or Buffer and exposes models, stores and initBackend', async () => {
    const iife = await bundle('iife');
    const context = vm.createContext({
      console,
      TextEncoder,
      TextDecoder,
      URL,
      WebAssembly,
      setTimeout,
      clearTimeout,
      fetch: async () => {
        throw new Error('no network in this test');
      },
    });
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', context)).toBe('undefinedundefinedundefined');
    // a browser page's global object is `self` (and `window`); tfjs looks for it
    vm.runInContext('globalThis.self = globalThis', context);
    try {
      vm.runInContext(iife.outputFiles[0].text, context);
    } catch (err) {
      throw new Error(`the browser bundle failed at import time: ${(err as Error).message}`);
    }
    const lib = vm.runInContext('nextrec', context) as Record<string, unknown>;
    for (const name of ['DeepFM', 'DIN', 'DSSM', 'HSTU', 'MMoE', 'FetchStore', 'MemoryStore', 'initBackend', 'SparseFeature']) {
      expect({ name, type: typeof lib[name] }).toEqual({ name, type: 'function' });
    }
    // a directory path has no meaning in a browser: the file-store stand-in says what to do instead
    const DeepFM = lib.DeepFM as { load(p: string): Promise<unknown> };
    await expect(DeepFM.load('/models/deepfm')).rejects.toThrow(/needs Node's file system.*FetchStore/);
  });
});
