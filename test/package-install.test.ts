/**
 * The published package works outside the repository: `npm pack` (whose prepack builds dist/ with
 * tsconfig.build.json) makes a tarball whose package.json entry points exist in it, and a script in a fresh project
 * with that tarball in node_modules can `require('nextrec-ts')`, train a tiny DeepFM and predict. No registry is
 * used: the temporary project's other dependencies come from a symlink to this repository's node_modules.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..');

/** Every file path a package.json field points at (main, types, bin, the exports tree), relative to the package root. */
function entryPoints(pkg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.main);
  walk(pkg.types);
  walk(pkg.bin);
  walk(pkg.exports);
  // the browser map's replacement targets under dist/ (the src/ entries serve bundlers of a repository checkout)
  if (pkg.browser !== null && typeof pkg.browser === 'object') {
    for (const [from, to] of Object.entries(pkg.browser as Record<string, unknown>)) if (from.startsWith('./dist/')) walk(to);
  }
  return out.map((p) => path.posix.normalize(p));
}

describe('npm pack + install into a project outside the repository', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nextrec-pack-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('packs dist/ with every entry point, and a fresh project imports, trains and predicts', () => {
    const packDir = path.join(tmp, 'pack');
    fs.mkdirSync(packDir);
    // pack a copy of the package sources so that the build does not leave a dist/ in the checkout (bin/ prefers a
    // dist/ when there is one, and it would go stale as src/ changes)
    const source = path.join(tmp, 'source');
    fs.mkdirSync(source);
    for (const entry of fs.readdirSync(REPO)) {
      if (/^(package\.json|tsconfig(\.build)?\.json|README\.md|LICENSE.*|src|bin|native|binding\.gyp)$/.test(entry)) {
        fs.cpSync(path.join(REPO, entry), path.join(source, entry), { recursive: true });
      }
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'));
    // prepack runs `npm run build`, so this also checks that dist/ compiles from tsconfig.build.json
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: source, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
    });
    const info = JSON.parse(packed.slice(packed.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = path.join(packDir, info[0].filename);
    expect(fs.existsSync(tarball)).toBe(true);
    const listed = new Set(info[0].files.map((f) => f.path));
    expect(listed.has('dist/index.js')).toBe(true);
    expect([...listed].some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    // what the install script needs to build the optional native kernels on the user's machine
    for (const f of ['binding.gyp', 'native/install.js', 'native/detect.js', 'native/nextrec_native.cc']) expect(listed.has(f)).toBe(true);
    expect(listed.has('dist/basic/backend/native.browser.js')).toBe(true);

    const project = path.join(tmp, 'project');
    const installed = path.join(project, 'node_modules', 'nextrec-ts');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.mkdirSync(installed);
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    // the package's own dependencies resolve from the repository's node_modules (no download)
    for (const dep of fs.readdirSync(path.join(REPO, 'node_modules'))) {
      if (dep === 'nextrec-ts' || dep.startsWith('.')) continue;
      fs.symlinkSync(path.join(REPO, 'node_modules', dep), path.join(project, 'node_modules', dep));
    }
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));

    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    const missing = entryPoints(pkg).filter((p) => !fs.existsSync(path.join(installed, p)));
    expect(missing).toEqual([]);

    const script = `
      const { DeepFM, initBackend, datasets } = require('nextrec-ts');
      (async () => {
        await initBackend({ log: false });
        const d = datasets.syntheticCtr({ rows: 600, seed: 3 });
        const model = new DeepFM({ sparseFeatures: d.sparseFeatures, denseFeatures: d.denseFeatures, mlp: { dims: [8] }, seed: 3 });
        model.compile({ lr: 3e-3 });
        await model.fit(d.train, { epochs: 1, batchSize: 128, verbose: 0 });
        const scores = await model.predict(d.test);
        const resolved = require.resolve('nextrec-ts');
        console.log(JSON.stringify({ resolved, n: scores.length, finite: scores.every((s) => s > 0 && s < 1), expected: d.test.label.length }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    if (r.status !== 0) throw new Error(`consumer script failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { resolved: string; n: number; finite: boolean; expected: number };
    // it ran from the extracted tarball, not from the repository
    expect(fs.realpathSync(out.resolved)).toBe(fs.realpathSync(path.join(installed, 'dist', 'index.js')));
    expect(out.n).toBe(out.expected);
    expect(out.n).toBeGreaterThan(0);
    expect(out.finite).toBe(true);

    // the types entry works for a TypeScript consumer too: the declaration file names DeepFM
    expect(fs.readFileSync(path.join(installed, 'dist', 'index.d.ts'), 'utf8')).toMatch(/models\/ranking|DeepFM/);
  });
});
