import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './build.js';

/** The built agent that specs spawn as a real process. */
export const AGENT_JS = join(ROOT, 'dist/agent/main.js');

/** Test timing: the documented defaults are 1 s and 5 min; these keep the specs to seconds. */
export const FAST_TIMING = { ZEROKEY_AGENT_BACKOFF_BASE_MS: '200', ZEROKEY_AGENT_BACKOFF_MAX_MS: '1000', ZEROKEY_AGENT_REQUEST_TIMEOUT_MS: '3000' };

const children = new Set<ChildProcess>();
// Never left running when the test process ends without reaching the spec's cleanup.
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** `node dist/agent/main.js …` as a child process, with its output kept. */
export class AgentProcess {
  private out = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const append = (chunk: string): void => {
      this.out = (this.out + chunk).slice(-200_000);
    };
    child.stdout!.setEncoding('utf8').on('data', append);
    child.stderr!.setEncoding('utf8').on('data', append);
    children.add(child);
    this.exited = new Promise((done) => child.once('exit', (code) => (children.delete(child), done(code))));
  }

  static spawn(args: string[], env: Record<string, string> = {}): AgentProcess {
    const child = spawn(process.execPath, [AGENT_JS, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...FAST_TIMING, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new AgentProcess(child);
  }

  /** Runs to completion (for --once); kills it after `timeoutMs`. */
  static async run(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
    const agent = AgentProcess.spawn(args, env);
    const timer = setTimeout(() => agent.child.kill('SIGKILL'), timeoutMs);
    const code = await agent.exited;
    clearTimeout(timer);
    return { code, output: agent.output() };
  }

  output(): string {
    return this.out;
  }

  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[] {
    return this.out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Polls `check` every 50 ms until it holds; throws with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms\n${describe()}`);
}
