/**
 * Every ```ts block in README.md and docs/*.md either runs or is marked as a deliberate fragment with
 * `<!-- not-run: reason -->` on the line before its fence. Runnable blocks run in this process, one after the
 * other, each in a fresh temporary working directory holding the files of test/fixtures/docs, with `from 'nextrec-ts'` (and the `./src/...` imports of
 * in-repository examples) resolved to this repository's sources.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { transformSync } from 'esbuild';

const REPO = path.resolve(__dirname, '..');
const NOT_RUN = /^<!--\s*not-run:\s*(\S[^>]*?)\s*-->$/;
/** Small input files the examples read by name (train.csv, new_rows.csv), copied into each block's directory. */
const FIXTURES = path.join(REPO, 'test/fixtures/docs');

interface DocBlock {
  file: string;
  line: number;
  code: string;
  /** Reason given by the `not-run` marker; undefined for blocks that must run. */
  notRun?: string;
}

function extractBlocks(file: string): DocBlock[] {
  const lines = fs.readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const marker = j >= 0 ? NOT_RUN.exec(lines[j].trim()) : null;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: unterminated code block`);
    blocks.push({ file, line: start + 1, code: body.join('\n'), notRun: marker?.[1] });
  }
  return blocks;
}

const FILES = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const BLOCKS = FILES.flatMap(extractBlocks);

/**
 * Turns a block into a CommonJS module exporting `run()`: imports stay at the top, the rest (which may use
 * top-level await) becomes the body of an async function, and a `main()` the block starts is awaited.
 */
function toModule(code: string): string {
  const imports: string[] = [];
  const body = code.replace(/^import[^;]*?from\s+'[^']+';[^\n]*$/gm, (m) => {
    imports.push(m);
    return '';
  })
    .replace(/^main\(\)\.catch/m, 'await main().catch')
    .replace(/^void main\(\);/m, 'await main();');
  const ts = `${imports.join('\n')}\nexport async function run(): Promise<void> {\n${body}\n}\n`;
  return transformSync(ts, { loader: 'ts', format: 'cjs', target: 'es2022' }).code;
}

function requireFor(spec: string): unknown {
  if (spec === 'nextrec-ts') return require(path.join(REPO, 'src/index.ts'));
  if (spec.startsWith('./src/')) return require(path.join(REPO, spec));
  return require(spec);
}

/** `process` as the block sees it: exiting (the examples' error path) throws instead of ending the test run. */
const blockProcess = Object.create(process, {
  exit: { value: (code?: number) => { throw new Error(`example called process.exit(${code})`); } },
});

/**
 * onnxruntime-node checks `data instanceof Float32Array` against its own realm, which jest's sandbox breaks, so a
 * block using it runs in a child Node process (ts-node compiles the sources there).
 */
function runBlockInChild(block: DocBlock, dir: string): void {
  const code = toModule(block.code).replace(/require\("nextrec-ts"\)/g, `require(${JSON.stringify(path.join(REPO, 'src/index.ts'))})`);
  fs.writeFileSync(path.join(dir, 'block.js'), code);
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', "require('./block.js').run().catch((e) => { console.error(e); process.exit(1); })"], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'tsconfig.json'), NODE_PATH: path.join(REPO, 'node_modules') },
  });
  if (r.status !== 0) throw new Error(`${block.file}:${block.line} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}

async function runBlock(block: DocBlock): Promise<void> {
  if (/from 'onnxruntime-node'/.test(block.code)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nextrec-doc-'));
    fs.cpSync(FIXTURES, dir, { recursive: true });
    try {
      runBlockInChild(block, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const mod: { exports: { run?: () => Promise<void> } } = { exports: {} };
  new Function('exports', 'require', 'module', 'process', toModule(block.code))(mod.exports, requireFor, mod, blockProcess);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nextrec-doc-'));
  fs.cpSync(FIXTURES, dir, { recursive: true });
  const cwd = process.cwd();
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  process.chdir(dir);
  try {
    await mod.exports.run!();
  } finally {
    process.chdir(cwd);
    log.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('code blocks in README.md and docs/*.md', () => {
  it('finds the blocks, and every not-run marker gives a reason', () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
    expect(BLOCKS.filter((b) => b.notRun === undefined).length).toBeGreaterThan(5);
    const malformed = FILES.flatMap((f) => fs.readFileSync(path.join(REPO, f), 'utf8').split('\n')
      .map((l, i) => ({ at: `${f}:${i + 1}`, l: l.trim() }))
      .filter(({ l }) => /<!--\s*not-run/.test(l) && !NOT_RUN.test(l)).map(({ at }) => at));
    expect(malformed).toEqual([]);
  });

  it('rejects a block that does not run (the check can fail)', async () => {
    await expect(runBlock({ file: 'x.md', line: 1, code: "import { DeepFM } from 'nextrec-ts';\nnew DeepFM({ sparseFeatures: [], bogus: 1 } as never);" }))
      .rejects.toThrow();
  });

  for (const block of BLOCKS) {
    const name = `${block.file}:${block.line}`;
    if (block.notRun !== undefined) {
      it.skip(`${name} (not run: ${block.notRun})`, () => undefined);
      continue;
    }
    it(`${name} runs`, async () => {
      await runBlock(block);
    });
  }
});
