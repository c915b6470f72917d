import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/database/data-source.js';
import { auth } from '../support/api-client.js';
import { KubernetesSimulator } from '../support/kubernetes-simulator/index.js';
import { schemaDiff } from '../support/schema.js';
import { startTestApp, type TestApp, type TestDatabase } from '../support/test-app.js';

/**
 * An installation upgraded in place: the database below was made by Zerokey 0.1.0 itself (Node 20,
 * NestJS 11, TypeORM 0.3, the hand-written JWS; see test/fixtures/release-0.1.0/generate.mjs), on
 * this run's database engine. The current code starts on it, migrates it, and everything the old
 * release stored keeps working: its tokens, its signing key, its encrypted secrets, its configs.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/release-0.1.0');
const dbType = process.env.DB_TYPE === 'mysql' ? 'mysql' : 'sqlite';
const fixture = JSON.parse(readFileSync(join(FIXTURES, `fixture.${dbType}.json`), 'utf8')) as {
  encryptionKey: string;
  publicUrl: string;
  admin: { email: string; password: string };
  organizationId: string;
  identityId: string;
  kid: string;
  workloadAccessToken: string;
};

async function restore(db: TestDatabase): Promise<void> {
  const dump = readFileSync(join(FIXTURES, `zerokey.${db.dbType}.sql`), 'utf8');
  if (db.dbType === 'sqlite') {
    const file = new Database(db.dbFile);
    file.exec(dump);
    file.close();
    return;
  }
  const conn = await createConnection({ uri: db.dbUrl, multipleStatements: true });
  await conn.query(dump);
  await conn.end();
}

const kidOf = (token: string): unknown => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid;

describe(`upgrade in place from 0.1.0 (${dbType})`, () => {
  let t: TestApp;
  let sim: KubernetesSimulator;
  let session: string;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    t = await startTestApp({ ENCRYPTION_KEY: fixture.encryptionKey, PUBLIC_URL: fixture.publicUrl }, restore);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it('starts on the old database: every migration recorded once, and the schema matches the entities', async () => {
    const ds = t.app.get(DataSource);
    const applied = (await ds.query(`SELECT name FROM ${ds.driver.escape('migrations')}`)) as { name: string }[];
    expect(applied.map((m) => m.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    expect(await schemaDiff(ds)).toEqual([]);
    expect((await request(t.url).get('/api/status/ready')).status).toBe(200);
  });

  it('an access token that 0.1.0 issued still authenticates, as its identity', async () => {
    const self = await request(t.url).get('/api/v1/auth/token/self').set(auth(fixture.workloadAccessToken));
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ type: 'identity', identity: { id: fixture.identityId }, organizationId: fixture.organizationId, authMethod: 'kubernetes' });
    // Its use count lives on the old row.
    expect(self.body.numUses).toBeGreaterThanOrEqual(1);
  });

  it('the admin signs in with the old password, and new tokens are signed with the old (decrypted) key', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').send(fixture.admin);
    expect(res.status).toBe(200);
    session = res.body.accessToken;
    expect(kidOf(session)).toBe(fixture.kid);
    const jwks = await request(t.url).get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([fixture.kid]);
  });

  it('the stored Kubernetes auth config reads back as it was written, reviewer token still set', async () => {
    const res = await request(t.url).get(`/api/v1/auth/kubernetes-auth/identities/${fixture.identityId}`).set(auth(session));
    expect(res.status).toBe(200);
    expect(res.body.identityKubernetesAuth).toMatchObject({ identityId: fixture.identityId, allowedNamespaces: 'shop', allowedNames: 'checkout', allowedAudience: 'zerokey', tokenReviewerJwtSet: true, accessTokenTTL: 315360000 });
  });

  it('the old identity logs in through a cluster once its config points at one', async () => {
    const reviewer = sim.createReviewer();
    sim.createServiceAccount('shop', 'checkout');
    const patch = await request(t.url)
      .patch(`/api/v1/auth/kubernetes-auth/identities/${fixture.identityId}`)
      .set(auth(session))
      .send({ kubernetesHost: sim.url, caCert: sim.caPem, tokenReviewerJwt: reviewer });
    expect(patch.status).toBe(200);
    const login = await request(t.url)
      .post('/api/v1/auth/kubernetes-auth/login')
      .send({ identityId: fixture.identityId, jwt: sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' }) });
    expect(login.status).toBe(200);
    expect(kidOf(login.body.accessToken)).toBe(fixture.kid);
    const self = await request(t.url).get('/api/v1/auth/token/self').set(auth(login.body.accessToken));
    expect(self.body).toMatchObject({ type: 'identity', identity: { id: fixture.identityId } });
  });

  it('the old token row was given its config’s trusted IPs, and follows a change of them', async () => {
    const ds = t.app.get(DataSource);
    const jti = JSON.parse(Buffer.from(fixture.workloadAccessToken.split('.')[1], 'base64url').toString('utf8')).jti as string;
    const config = await request(t.url).get(`/api/v1/auth/kubernetes-auth/identities/${fixture.identityId}`).set(auth(session));
    const [row] = (await ds.query(`SELECT ${ds.driver.escape('trustedIps')} AS ips FROM access_tokens WHERE id = ?`, [jti])) as { ips: string | null }[];
    expect(JSON.parse(row!.ips!)).toEqual(config.body.identityKubernetesAuth.accessTokenTrustedIps.map((ip: { ipAddress: string }) => ip.ipAddress));

    const patch = await request(t.url).patch(`/api/v1/auth/kubernetes-auth/identities/${fixture.identityId}`).set(auth(session)).send({ accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    expect(patch.status).toBe(200);
    const self = await request(t.url).get('/api/v1/auth/token/self').set(auth(fixture.workloadAccessToken));
    expect(self.status).toBe(403);
    expect(self.body.error).toBe('IpNotTrusted');
  });
});
