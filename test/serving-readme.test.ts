/**
 * The README's "Serving" examples are the files in examples/ verbatim (imports from 'nextrec-ts'), and the Node
 * and ONNX Runtime ones run to completion (each checks its own scores and exits non-zero on a mismatch); the
 * browser one runs in test/serving-browser.test.ts.
 */
import * as os from 'os';
import * as path from 'path';
import { promises as fs, readFileSync } from 'fs';
import { spawnSync } from 'child_process';

const ROOT = path.join(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function asInReadme(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8').replace("'../src/browser'", "'nextrec-ts'").replace("'../src'", "'nextrec-ts'");
}

describe('README serving examples', () => {
  it.each(['examples/serving-node.ts', 'examples/serving-browser.ts', 'examples/serving-onnx.ts'])('%s is shown verbatim in the README', (file) => {
    expect(README).toContain(asInReadme(file));
  });

  it.each(['examples/serving-node.ts', 'examples/serving-onnx.ts'])('%s runs and its scores check out', async (file) => {
    const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-readme-'));
    try {
      const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '-P', path.join(ROOT, 'tsconfig.json'), path.join(ROOT, file)], { cwd, encoding: 'utf8', timeout: 170_000 });
      expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(file.includes('onnx') ? /row 4: onnxruntime 0\.\d+ {2}tfjs 0\.\d+/ : /first scores: 0\.\d+/);
    } finally {
      await fs.rm(cwd, { recursive: true, force: true });
    }
  }, 180_000);
});
