import { type ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { MAIN_JS, ROOT } from './build';

/** Zerokey's built entry point running as its own process, for specs that kill or stop it. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** The last 50 000 characters it wrote to stdout and stderr. */
  output(): string;
}

/**
 * Starts `node dist/src/main.js` with exactly `env` (plus PATH) on 127.0.0.1:`env.PORT`. It is
 * killed when the test process exits, should the spec never reach its own cleanup.
 */
export function spawnService(name: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: string): void => {
    out = (out + chunk).slice(-50_000);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  process.once('exit', () => child.kill('SIGKILL'));
  return { name, child, url: `http://127.0.0.1:${env.PORT}`, output: () => out };
}

export const isAlive = (s: ServiceProcess): boolean => s.child.exitCode === null && s.child.signalCode === null;

/** Polls /api/status/ready until 200; throws with the service's output (and `diagnostics()`) when it does not come. */
export async function waitReady(s: ServiceProcess, timeoutMs: number, diagnostics: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && isAlive(s)) {
    try {
      const res = await request(s.url).get('/api/status/ready').timeout(3000);
      if (res.status === 200) return;
      last = `${res.status} ${JSON.stringify(res.body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((done) => setTimeout(done, 150));
  }
  throw new Error(`${s.name} not ready within ${timeoutMs} ms (alive: ${isAlive(s)}; last: ${last})\n${s.output()}${diagnostics()}`);
}
