/**
 * Crash safety of saves: a child process saves a model over a good checkpoint in a loop and is killed with
 * SIGKILL at random moments; every time, the directory must load as the previous save or the new one.
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { build } from 'esbuild';
import { initBackend, shutdownBackend } from '../src/basic/backend';
import { DeepFM } from '../src/models/ranking/deepfm';
import { FileStore } from '../src/data/file-store';
import { Rng } from '../src/basic/random';

let tmp: string;
let childScript: string;

beforeAll(async () => {
  await initBackend({ log: false });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'nextrec-fault-'));
  // bundle the child once: a fresh ts-node per trial would spend seconds compiling
  childScript = path.join(tmp, 'save-loop.js');
  await build({ entryPoints: [path.join(__dirname, 'fixtures/fault/save-loop.ts')], bundle: true, platform: 'node', packages: 'external', outfile: childScript, logLevel: 'error' });
});
afterAll(async () => {
  await shutdownBackend();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Start the save loop, wait until `minSaves` saves completed, then SIGKILL it `delayMs` later. Returns the last save seen complete. */
function killDuringSaves(dir: string, rows: number, minSaves: number, delayFraction: number): Promise<{ lastSaved: number; saveMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dir, String(rows)], {
      env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastSaved = 0;
    let saveMs = 0;
    let killTimer: NodeJS.Timeout | null = null;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const [, n, ms] = buffered.slice(0, nl).split(' ');
        buffered = buffered.slice(nl + 1);
        lastSaved = Number(n);
        saveMs = Math.max(saveMs, Number(ms));
        if (lastSaved >= minSaves && !killTimer) {
          // anywhere from the start of the next save to past its end
          killTimer = setTimeout(() => child.kill('SIGKILL'), Math.round(delayFraction * 1.2 * saveMs));
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lastSaved, saveMs });
      else reject(new Error(`save loop exited with ${code}: ${stderr}`));
    });
  });
}

/** Load the directory and return the save number it holds, checking every weight agrees with it. */
async function loadedSave(dir: string): Promise<number> {
  const m = await DeepFM.load<DeepFM>(dir);
  const step = m.internals().globalStep;
  for (const [name, p] of m.namedParams()) {
    const v = p.variable.dataSync();
    if (v[0] !== step || v[v.length - 1] !== step) throw new Error(`dense '${name}' holds ${v[0]}, manifest says save ${step}`);
  }
  for (const t of m.embeddings.tables.values()) {
    if (t.data[0] !== step || t.data[t.data.length - 1] !== step || t.step !== step) throw new Error(`table '${t.name}' holds ${t.data[0]}, manifest says save ${step}`);
  }
  m.dispose();
  return step;
}

async function runTrials(rows: number, trials: number, seed: number): Promise<Record<string, number>> {
  const rng = new Rng(seed);
  const outcome: Record<string, number> = { old: 0, new: 0 };
  for (let i = 0; i < trials; i++) {
    const dir = path.join(tmp, `rows${rows}-trial${i}`);
    const { lastSaved } = await killDuringSaves(dir, rows, 1 + (i % 2), rng.next());
    const got = await loadedSave(dir);
    // the kill may land after a save finished but before its line reached us, hence +2
    expect([lastSaved, lastSaved + 1, lastSaved + 2]).toContain(got);
    outcome[got === lastSaved ? 'old' : 'new']++;
    const left = (await fs.readdir(dir)).filter((e) => e.startsWith('.saving-'));
    expect(left).toEqual([]); // loading cleaned up or finished the interrupted save
  }
  return outcome;
}

describe('saves killed with SIGKILL at random points', () => {
  it('always leave a loadable checkpoint, old or new (20 trials, 2e4-row Adam table)', async () => {
    const outcome = await runTrials(20_000, 20, 5);
    console.log(`2e4 rows, 20 kills: loaded the previous save ${outcome.old} times, the interrupted one ${outcome.new} times`);
    expect(outcome.old + outcome.new).toBe(20);
  }, 240_000);

  it('always leave a loadable checkpoint with a 1e6-row table (2 trials)', async () => {
    const outcome = await runTrials(1_000_000, 2, 9);
    expect(outcome.old + outcome.new).toBe(2);
  }, 240_000);
});

describe('FileStore transactions', () => {
  it('a commit record left by a killed process is completed on next use', async () => {
    const dir = path.join(tmp, 'recover');
    const store = new FileStore(dir);
    await store.atomically(async (s) => {
      await s.writeBytes('a.bin', new Uint8Array([1]));
      await s.writeBytes('sub/b.bin', new Uint8Array([1]));
    });
    // simulate: process died right after writing the commit record, one file already moved
    const id = '.saving-999999999-x';
    await fs.mkdir(path.join(dir, id, 'sub'), { recursive: true });
    await fs.writeFile(path.join(dir, id, 'sub/b.bin'), new Uint8Array([2]));
    await fs.writeFile(path.join(dir, 'a.bin'), new Uint8Array([2]));
    await fs.writeFile(path.join(dir, `${id}.commit`), JSON.stringify({ files: ['a.bin', 'sub/b.bin'] }));
    const fresh = new FileStore(dir);
    expect(Array.from(await fresh.readBytes('a.bin'))).toEqual([2]);
    expect(Array.from(await fresh.readBytes('sub/b.bin'))).toEqual([2]);
    expect((await fs.readdir(dir)).sort()).toEqual(['a.bin', 'sub']);
  });

  it('staged files without a commit record are discarded and the old ones kept', async () => {
    const dir = path.join(tmp, 'discard');
    await new FileStore(dir).writeBytes('a.bin', new Uint8Array([1]));
    const id = '.saving-999999999-y';
    await fs.mkdir(path.join(dir, id), { recursive: true });
    await fs.writeFile(path.join(dir, id, 'a.bin'), new Uint8Array([2]));
    const fresh = new FileStore(dir);
    expect(Array.from(await fresh.readBytes('a.bin'))).toEqual([1]);
    expect(await fs.readdir(dir)).toEqual(['a.bin']);
  });

  it('a writer that throws publishes nothing', async () => {
    const dir = path.join(tmp, 'throws');
    const store = new FileStore(dir);
    await store.writeBytes('a.bin', new Uint8Array([1]));
    await expect(
      store.atomically(async (s) => {
        await s.writeBytes('a.bin', new Uint8Array([2]));
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(Array.from(await store.readBytes('a.bin'))).toEqual([1]);
    expect(await fs.readdir(dir)).toEqual(['a.bin']);
  });
});
