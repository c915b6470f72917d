import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';

export const MARIADBD = process.env.MARIADBD_PATH ?? '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = process.env.MARIADB_INSTALL_DB_PATH ?? '/usr/bin/mariadb-install-db';

export interface PrivateMariaDbOptions {
  /** Databases created at start (default `zerokey`). */
  databases?: string[];
  /** How long to wait for the server to accept connections, per start (default 30 s). */
  startTimeoutMs?: number;
}


function assertExecutable(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `PrivateMariaDb: ${path} is missing or not executable. The reliability tests start their own MariaDB ` +
        `and are never skipped: install the MariaDB server (apt-get install mariadb-server) or point ` +
        `MARIADBD_PATH / MARIADB_INSTALL_DB_PATH at the binaries.`,
    );
  }
}

const live = new Set<PrivateMariaDb>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave a server behind when the test process ends without calling stop().
  process.once('exit', () => {
    for (const db of live) db.killSync();
  });
}

/**
 * A MariaDB server of its own for one test file: `mariadb-install-db` into a fresh temp datadir,
 * `mariadbd` on a free loopback port (and a private unix socket), an application user with a
 * password (TCP login, as the app does it). `kill()` / `restart()` simulate an outage while
 * keeping the datadir and the port, `freeze()` / `thaw()` a hung server; `stop()` kills the server
 * and deletes everything. A missing binary is an error, never a skip.
 *
 * The server runs as root (`--user=root`): these tests run as root on throwaway machines.
 */
export class PrivateMariaDb {
  readonly user = 'zerokey';
  readonly password = randomBytes(12).toString('hex');
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private spawnError: Error | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly startTimeoutMs: number,
  ) {}

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  /** mysql://zerokey:…@127.0.0.1:port/<database> */
  url(database = 'zerokey'): string {
    return `mysql://${this.user}:${this.password}@${this.host}:${this.port}/${database}`;
  }

  /** The server's stdout/stderr so far (for failure messages). */
  log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child !== undefined && this.spawnError === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: PrivateMariaDbOptions = {}): Promise<PrivateMariaDb> {
    assertExecutable(MARIADBD);
    assertExecutable(MARIADB_INSTALL_DB);
    const dir = mkdtempSync(join(tmpdir(), 'zerokey-mariadb-'));
    mkdirSync(join(dir, 'tmp'));
    const db = new PrivateMariaDb(dir, await freePort(), options.startTimeoutMs ?? 30_000);
    live.add(db);
    installExitHook();
    try {
      await db.install();
      await db.launch();
      await db.provision(options.databases ?? ['zerokey']);
    } catch (error) {
      await db.stop();
      throw error;
    }
    return db;
  }

  /** A root connection over the private unix socket (tests inspect rows with it). */
  async admin(database?: string): Promise<Connection> {
    return createConnection({ socketPath: this.socket, user: 'root', password: '', database, timezone: 'Z', connectTimeout: 3000 });
  }

  /** Runs one statement as root and returns its rows. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    const conn = await this.admin(database);
    try {
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    } finally {
      await conn.end();
    }
  }

  async createDatabase(name: string): Promise<string> {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
    await this.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    return this.url(name);
  }

  /** Kills the server (SIGKILL by default: no clean shutdown) and waits until it is gone; the datadir stays. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    // A frozen server handles no signal but SIGKILL until it is resumed.
    if (signal !== 'SIGKILL') this.child!.kill('SIGCONT');
    await this.exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung host. */
  freeze(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  /** Resumes a frozen server (SIGCONT). */
  thaw(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** Starts the server again on the same datadir and port (crash recovery runs if it was killed). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Kills the server and removes its directory. Safe to call more than once. */
  async stop(): Promise<void> {
    await this.kill();
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For the process exit hook: no awaiting possible there. */
  killSync(): void {
    if (this.running) this.child!.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serverArgs(): string[] {
    return [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      // Its own temp dir: servers sharing /tmp (installs running side by side) trip over each other's temp tables.
      `--tmpdir=${join(this.dir, 'tmp')}`,
      '--user=root',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=8M',
      '--skip-name-resolve',
    ];
  }

  private async install(): Promise<void> {
    const args = [...this.serverArgs(), '--auth-root-authentication-method=normal', '--skip-test-db'];
    await new Promise<void>((done, fail) => {
      execFile(MARIADB_INSTALL_DB, args, { timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) fail(new Error(`mariadb-install-db failed: ${error.message}\n${stdout}\n${stderr}`));
        else done();
      });
    });
  }

  private async launch(): Promise<void> {
    const args = [
      ...this.serverArgs(),
      `--port=${this.port}`,
      `--bind-address=${this.host}`,
      `--socket=${this.socket}`,
      `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--max-connections=300',
      '--skip-log-bin',
    ];
    const child = spawn(MARIADBD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.spawnError = undefined;
    this.exited = new Promise((done) => {
      child.once('exit', () => done());
      child.once('error', (error) => {
        this.spawnError = error;
        append(Buffer.from(`spawn error: ${error.message}\n`));
        done();
      });
    });
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`mariadbd exited during start (code ${child.exitCode}, signal ${child.signalCode}):\n${this.output}`);
      try {
        const conn = await this.admin();
        await conn.query('SELECT 1');
        await conn.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections within ${this.startTimeoutMs} ms:\n${this.output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async provision(databases: string[]): Promise<void> {
    const conn = await this.admin();
    try {
      // The app logs in over TCP from 127.0.0.1 with a password, like a production deployment.
      await conn.query(`CREATE USER '${this.user}'@'127.0.0.1' IDENTIFIED BY '${this.password}'`);
      await conn.query(`GRANT ALL PRIVILEGES ON *.* TO '${this.user}'@'127.0.0.1'`);
      for (const name of databases) {
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
        await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      }
    } finally {
      await conn.end();
    }
  }
}
