import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/**
 * docs/api.md "Access tokens" and docs/architecture.md: the uses of a token without a use limit and
 * an identity's `lastLoginAt` are informational, counted in memory and written within a second;
 * shutdown writes what is still waiting. The replica's own answers include the waiting counts.
 */
describe('coalesced informational writes', () => {
  let w: KubernetesWorld;
  let closed = false;
  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => {
    if (!closed) await w?.close();
    else await w?.sim.stop();
  });

  const row = async (jti: string): Promise<{ numUses: number; lastUsedAt: unknown }> => {
    const [found] = (await w.t.app.get(DataSource).query('SELECT numUses, lastUsedAt FROM access_tokens WHERE id = ?', [jti])) as { numUses: number | string; lastUsedAt: unknown }[];
    return { numUses: Number(found.numUses), lastUsedAt: found.lastUsedAt };
  };
  const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const until = Date.now() + 3000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > until) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('uses of an unlimited token: shown at once by this replica, in the database within a second', async () => {
    const identityId = await identityWithConfig(w);
    const res = await login(w, identityId, checkoutToken(w));
    expect(res.status).toBe(200);
    const token = res.body.accessToken as string;
    const jti = decodeJwt(token).jti as string;
    for (let use = 1; use <= 3; use++) {
      const self = await request(w.t.url).get('/api/v1/auth/token/self').set(auth(token));
      expect(self.body.numUses).toBe(use);
    }
    const written = await eventually(() => row(jti), (r) => r.numUses === 3);
    expect(written.numUses).toBe(3);
    expect(written.lastUsedAt).not.toBeNull();
    const lastLoginAt = async (): Promise<unknown> => ((await w.t.app.get(DataSource).query('SELECT lastLoginAt FROM identities WHERE id = ?', [identityId])) as { lastLoginAt: unknown }[])[0].lastLoginAt;
    expect(await eventually(lastLoginAt, (at) => at !== null)).not.toBeNull();
  });

  it('shutdown writes the uses still waiting', async () => {
    const identityId = await identityWithConfig(w);
    const token = (await login(w, identityId, checkoutToken(w))).body.accessToken as string;
    const jti = decodeJwt(token).jti as string;
    for (let use = 0; use < 4; use++) expect((await request(w.t.url).get('/api/v1/auth/token/self').set(auth(token))).status).toBe(200);
    await w.t.app.close();
    closed = true;
    let numUses: number;
    if (w.t.dbFile) {
      const db = new Database(w.t.dbFile, { readonly: true });
      numUses = Number((db.prepare('SELECT numUses FROM access_tokens WHERE id = ?').get(jti) as { numUses: number }).numUses);
      db.close();
    } else {
      const conn = await createConnection({ uri: w.t.config.dbUrl });
      const [rows] = (await conn.query('SELECT numUses FROM access_tokens WHERE id = ?', [jti])) as unknown as [{ numUses: number }[]];
      numUses = Number(rows[0].numUses);
      await conn.end();
    }
    expect(numUses).toBe(4);
    await w.t.close().catch(() => undefined); // the app is closed already: this drops the database and the data dir
  });
});
