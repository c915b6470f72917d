import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { ensureBuilt } from '../../support/build.js';
import { checkoutToken, type ClusterWorld, identityWithConfig, login, populateClusterWorld } from '../../support/kubernetes-fixture.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';
import { PrivateMariaDb } from '../../support/private-mariadb.js';
import { ServiceProcess } from '../../support/service-process.js';

/**
 * docs/architecture.md "Faults and shutdown", issue 14 item 1: a hung database (mariadbd
 * SIGSTOPped: connections stay open, nothing answers). Every request that needs the database gets
 * 503 DatabaseUnavailable once DB_QUERY_TIMEOUT_MS has passed (never a wait until the request
 * timeout, never a dropped socket, never a 500 "Queue limit reached"), liveness keeps answering,
 * a login caught in the hang leaves no token behind, the service recovers by itself when the
 * database thaws, and SIGTERM exits within SHUTDOWN_GRACE_MS while it is frozen.
 */

const QUERY_TIMEOUT_MS = 1000;
const GRACE_MS = 3000;
/** Upper bounds that only detect hangs (the request timeout is 30 s): not performance assertions. */
const ANSWER_BOUND_MS = QUERY_TIMEOUT_MS + 2500;

let db: PrivateMariaDb;
let sim: KubernetesSimulator;
let service: ServiceProcess;
let world: ClusterWorld;
let identityId: string;
let dataDir: string;

async function timed(req: request.Test): Promise<{ res: request.Response; ms: number }> {
  const started = Date.now();
  const res = await req.timeout(20_000);
  return { res, ms: Date.now() - started };
}

async function tokenRows(): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM access_tokens WHERE identityId = ?', [identityId], 'zerokey');
  return Number(rows[0].n);
}

beforeAll(async () => {
  await ensureBuilt();
  db = await PrivateMariaDb.start();
  sim = await KubernetesSimulator.start();
  dataDir = mkdtempSync(join(tmpdir(), 'zerokey-hang-'));
  service = await ServiceProcess.spawn('zerokey', {
    DB_TYPE: 'mysql',
    DB_URL: db.url(),
    DB_POOL_SIZE: '4',
    DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
  });
  await service.waitReady(45_000, () => db.log());
  world = await populateClusterWorld(service, sim);
  identityId = await identityWithConfig(world);
  const first = await login(world, identityId, checkoutToken(world));
  expect(first.status, JSON.stringify(first.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  db?.thaw();
  if (service?.alive()) service.child.kill('SIGKILL');
  await sim?.stop();
  await db?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a hung database (mariadbd SIGSTOPped)', () => {
  it('answers 503 DatabaseUnavailable after DB_QUERY_TIMEOUT_MS, keeps liveness, and a login caught in the hang writes no token', async () => {
    const before = await tokenRows();
    db.freeze();
    try {
      const live = await timed(request(service.url).get('/api/status'));
      expect(live.res.status).toBe(200);
      expect(live.ms).toBeLessThan(1000);

      const ready = await timed(request(service.url).get('/api/status/ready'));
      expectError(ready.res, 503, 'DatabaseUnavailable');
      expect(ready.ms).toBeLessThan(ANSWER_BOUND_MS);

      const read = await timed(request(service.url).get(`/api/v1/identities/${identityId}`).set(auth(world.admin.token)));
      expectError(read.res, 503, 'DatabaseUnavailable');
      expect(read.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 100);
      expect(read.ms).toBeLessThan(ANSWER_BOUND_MS);

      const stuckLogin = await timed(login(world, identityId, checkoutToken(world)));
      expectError(stuckLogin.res, 503, 'DatabaseUnavailable');
      expect(stuckLogin.ms).toBeLessThan(2 * ANSWER_BOUND_MS);

      // Far more requests than the pool (4) has connections: each still gets its 503 in time, none a 500.
      const started = Date.now();
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? request(service.url).get(`/api/v1/identities/${identityId}`).set(auth(world.admin.token)) : login(world, identityId, checkoutToken(world))).timeout(20_000)),
      );
      expect(burst.map((r) => `${r.status} ${r.body.error}`)).toEqual(Array(40).fill('503 DatabaseUnavailable'));
      expect(Date.now() - started).toBeLessThan(3 * ANSWER_BOUND_MS);
      expect(service.alive()).toBe(true);
    } finally {
      db.thaw();
    }
    // What the frozen server still held when it thawed is rolled back, not committed: no token
    // exists that nobody received.
    await service.waitReady(20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await tokenRows()).toBe(before);
    expect(service.output()).not.toMatch(/unhandled error|Queue limit/);
  }, 90_000);

  it('recovers without a restart once the database thaws', async () => {
    const pid = service.child.pid;
    const again = await login(world, identityId, checkoutToken(world)).timeout(10_000);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const read = await request(service.url).get(`/api/v1/identities/${identityId}`).set(auth(world.admin.token)).timeout(10_000);
    expect(read.status).toBe(200);
    expect(service.child.pid).toBe(pid);
  }, 30_000);

  it('SIGTERM while the database is frozen still exits within SHUTDOWN_GRACE_MS', async () => {
    // Something waits to be flushed (lastLoginAt, coalesced), and a request is stuck in the database.
    expect((await login(world, identityId, checkoutToken(world))).status).toBe(200);
    db.freeze();
    const stuck = request(service.url).get(`/api/v1/identities/${identityId}`).set(auth(world.admin.token)).timeout(20_000).then(
      (res) => res,
      (error: Error) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    service.child.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - started).toBeLessThan(GRACE_MS + 1500);
    expect([0, 1]).toContain(code);
    const answer = await stuck;
    // The stuck request got an answer (503) before the process went away, never a dropped socket.
    expect(answer).not.toBeInstanceOf(Error);
    expect((answer as request.Response).status).toBe(503);
    db.thaw();
  }, 30_000);
});
