import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureBuilt, MAIN_JS, ROOT } from './build.js';
import { freePort } from './ports.js';

/**
 * Zerokey's built entry point running as its own process on 127.0.0.1, for specs that kill or stop
 * it. Its port is a free one picked at spawn; should another spec's server take that port before
 * Zerokey binds it, waitReady() notices (the answering socket is not the child's) and, once the child
 * has died of EADDRINUSE, starts it again on another port.
 */
export class ServiceProcess {
  child!: ChildProcess;
  url!: string;
  port!: number;
  private out = '';

  private constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * Builds if needed, spawns the service on a fresh SQLite file in a temp folder (`dir`, the file
   * `dir/zerokey.sqlite`) with a random ENCRYPTION_KEY and LOG_LEVEL=warn, plus `env`, and waits
   * until it is ready. `stop()` kills it and deletes the folder.
   */
  static async spawnOnSqlite(env: Record<string, string> = {}): Promise<{ service: ServiceProcess; dir: string; dbFile: string; stop(): void }> {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'zerokey-process-'));
    const dbFile = join(dir, 'zerokey.sqlite');
    const service = await ServiceProcess.spawn('zerokey', { DB_TYPE: 'sqlite', DB_PATH: dbFile, DATA_DIR: dir, ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn', ...env });
    await service.waitReady(45_000);
    return {
      service,
      dir,
      dbFile,
      stop() {
        if (service.alive()) service.child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  /** Spawns `node dist/src/main.js` with exactly `env` (plus PATH and PORT). */
  static async spawn(name: string, env: Record<string, string>): Promise<ServiceProcess> {
    const service = new ServiceProcess(name, env);
    await service.start();
    return service;
  }

  /** The last 50 000 characters it wrote to stdout and stderr. */
  output(): string {
    return this.out;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Polls /api/status/ready until the child itself answers 200; throws with its output (and
   * `diagnostics()`) when it does not come up in time or dies of anything but a taken port.
   */
  async waitReady(timeoutMs: number, diagnostics: () => string = () => ''): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.alive()) {
        if (!/EADDRINUSE/.test(this.out)) break;
        this.out += `\n[test] port ${this.port} was taken; starting again on another port\n`;
        await this.start();
      }
      try {
        const res = await request(this.url).get('/api/status/ready').timeout(3000);
        if (res.status === 200 && listensOn(this.child.pid!, this.port)) return;
        last = `${res.status} ${JSON.stringify(res.body)}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((done) => setTimeout(done, 150));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms (alive: ${this.alive()}; last: ${last})\n${this.out}${diagnostics()}`);
  }

  private async start(): Promise<void> {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: string): void => {
      this.out = (this.out + chunk).slice(-50_000);
    };
    child.stdout!.setEncoding('utf8').on('data', append);
    child.stderr!.setEncoding('utf8').on('data', append);
    // Never left running when the test process ends without reaching the spec's cleanup.
    process.once('exit', () => child.kill('SIGKILL'));
    this.child = child;
  }
}

/**
 * Whether process `pid` holds the listening TCP socket on `port` (Linux: its socket inodes in
 * /proc/<pid>/fd against the LISTEN entries of /proc/net/tcp and tcp6). Tells a server the spec
 * started from another spec's server that happens to answer on the same port.
 */
export function listensOn(pid: number, port: number): boolean {
  const sockets = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[')) sockets.add(link.slice('socket:['.length, -1));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return false;
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10 || columns[3] !== '0A') continue;
      if (parseInt(columns[1].split(':')[1], 16) === port && sockets.has(columns[9])) return true;
    }
  }
  return false;
}
