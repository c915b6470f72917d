import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { ensureBuilt, MAIN_JS as MAIN, ROOT } from '../support/build.js';
import { freePort } from '../support/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../support/api-client.js';
import { createMysqlDatabase } from '../support/test-app.js';
import { listensOn } from '../support/service-process.js';


interface Service {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zerokey-process-'));
  tempDirs.push(dir);
  return dir;
}


/** Starts `node dist/src/main.js` with exactly `env` (nothing inherited but PATH). */
function startService(env: Record<string, string>): Service {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      // Let the pipes drain before the caller reads them.
      setImmediate(() => done({ code, signal }));
    });
  });
  return { child, url: `http://127.0.0.1:${env.PORT ?? 8080}`, stdout: () => out, stderr: () => err, exited };
}

async function waitUntilUp(service: Service, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const res = await request(service.url).get('/api/status').timeout(1000);
      // Only our child counts: another spec's server may have taken the port picked for it.
      if (res.status === 200 && listensOn(service.child.pid!, Number(new URL(service.url).port))) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not come up:\nstdout:\n${service.stdout()}\nstderr:\n${service.stderr()}`);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

beforeAll(async () => {
  // Builds dist/ when it is missing or older than the sources.
  await ensureBuilt();
  expect(existsSync(MAIN)).toBe(true);
}, 180_000);

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('configuration validated at boot', () => {
  it('PORT=70000 exits non-zero with one line naming PORT and the rule', async ({ expect }) => {
    const dir = tempDir();
    const service = startService({ PORT: '70000', DATA_DIR: join(dir, 'data'), DB_PATH: join(dir, 'data/z.sqlite') });
    const { code } = await withTimeout(service.exited, 20_000, 'exit');
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = service.stderr().split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => l.includes('PORT must be an integer 1-65535')), service.stderr()).toHaveLength(1);
    expect(lines, 'no stack trace').toHaveLength(1);
    expect(existsSync(join(dir, 'data')), 'nothing created').toBe(false);
  });

  it('other bad values are named the same way', async ({ expect }) => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ DB_TYPE: 'postgres' }, /DB_TYPE/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ ENCRYPTION_KEY: 'too-short' }, /ENCRYPTION_KEY/],
      [{ BOOTSTRAP_EMAIL: 'a@example.com' }, /BOOTSTRAP_/],
    ];
    await Promise.all(
      cases.map(async ([env, pattern]) => {
        const dir = tempDir();
        const service = startService({ PORT: '1', DATA_DIR: join(dir, 'data'), DB_PATH: join(dir, 'data/z.sqlite'), ...env });
        const { code } = await withTimeout(service.exited, 20_000, 'exit');
        expect(code, JSON.stringify(env)).not.toBe(0);
        const lines = service.stderr().split('\n').filter((l) => l.trim() !== '');
        expect(lines, JSON.stringify(env)).toHaveLength(1);
        expect(lines[0]).toMatch(pattern);
      }),
    );
  });

  it('NODE_ENV=production without ENCRYPTION_KEY refuses to start, naming ENCRYPTION_KEY', async ({ expect }) => {
    const dir = tempDir();
    const port = await freePort();
    const service = startService({ NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), DB_PATH: join(dir, 'data/z.sqlite') });
    const { code } = await withTimeout(service.exited, 20_000, 'exit');
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = service.stderr().split('\n').filter((l) => l.trim() !== '');
    expect(lines, service.stderr()).toHaveLength(1);
    expect(lines[0]).toMatch(/ENCRYPTION_KEY/);
    expect(existsSync(join(dir, 'data/encryption.key'))).toBe(false);
  });
});

describe('start with no configuration (embedded SQLite)', () => {
  let dir: string;
  let env: Record<string, string>;
  let service: Service;
  const password = `first run password ${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = tempDir();
    env = { PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), DB_PATH: join(dir, 'data/zerokey.sqlite') };
    service = startService(env);
    await waitUntilUp(service);
  }, 60_000);

  it('answers /api/status and /api/status/ready', async () => {
    expect((await request(service.url).get('/api/status')).status).toBe(200);
    expect((await request(service.url).get('/api/status/ready')).body).toMatchObject({ status: 'ready' });
  });

  it('generated DATA_DIR/encryption.key (32 bytes, mode 0600) and logged a warning', async () => {
    const file = join(dir, 'data/encryption.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const warnings = jsonLines(service.stdout()).filter((l) => l.level === 40 && /ENCRYPTION_KEY/.test(String(l.msg)));
    expect(warnings).toHaveLength(1);
    expect(existsSync(env.DB_PATH)).toBe(true);
  });

  it('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const body = JSON.stringify({ email: 'first@example.com', password, organization: 'First' });
    const half = Math.floor(body.length / 2);
    const agent = new Agent({ keepAlive: true });
    const answer = new Promise<{ status: number; body: string }>((done, fail) => {
      const req = httpRequest(`${service.url}/api/v1/admin/bootstrap`, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', fail);
      req.write(body.slice(0, half));
      setTimeout(() => {
        service.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(half)), 300);
      }, 300);
    });
    const res = await withTimeout(answer, 15_000, 'in-flight response');
    const answeredAt = Date.now();
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ user: { email: 'first@example.com' } });
    const exit = await withTimeout(service.exited, 15_000, 'exit after SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // The client keeps its connection alive: the server must not wait for it to go idle and drop.
    expect(Date.now() - answeredAt).toBeLessThan(3000);
    agent.destroy();
  });

  it('a restart reuses the key and the database: the bootstrapped admin logs in', { timeout: 60_000 }, async () => {
    const keyBefore = readFileSync(join(dir, 'data/encryption.key'), 'utf8');
    const again = startService(env);
    try {
      await waitUntilUp(again);
      const login = await request(again.url).post('/api/v1/auth/login').send({ email: 'first@example.com', password });
      expect(login.status).toBe(200);
      expect((await request(again.url).get('/api/v1/organizations').set(auth(login.body.accessToken))).body.organizations).toHaveLength(1);
      expect(readFileSync(join(dir, 'data/encryption.key'), 'utf8')).toBe(keyBefore);
    } finally {
      again.child.kill('SIGTERM');
      expect(await withTimeout(again.exited, 15_000, 'exit')).toEqual({ code: 0, signal: null });
    }
  });
});

describe('logs', () => {
  let service: Service;
  let dropDatabase: (() => Promise<void>) | undefined;
  const secrets: string[] = [];
  const reqIds: string[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    const env: Record<string, string> = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'debug',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    if (process.env.DB_TYPE === 'mysql') {
      const db = await createMysqlDatabase();
      Object.assign(env, { DB_TYPE: 'mysql', DB_URL: db.url });
      dropDatabase = db.drop;
    } else {
      env.DB_PATH = join(dir, 'data/zerokey.sqlite');
    }
    service = startService(env);
    await waitUntilUp(service);

    const password = `log secret password ${randomBytes(6).toString('hex')}`;
    const newPassword = `log secret new password ${randomBytes(6).toString('hex')}`;
    const track = (res: request.Response): request.Response => {
      reqIds.push(String(res.headers['x-request-id']));
      return res;
    };
    const boot = track(await request(service.url).post('/api/v1/admin/bootstrap').send({ email: 'logs@example.com', password, organization: 'Logs' }));
    expect(boot.status).toBe(200);
    const login = track(await request(service.url).post('/api/v1/auth/login').send({ email: 'logs@example.com', password }));
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    expect(track(await request(service.url).get('/api/v1/organizations').set(auth(token))).status).toBe(200);
    expect(track(await request(service.url).get(`/api/v1/organizations?token=${token}`).set(auth(token))).status).toBe(200);
    expect(track(await request(service.url).post('/api/v1/auth/login').send({ email: 'logs@example.com', password: `${password}-wrong` })).status).toBe(401);
    expect(track(await request(service.url).get('/api/v1/organizations').set(auth(`${token}x`))).status).toBe(401);
    expect(track(await request(service.url).post('/api/v1/users/me/password').set(auth(token)).send({ currentPassword: password, newPassword })).status).toBe(200);
    expect(track(await request(service.url).post('/api/v1/auth/logout').set(auth(token))).status).toBe(200);
    secrets.push(password, newPassword, token, boot.body.accessToken, token.split('.')[2], boot.body.accessToken.split('.')[2], env.ENCRYPTION_KEY);

    service.child.kill('SIGTERM');
    expect(await withTimeout(service.exited, 15_000, 'exit')).toEqual({ code: 0, signal: null });
  }, 90_000);

  afterAll(async () => {
    await dropDatabase?.();
  });

  it('every stdout line is JSON', () => {
    expect(jsonLines(service.stdout()).length).toBeGreaterThan(5);
  });

  it('request logs carry the reqId of the x-request-id header', () => {
    const lines = jsonLines(service.stdout());
    const requestLogs = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    expect(requestLogs.length).toBeGreaterThanOrEqual(reqIds.length);
    for (const line of requestLogs) expect(typeof line.reqId === 'string' && line.reqId.length > 0, JSON.stringify(line)).toBe(true);
    const logged = new Set(lines.map((l) => l.reqId));
    for (const id of reqIds) expect(logged.has(id), `reqId ${id} in the logs`).toBe(true);
  });

  it('liveness and readiness probes are not request-logged; API calls are', () => {
    const paths = jsonLines(service.stdout())
      .map((l) => (l.req as { path?: string } | undefined)?.path)
      .filter((p): p is string => typeof p === 'string');
    expect(paths).toContain('/api/v1/auth/login');
    expect(paths.filter((p) => p.startsWith('/api/status'))).toEqual([]);
  });

  it('never contains the Authorization header, a password, an access token or the encryption key', () => {
    const out = service.stdout() + service.stderr();
    for (const secret of secrets) expect(out.includes(secret), `a secret leaked into the logs (${secret.slice(0, 8)}…)`).toBe(false);
    expect(out).not.toMatch(/Bearer\s/i);
    expect(out).not.toMatch(/eyJhbGciOiJFUzI1Ni/);
  });
});
