import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureBuilt, MAIN_JS as MAIN, ROOT } from '../../support/build.js';
import { freePort } from '../../support/ports.js';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';

/*
 * No secret leaks (issue 6): the built service runs as a child process with LOG_LEVEL=debug on
 * SQLite, a full scenario runs with distinctive secrets, and none of them may show up in the
 * captured stdout/stderr, in an HTTP answer (except the access tokens the contract returns, each
 * in its own issuing answer), in the SQLite file or its -wal/-shm, or in the audit rows. The
 * service's own configuration is the same whatever DB_TYPE the suite runs with: this test always
 * uses SQLite, whose bytes can be read directly.
 */

const tag = randomBytes(4).toString('hex');
const secret = (name: string): string => `zk-${name}-SECRET-${tag}-${randomBytes(6).toString('hex')}`;

const S = {
  bootstrapPassword: secret('bootstrap-password'),
  memberPassword: secret('member-password'),
  memberNewPassword: secret('member-new-password'),
  wrongPassword: secret('wrong-password'),
  reviewer: secret('reviewer'),
  reviewer2: secret('reviewer-two'),
  bogusBearer: secret('bogus-bearer'),
  echoedInValidation: secret('echoed-in-422'),
  malformedJson: secret('malformed-json'),
  oversizedBody: secret('oversized-body'),
};
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
/** Public values that must be stored: proof that the byte scans look at the right files. */
const PUBLIC_IDENTITY_NAME = `leak-test-identity-PUBLIC-${tag}`;
const MEMBER_EMAIL = `member-${tag}@example.com`;

interface Answer {
  label: string;
  text: string;
  /** Secrets this answer may carry (an access token in the answer that issues it). */
  allowed: string[];
}

let child: ChildProcess | undefined;
let sim: KubernetesSimulator;
let dataDir: string;
let url: string;
let logs = '';
const answers: Answer[] = [];
/** JWTs seen during the scenario (workload JWTs and access tokens), by label. */
const jwts = new Map<string, string>();


/** Sends a request and keeps its answer (status line, headers and body) for the leak scan. */
async function call(label: string, test: request.Test, allowed: string[] = []): Promise<request.Response> {
  const res = await test.timeout(10_000);
  answers.push({ label, text: `${res.status} ${JSON.stringify(res.headers)} ${res.text}`, allowed });
  return res;
}

function expectStatus(res: request.Response, status: number, label: string): void {
  expect(res.status, `${label}: ${res.text.slice(0, 300)}`).toBe(status);
}

beforeAll(async () => {
  await ensureBuilt();
  expect(existsSync(MAIN)).toBe(true);
  sim = await KubernetesSimulator.start();
  for (const token of [S.reviewer, S.reviewer2]) sim.addStaticToken(token, { username: 'system:serviceaccount:auth:static' });
  sim.bindAuthDelegator('system:serviceaccount:auth:static');
  sim.createServiceAccount('shop', 'checkout');
  sim.createPod('shop', 'checkout-7d9f', 'checkout');
  sim.createServiceAccount('web', 'frontend');
  dataDir = mkdtempSync(join(tmpdir(), 'zerokey-leaks-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      DB_TYPE: 'sqlite',
      DATA_DIR: dataDir,
      DB_PATH: join(dataDir, 'zerokey.sqlite'),
      ENCRYPTION_KEY,
      LOG_LEVEL: 'debug',
      KUBERNETES_TIMEOUT_MS: '5000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited:\n${logs}`);
    try {
      if ((await request(url).get('/api/status').timeout(1000)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`service did not come up:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await runScenario();
}, 240_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function runScenario(): Promise<void> {
  const boot = await call('bootstrap', request(url).post('/api/v1/admin/bootstrap').send({ email: 'root@example.com', password: S.bootstrapPassword, organization: 'Leak Test' }));
  expectStatus(boot, 200, 'bootstrap');
  const admin = boot.body.accessToken as string;
  answers.at(-1)!.allowed.push(admin);
  jwts.set('bootstrap session', admin);
  const orgId = boot.body.organization.id as string;
  const bearer = { Authorization: `Bearer ${admin}` };

  expectStatus(await call('add member', request(url).post(`/api/v1/organizations/${orgId}/memberships`).set(bearer).send({ email: MEMBER_EMAIL, password: S.memberPassword, role: 'viewer' })), 201, 'add member');
  expectStatus(await call('failed session login', request(url).post('/api/v1/auth/login').send({ email: MEMBER_EMAIL, password: S.wrongPassword })), 401, 'failed login');
  expectStatus(await call('failed session login, unknown email', request(url).post('/api/v1/auth/login').send({ email: `nobody-${tag}@example.com`, password: S.wrongPassword })), 401, 'failed login');
  const memberLogin = await call('member login', request(url).post('/api/v1/auth/login').send({ email: MEMBER_EMAIL, password: S.memberPassword }));
  expectStatus(memberLogin, 200, 'member login');
  const member = memberLogin.body.accessToken as string;
  answers.at(-1)!.allowed.push(member);
  jwts.set('member session', member);

  const identity = await call('create identity', request(url).post('/api/v1/identities').set(bearer).send({ name: PUBLIC_IDENTITY_NAME, organizationId: orgId, role: 'viewer', metadata: { team: 'shop' } }));
  expectStatus(identity, 201, 'create identity');
  const identityId = identity.body.identity.id as string;
  const configPath = `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
  expectStatus(
    await call('attach', request(url).post(configPath).set(bearer).send({ kubernetesHost: sim.url, caCert: sim.caPem, tokenReviewerJwt: S.reviewer, allowedNamespaces: 'shop', allowedAudience: 'zerokey', accessTokenNumUsesLimit: 0 })),
    201,
    'attach',
  );
  const check = await call('check', request(url).post(`${configPath}/check`).set(bearer));
  expectStatus(check, 200, 'check');
  expect(check.body.reviewerAuthorized).toBe(true);

  const workload = (label: string, options: Partial<Parameters<KubernetesSimulator['mint']>[0]> = {}): string => {
    const jwt = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey', ...options });
    jwts.set(label, jwt);
    return jwt;
  };
  const k8sLogin = async (label: string, jwt: string, status: number): Promise<string | undefined> => {
    const res = await call(label, request(url).post('/api/v1/auth/kubernetes-auth/login').set('User-Agent', `leak-test/${tag}`).send({ identityId, jwt }));
    expectStatus(res, status, label);
    if (status !== 200) return undefined;
    answers.at(-1)!.allowed.push(res.body.accessToken);
    jwts.set(`${label} access token`, res.body.accessToken);
    return res.body.accessToken as string;
  };

  const t1 = (await k8sLogin('workload login 1', workload('workload jwt 1'), 200))!;
  const renewed = await call('renew', request(url).post('/api/v1/auth/token/renew').send({ accessToken: t1 }));
  expectStatus(renewed, 200, 'renew');
  const t2 = renewed.body.accessToken as string;
  answers.at(-1)!.allowed.push(t2);
  jwts.set('renewed access token', t2);
  expectStatus(await call('self', request(url).get('/api/v1/auth/token/self').set({ Authorization: `Bearer ${t2}` })), 200, 'self');
  expectStatus(await call('revoke', request(url).post('/api/v1/auth/token/revoke').send({ accessToken: t1 })), 200, 'revoke');
  expectStatus(await call('self after revoke', request(url).get('/api/v1/auth/token/self').set({ Authorization: `Bearer ${t2}` })), 401, 'self after revoke');
  await k8sLogin('workload login 2', workload('workload jwt 2'), 200);

  await k8sLogin('workload login, other namespace', workload('workload jwt web', { namespace: 'web', serviceAccount: 'frontend', pod: undefined }), 403);
  await k8sLogin('workload login, expired', workload('workload jwt expired', { expired: true }), 401);
  await k8sLogin('workload login, foreign key', workload('workload jwt foreign', { foreignKey: true }), 401);
  await k8sLogin('workload login, other audience', workload('workload jwt vault', { audience: 'vault' }), 401);

  expectStatus(await call('patch reviewer', request(url).patch(configPath).set(bearer).send({ tokenReviewerJwt: S.reviewer2 })), 200, 'patch reviewer');
  await k8sLogin('workload login 3 (second reviewer)', workload('workload jwt 3'), 200);
  expectStatus(await call('read config', request(url).get(configPath).set(bearer)), 200, 'read config');

  expectStatus(await call('bogus bearer', request(url).get('/api/v1/organizations').set({ Authorization: `Bearer ${S.bogusBearer}` })), 401, 'bogus bearer');
  expectStatus(await call('bogus renew', request(url).post('/api/v1/auth/token/renew').send({ accessToken: S.bogusBearer })), 401, 'bogus renew');
  // 422 details name the fields (unknown ones too), never their values.
  expectStatus(await call('422 with secrets as values', request(url).post('/api/v1/auth/login').send({ email: 1, password: S.echoedInValidation, passwordConfirmation: S.echoedInValidation })), 422, '422');
  expectStatus(
    await call('422 on a config write with a secret', request(url).post(configPath).set(bearer).send({ kubernetesHost: 'not a url', tokenReviewerJwt: S.echoedInValidation, allowedNamespaces: 'shop', extra: S.echoedInValidation })),
    422,
    '422 config',
  );
  expectStatus(await call('malformed JSON', request(url).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(`{"email":"a@b.co","password":"${S.malformedJson}"`)), 400, 'malformed');
  expectStatus(await call('oversized body', request(url).post('/api/v1/auth/login').send({ email: 'a@b.co', password: `${S.oversizedBody}${'x'.repeat(70_000)}` })), 413, 'oversized');

  expectStatus(await call('change password', request(url).post('/api/v1/users/me/password').set({ Authorization: `Bearer ${member}` }).send({ currentPassword: S.memberPassword, newPassword: S.memberNewPassword })), 200, 'change password');
  expectStatus(await call('change password, wrong current', request(url).post('/api/v1/users/me/password').set({ Authorization: `Bearer ${member}` }).send({ currentPassword: S.wrongPassword, newPassword: S.memberNewPassword })), 401, 'wrong current');
  expectStatus(await call('old password refused', request(url).post('/api/v1/auth/login').send({ email: MEMBER_EMAIL, password: S.memberPassword })), 401, 'old password');
  expectStatus(await call('logout', request(url).post('/api/v1/auth/logout').set({ Authorization: `Bearer ${member}` })), 200, 'logout');

  for (const [label, path] of [
    ['list identities', `/api/v1/organizations/${orgId}/identities`],
    ['list memberships', `/api/v1/organizations/${orgId}/memberships`],
    ['list access tokens', `/api/v1/identities/${identityId}/access-tokens?limit=200`],
    ['organization audit log', `/api/v1/organizations/${orgId}/audit-logs?limit=200`],
    ['instance audit log', '/api/v1/admin/audit-logs?limit=200'],
    ['identity', `/api/v1/identities/${identityId}`],
    ['jwks', '/.well-known/jwks.json'],
    ['metrics', '/metrics'],
  ]) {
    expectStatus(await call(label, request(url).get(path).set(bearer)), 200, label);
  }
  expectStatus(await call('rotate signing key', request(url).post('/api/v1/admin/signing-keys/rotate').set(bearer)), 200, 'rotate');
  expectStatus(await call('revoke all', request(url).post(`/api/v1/identities/${identityId}/access-tokens/revoke-all`).set(bearer)), 200, 'revoke all');
}

/** Every secret with a label, including each JWT's signature on its own. */
function secrets(): [string, string][] {
  const list: [string, string][] = Object.entries(S);
  for (const [label, jwt] of jwts) {
    list.push([label, jwt]);
    list.push([`${label} (signature)`, jwt.split('.')[2]]);
  }
  return list;
}

function leaksIn(haystack: string | Buffer, what: string, allowed: string[] = []): string[] {
  const found: string[] = [];
  for (const [label, value] of secrets()) {
    if (allowed.some((a) => a === value || a.endsWith(`.${value}`))) continue;
    const hit = typeof haystack === 'string' ? haystack.includes(value) : haystack.includes(Buffer.from(value, 'utf8'));
    if (hit) found.push(`${label} in ${what}`);
  }
  return found;
}

function databaseFiles(): [string, Buffer][] {
  return ['zerokey.sqlite', 'zerokey.sqlite-wal', 'zerokey.sqlite-shm'].filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))] as [string, Buffer]);
}

describe('no secret leaks (a full scenario against the built service, LOG_LEVEL=debug)', () => {
  it('the scenario produced what it should: logs at debug level, every access token in its issuing answer', () => {
    const lines = logs.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(40);
    expect(lines.some((l) => l.includes('"level":20') || l.includes('"level":"debug"') || l.includes('request completed'))).toBe(true);
    expect(jwts.size).toBeGreaterThanOrEqual(12);
    for (const answer of answers.filter((a) => a.allowed.length)) for (const token of answer.allowed) expect(answer.text, answer.label).toContain(token);
  });

  it('no secret, JWT, JWT signature or the ENCRYPTION_KEY appears in the captured stdout/stderr', () => {
    expect(leaksIn(logs, 'logs')).toEqual([]);
    const key = Buffer.from(ENCRYPTION_KEY, 'base64');
    for (const form of [ENCRYPTION_KEY, key.toString('base64url'), key.toString('hex')]) expect(logs.includes(form), 'ENCRYPTION_KEY in the logs').toBe(false);
  });

  it('no secret appears in any HTTP answer, except each access token in the answer that issues it', () => {
    const found = answers.flatMap((a) => leaksIn(a.text, `the answer to "${a.label}"`, a.allowed));
    expect(found).toEqual([]);
  });

  it('no secret, JWT or the ENCRYPTION_KEY is in the SQLite file, its -wal or its -shm (read while the service runs)', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const files = databaseFiles();
    expect(files.map(([name]) => name)).toContain('zerokey.sqlite');
    // The scan reads the right bytes: public values are there.
    const all = Buffer.concat(files.map(([, bytes]) => bytes));
    expect(all.includes(Buffer.from(PUBLIC_IDENTITY_NAME))).toBe(true);
    expect(all.includes(Buffer.from(MEMBER_EMAIL))).toBe(true);
    for (const [name, bytes] of files) {
      expect(leaksIn(bytes, name)).toEqual([]);
      expect(bytes.includes(Buffer.from(ENCRYPTION_KEY)), `ENCRYPTION_KEY in ${name}`).toBe(false);
      expect(bytes.includes(Buffer.from(ENCRYPTION_KEY, 'base64')), `raw ENCRYPTION_KEY bytes in ${name}`).toBe(false);
    }
  });

  it('after a clean shutdown (WAL checkpointed) the database still holds none of them, audit rows included', async () => {
    child!.kill('SIGTERM');
    await new Promise<void>((done) => (child!.exitCode !== null ? done() : child!.once('exit', () => done())));
    expect(child!.exitCode).toBe(0);
    for (const [name, bytes] of databaseFiles()) expect(leaksIn(bytes, `${name} after shutdown`)).toEqual([]);
    const db = await new DataSource({ type: 'better-sqlite3', database: join(dataDir, 'zerokey.sqlite'), readonly: true }).initialize();
    try {
      const audit = (await db.query('SELECT * FROM audit_logs ORDER BY id')) as Record<string, unknown>[];
      const events = new Set(audit.map((r) => `${String(r.event)}:${String(r.outcome)}`));
      for (const event of ['instance.bootstrapped:success', 'auth.login:failure', 'auth.login:success', 'kubernetes-auth.created:success', 'kubernetes-auth.updated:success', 'kubernetes-auth.login:success', 'kubernetes-auth.login:failure', 'user.password-changed:success', 'user.password-changed:failure', 'auth.logout:success', 'signing-key.rotated:success']) {
        expect(events, event).toContain(event);
      }
      expect(leaksIn(JSON.stringify(audit), 'audit rows')).toEqual([]);
      const tables = ((await db.query("SELECT name FROM sqlite_master WHERE type = 'table'")) as { name: string }[]).map((t) => t.name);
      expect(tables).toContain('access_tokens');
      for (const table of tables) {
        const rows: unknown = await db.query(`SELECT * FROM "${table}"`);
        expect(leaksIn(JSON.stringify(rows), `table ${table}`)).toEqual([]);
      }
      // The reviewer token is stored, encrypted: set, not readable.
      const stored = (await db.query('SELECT tokenReviewerJwtEncrypted FROM kubernetes_auth_configs')) as { tokenReviewerJwtEncrypted: string | null }[];
      expect(stored.length).toBe(1);
      expect(stored.every((r) => typeof r.tokenReviewerJwtEncrypted === 'string' && r.tokenReviewerJwtEncrypted.startsWith('v1.'))).toBe(true);
    } finally {
      await db.destroy();
    }
    expect(leaksIn(logs, 'logs (after shutdown)')).toEqual([]);
  });
});
