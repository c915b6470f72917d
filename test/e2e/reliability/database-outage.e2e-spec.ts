import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureBuilt, MAIN_JS as MAIN } from '../../support/build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError, PASSWORD } from '../../support/api-client.js';
import { PrivateMariaDb } from '../../support/private-mariadb.js';
import { ServiceProcess as Service } from '../../support/service-process.js';

/**
 * docs/api.md "Error codes" / issue 6 "Database outage": with the database gone, readiness and every
 * request that needs the database answer 503 DatabaseUnavailable within a bounded time (no hang,
 * no crash, no half-written rows), and the service recovers by itself when the database returns.
 * Real MariaDB of our own, SIGKILLed and restarted on the same datadir and port; Zerokey runs as a
 * real process from dist/, exactly as deployed.
 */

/** A generous upper bound that only detects hangs; not a performance assertion. */
const BOUND_MS = 5000;
const RECOVERY_MS = 20_000;

let db: PrivateMariaDb | undefined;
let service: Service | undefined;
let dataDir: string | undefined;
let token: string;
let orgId: string;

const mariadbLog = (): string => `\nmariadb:\n${db?.log() ?? ''}`;

/** Runs a request and returns its answer and how long it took; a hang fails after 3 × the bound. */
async function timed(req: request.Test): Promise<{ res: request.Response; ms: number }> {
  const started = Date.now();
  const res = await req.timeout(3 * BOUND_MS);
  return { res, ms: Date.now() - started };
}


beforeAll(async () => {
  await ensureBuilt();
  expect(existsSync(MAIN)).toBe(true);
  db = await PrivateMariaDb.start();
  dataDir = mkdtempSync(join(tmpdir(), 'zerokey-outage-'));
  const started = await Service.spawn('zerokey', {
    DB_TYPE: 'mysql',
    DB_URL: db.url(),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
  });
  service = started;
  await started.waitReady(45_000, mariadbLog);

  const boot = await request(service.url).post('/api/v1/admin/bootstrap').send({ email: 'admin@example.com', password: PASSWORD, organization: 'Acme' });
  expect(boot.status, JSON.stringify(boot.body)).toBe(200);
  orgId = boot.body.organization.id;
  const login = await request(service.url).post('/api/v1/auth/login').send({ email: 'admin@example.com', password: PASSWORD });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  token = login.body.accessToken;
  const created = await request(service.url).post('/api/v1/identities').set(auth(token)).send({ name: 'before-outage', organizationId: orgId });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}, 120_000);

afterAll(async () => {
  if (service?.alive()) {
    const exited = new Promise((r) => service!.child.once('exit', r));
    service.child.kill('SIGKILL');
    await exited;
  }
  await db?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('database outage (private MariaDB, SIGKILL)', () => {
  it('answers 503 DatabaseUnavailable without hanging or crashing while the database is down', async () => {
    const s = service!;
    const pid = s.child.pid;
    await db!.kill('SIGKILL');
    expect(db!.running).toBe(false);

    const live = await timed(request(s.url).get('/api/status'));
    expect(live.res.status).toBe(200);
    expect(live.res.body).toEqual({ status: 'ok' });

    const ready = await timed(request(s.url).get('/api/status/ready'));
    expectError(ready.res, 503, 'DatabaseUnavailable');
    expect(ready.ms).toBeLessThan(BOUND_MS);

    const self = await timed(request(s.url).get('/api/v1/auth/token/self').set(auth(token)));
    expectError(self.res, 503, 'DatabaseUnavailable');
    expect(self.ms).toBeLessThan(BOUND_MS);

    const write = await timed(request(s.url).post('/api/v1/identities').set(auth(token)).send({ name: 'during-outage', organizationId: orgId }));
    expectError(write.res, 503, 'DatabaseUnavailable');
    expect(write.ms).toBeLessThan(BOUND_MS);

    const transactional = await timed(request(s.url).post('/api/v1/organizations').set(auth(token)).send({ name: 'Outage Org' }));
    expectError(transactional.res, 503, 'DatabaseUnavailable');
    expect(transactional.ms).toBeLessThan(BOUND_MS);

    const sessionLogin = await timed(request(s.url).post('/api/v1/auth/login').send({ email: 'admin@example.com', password: PASSWORD }));
    expectError(sessionLogin.res, 503, 'DatabaseUnavailable');
    expect(sessionLogin.ms).toBeLessThan(BOUND_MS);

    // A burst does not pile up in the pool's queue: every request still gets its 503 in time.
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? request(s.url).get('/api/v1/auth/token/self').set(auth(token)) : request(s.url).get('/api/status/ready')).timeout(3 * BOUND_MS),
      ),
    );
    expect(burst.map((r) => `${r.status} ${r.body.error}`)).toEqual(Array(30).fill('503 DatabaseUnavailable'));
    expect(Date.now() - started).toBeLessThan(BOUND_MS);

    // Still the same living process, still answering.
    expect(s.alive(), s.output()).toBe(true);
    expect(s.child.pid).toBe(pid);
    expect((await request(s.url).get('/api/status').timeout(BOUND_MS)).status).toBe(200);
    expect(s.output()).not.toMatch(/"level":(60|50).*unhandled error/);
  }, 60_000);

  it('recovers without a restart once the database is back, with no half-written rows', async () => {
    const s = service!;
    const pid = s.child.pid;
    await db!.restart();

    await s.waitReady(RECOVERY_MS, mariadbLog);
    expect(s.alive()).toBe(true);
    expect(s.child.pid).toBe(pid);

    // The session issued before the outage still works; writes succeed again.
    const self = await request(s.url).get('/api/v1/auth/token/self').set(auth(token)).timeout(BOUND_MS);
    expect(self.status, JSON.stringify(self.body)).toBe(200);
    expect(self.body.type).toBe('user');
    const created = await request(s.url).post('/api/v1/identities').set(auth(token)).send({ name: 'after-outage', organizationId: orgId }).timeout(BOUND_MS);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const login = await request(s.url).post('/api/v1/auth/login').send({ email: 'admin@example.com', password: PASSWORD }).timeout(BOUND_MS);
    expect(login.status, JSON.stringify(login.body)).toBe(200);

    // Nothing attempted during the outage exists, even partly; what was committed before survived.
    const listed = await request(s.url).get(`/api/v1/organizations/${orgId}/identities`).set(auth(token)).timeout(BOUND_MS);
    expect(listed.status).toBe(200);
    expect(listed.body.identities.map((i: { name: string }) => i.name).sort()).toEqual(['after-outage', 'before-outage']);
    const rows = await db!.query<{ name: string }>('SELECT name FROM identities ORDER BY name', [], 'zerokey');
    expect(rows.map((r) => r.name)).toEqual(['after-outage', 'before-outage']);
    const orgs = await db!.query<{ name: string }>('SELECT name FROM organizations ORDER BY name', [], 'zerokey');
    expect(orgs.map((o) => o.name)).toEqual(['Acme']);
    const orphans = await db!.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM org_memberships m LEFT JOIN organizations o ON o.id = m.orgId WHERE o.id IS NULL',
      [],
      'zerokey',
    );
    expect(Number(orphans[0].n)).toBe(0);
    const users = await db!.query<{ n: number }>('SELECT COUNT(*) AS n FROM users', [], 'zerokey');
    expect(Number(users[0].n)).toBe(1);
  }, 60_000);
});
