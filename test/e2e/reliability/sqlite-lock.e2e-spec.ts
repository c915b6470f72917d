import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bootstrap, expectError, type Session } from '../../support/api-client.js';
import { ServiceProcess } from '../../support/service-process.js';

/**
 * docs/architecture.md "Faults and shutdown", issue 14 item 2: the SQLite file locked by another
 * process (here: this test process, holding a write transaction). Before, better-sqlite3's busy
 * timeout waited inside the event loop: liveness itself took as long as the lock. Now the lock
 * wait is asynchronous: liveness answers at once, reads go on (WAL), a write answers 503
 * DatabaseUnavailable once DB_QUERY_TIMEOUT_MS has passed and writes nothing, and writes work
 * again as soon as the lock is released.
 */

const QUERY_TIMEOUT_MS = 1000;

let service: ServiceProcess;
let dbFile: string;
let stop: (() => void) | undefined;
let admin: Session;

const createIdentity = (name: string): request.Test =>
  request(service.url).post('/api/v1/identities').set(auth(admin.token)).send({ name, organizationId: admin.orgId }).timeout(20_000);

beforeAll(async () => {
  ({ service, dbFile, stop } = await ServiceProcess.spawnOnSqlite({ DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) }));
  admin = await bootstrap(service);
}, 90_000);

afterAll(() => stop?.());

describe('SQLite locked by another process', () => {
  it('never blocks the event loop: liveness and reads answer at once, writes 503 after DB_QUERY_TIMEOUT_MS, then work again', async () => {
    const other = new Database(dbFile, { timeout: 0 });
    other.exec('BEGIN IMMEDIATE');
    try {
      const startedWrite = Date.now();
      const write = createIdentity('during-lock').then((res) => ({ res, ms: Date.now() - startedWrite }));
      await new Promise((resolve) => setTimeout(resolve, 100));

      // While the write waits for the lock, the loop is free.
      const startedLive = Date.now();
      const live = await request(service.url).get('/api/status').timeout(20_000);
      expect(live.status).toBe(200);
      expect(Date.now() - startedLive).toBeLessThan(500);
      const self = await request(service.url).get('/api/v1/auth/token/self').set(auth(admin.token)).timeout(20_000);
      expect(self.status, JSON.stringify(self.body)).toBe(200);

      const { res, ms } = await write;
      expectError(res, 503, 'DatabaseUnavailable');
      // The line the service logged about it, deep inside a POST's handler, carries its reqId
      // (polled: the service's stdout and its answer come on separate pipes).
      const loggedReqIds = (): unknown[] =>
        service
          .output()
          .split('\n')
          .filter((line) => line.includes('"code":"DatabaseUnavailable"'))
          .map((line) => (JSON.parse(line) as { reqId?: string }).reqId);
      await expect.poll(loggedReqIds, { timeout: 5000 }).toContain(res.body.reqId);
      expect(ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(QUERY_TIMEOUT_MS + 2000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const after = await createIdentity('after-lock');
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    const listed = await request(service.url).get(`/api/v1/organizations/${admin.orgId}/identities`).set(auth(admin.token));
    expect(listed.body.identities.map((i: { name: string }) => i.name)).toEqual(['after-lock']);
    expect(service.output()).not.toMatch(/unhandled error/);
  }, 60_000);

  it('a lock released within DB_QUERY_TIMEOUT_MS only delays the write', async () => {
    const other = new Database(dbFile, { timeout: 0 });
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => {
      other.exec('COMMIT');
      other.close();
    }, 300);
    const res = await createIdentity('after-short-lock');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }, 30_000);
});
