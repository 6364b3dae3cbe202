/**
 * A child process speaking the step protocol of torch_step_server.py / ts-step-server.ts: `ready {json}` once,
 * then one `ms WALL CPU LOSS` line per `step` request. Every wait has a timeout, and close() ends the child
 * (quit, then SIGTERM, then SIGKILL) so that a failed run never leaves a process behind.
 */
import { ChildProcess, spawn } from 'child_process';
import * as readline from 'readline';

/** One step as timed inside the child. */
export interface StepTiming {
  wallMs: number;
  cpuMs: number;
  loss: number;
}

export class StepServer {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private readonly stderrTail: string[] = [];
  private exited: string | null = null;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (e) => this.onExit(`could not start (${e.message})`));
    this.child.on('exit', (code, signal) => this.onExit(signal ? `killed by ${signal}` : `exited with status ${code}`));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(line);
      } else this.lines.push(line);
    });
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
  }

  private onExit(why: string): void {
    this.exited ??= why;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(null);
    }
  }

  private failure(what: string): Error {
    const tail = this.stderrTail.length ? `\n--- last stderr lines of ${this.label} ---\n${this.stderrTail.join('\n')}` : '';
    return new Error(`${this.label}: ${what}${tail}`);
  }

  /** The child's next stdout line, or an error when the child exits or `timeoutMs` passes first. */
  private nextLine(timeoutMs: number, what: string): Promise<string> {
    if (this.lines.length) return Promise.resolve(this.lines.shift()!);
    if (this.exited) return Promise.reject(this.failure(`${this.exited} while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(this.failure(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}`));
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        if (line === null) reject(this.failure(`${this.exited} while waiting for ${what}`));
        else resolve(line);
      };
    });
  }

  /** Wait for the child's `ready` line and return its JSON. Lines before it (library banners) are skipped. */
  async ready(timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.nextLine(Math.max(1, deadline - Date.now()), 'the ready line');
      if (line.startsWith('error ')) throw this.failure(line.slice(6));
      if (line.startsWith('ready ')) return JSON.parse(line.slice(6)) as Record<string, unknown>;
    }
  }

  /** Ask for one training step and return the child's own timing of it. */
  async step(timeoutMs: number): Promise<StepTiming> {
    if (this.exited) throw this.failure(this.exited);
    this.child.stdin!.write('step\n');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.nextLine(Math.max(1, deadline - Date.now()), 'a step result');
      if (line.startsWith('error ')) throw this.failure(line.slice(6));
      if (!line.startsWith('ms ')) continue;
      const [wallMs, cpuMs, loss] = line.slice(3).trim().split(/\s+/).map(Number);
      if (!Number.isFinite(wallMs)) throw this.failure(`unreadable step result '${line}'`);
      return { wallMs, cpuMs, loss };
    }
  }

  /** Ask the child to quit; terminate it if it has not exited after `graceMs`, kill it after twice that. */
  async close(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    // a child that is crashing may close its stdin before 'exit' arrives: the write then fails asynchronously (EPIPE,
    // an 'error' event), and the signals below still apply
    this.child.stdin!.once('error', () => undefined);
    try {
      this.child.stdin!.write('quit\n');
      this.child.stdin!.end();
    } catch {
      // stdin already closed: the signals below still apply
    }
    const wait = (ms: number) => Promise.race([gone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (await wait(graceMs)) return;
    this.child.kill('SIGTERM');
    if (await wait(graceMs)) return;
    this.child.kill('SIGKILL');
    await wait(graceMs);
  }

  /** Immediate termination (for signal handlers). */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
