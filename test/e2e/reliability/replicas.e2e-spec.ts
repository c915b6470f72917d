import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureBuilt, MAIN_JS as MAIN } from '../../support/build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError, PASSWORD } from '../../support/api-client.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';
import { PrivateMariaDb } from '../../support/private-mariadb.js';
import { ServiceProcess } from '../../support/service-process.js';
import { MIGRATIONS } from '../../../src/database/data-source.js';

/**
 * docs/operations.md (replicas) and docs/api.md "Access tokens", issue 6 "Replicas": two real Zerokey processes (A and
 * B, from dist/) on one MariaDB of our own. Nothing that must be consistent lives in process
 * memory: concurrent migrations, concurrent bootstraps, revocation, the use limit and signing-key
 * rotation all hold across the replicas.
 */

/** The migrations the build ships (src/database/data-source.ts MIGRATIONS), by class name. */
const MIGRATION_NAMES = MIGRATIONS.map((m) => new m().name);

type Replica = ServiceProcess;

let db: PrivateMariaDb | undefined;
let sim: KubernetesSimulator | undefined;
const replicas: Replica[] = [];
const tempDirs: string[] = [];
let A: Replica;
let B: Replica;
let admin: { token: string; orgId: string; email: string };
/** The statements of A and B that waited on the gate when it opened. */
let blockedAtRelease: { info: string }[] = [];
/** The signing keys the two replicas created when they started. */
let startupSigningKeys: string[] = [];

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const replica = await ServiceProcess.spawn(name, env);
  replicas.push(replica);
  return replica;
}

const alive = (r: Replica): boolean => r.alive();

const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid as string;
const self = (r: Replica, token: string): request.Test => request(r.url).get('/api/v1/auth/token/self').set(auth(token)).timeout(15_000);
const sessionLogin = (r: Replica): request.Test => request(r.url).post('/api/v1/auth/login').send({ email: admin.email, password: PASSWORD }).timeout(15_000);

/** An identity in the admin's organization with Kubernetes auth against the simulator (created through A). */
async function identityWithKubernetes(name: string, config: Record<string, unknown> = {}): Promise<string> {
  const created = await request(A.url).post('/api/v1/identities').set(auth(admin.token)).send({ name, organizationId: admin.orgId });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const identityId = created.body.identity.id as string;
  const attached = await request(A.url)
    .post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`)
    .set(auth(admin.token))
    .send({ kubernetesHost: sim!.url, caCert: sim!.caPem, tokenReviewerJwt: sim!.createReviewer(), allowedNamespaces: 'shop', allowedAudience: 'zerokey', ...config });
  expect(attached.status, JSON.stringify(attached.body)).toBe(201);
  return identityId;
}

async function kubernetesLogin(r: Replica, identityId: string): Promise<string> {
  const jwt = sim!.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' });
  const res = await request(r.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken as string;
}


beforeAll(async () => {
  await ensureBuilt();
  expect(existsSync(MAIN)).toBe(true);
  [db, sim] = await Promise.all([PrivateMariaDb.start(), KubernetesSimulator.start()]);
  sim.createServiceAccount('shop', 'checkout');
  sim.createPod('shop', 'checkout-7d9f', 'checkout');
  // One deployment: the same database, root key and issuer; only the ports differ.
  const shared = {
    DB_TYPE: 'mysql',
    DB_URL: db.url(),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PUBLIC_URL: 'http://zerokey.test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KUBERNETES_TIMEOUT_MS: '5000',
  };
  const dirA = mkdtempSync(join(tmpdir(), 'zerokey-replica-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'zerokey-replica-b-'));
  tempDirs.push(dirA, dirB);
  // Started together on an empty database. Two processes never boot in step (a few hundred ms
  // apart, longer than the migration takes), so a global read lock holds both at their first
  // schema step (the migration lock or the DDL) and is released once both are waiting there: both
  // replicas then migrate at the same instant.
  const gate = await db.admin();
  try {
    await gate.query('FLUSH TABLES WITH READ LOCK');
    A = await startReplica('A', { ...shared, DATA_DIR: dirA });
    B = await startReplica('B', { ...shared, DATA_DIR: dirB });
    const deadline = Date.now() + 60_000;
    for (;;) {
      blockedAtRelease = await db.query<{ info: string }>("SELECT info FROM information_schema.processlist WHERE user = ? AND command = 'Query'", [db.user]);
      if (blockedAtRelease.length >= 2) break;
      if (Date.now() > deadline || !alive(A) || !alive(B)) {
        throw new Error(`the replicas did not both reach their migrations:\nA:\n${A.output()}\nB:\n${B.output()}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    await gate.query('UNLOCK TABLES').catch(() => undefined);
    await gate.end();
  }
  await Promise.all([A.waitReady(60_000), B.waitReady(60_000)]);
  startupSigningKeys = (await db.query<{ kid: string }>('SELECT kid FROM signing_keys', [], 'zerokey')).map((k) => k.kid);
}, 150_000);

afterAll(async () => {
  await Promise.all(
    replicas.filter(alive).map(
      (r) =>
        new Promise<void>((done) => {
          r.child.once('exit', () => done());
          r.child.kill('SIGKILL');
        }),
    ),
  );
  await Promise.allSettled([sim?.stop(), db?.stop()]);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('two replicas on one MariaDB', () => {
  it('run their migrations concurrently without corruption: one row per migration, a working schema', async () => {
    expect(alive(A) && alive(B), `A:\n${A.output()}\nB:\n${B.output()}`).toBe(true);
    expect(blockedAtRelease, 'both replicas were migrating when the gate opened').toHaveLength(2);
    const rows = await db!.query<{ name: string }>('SELECT name FROM migrations ORDER BY id', [], 'zerokey');
    expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
    const tables = await db!.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'zerokey' ORDER BY table_name",
    );
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining(['access_tokens', 'audit_logs', 'identities', 'instance_state', 'kubernetes_auth_configs', 'org_memberships', 'organizations', 'signing_keys', 'users']),
    );
    // Replicas starting together on an empty database agree on one first signing key.
    expect(startupSigningKeys).toHaveLength(1);
    // Neither replica failed or complained while migrating.
    expect(A.output() + B.output()).not.toMatch(/"level":(50|60)/);
  });

  it('two concurrent bootstraps, one on A and one on B: exactly one wins', async () => {
    const body = (n: number): Record<string, string> => ({ email: `admin${n}@example.com`, password: PASSWORD, organization: `Org ${n}` });
    const results = await Promise.all([
      request(A.url).post('/api/v1/admin/bootstrap').send(body(1)).timeout(20_000),
      request(B.url).post('/api/v1/admin/bootstrap').send(body(2)).timeout(20_000),
    ]);
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners, results.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('\n')).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expectError(losers[0], 409, 'AlreadyBootstrapped');
    admin = { token: winners[0].body.accessToken, orgId: winners[0].body.organization.id, email: winners[0].body.user.email };

    const users = await db!.query<{ email: string }>('SELECT email FROM users', [], 'zerokey');
    expect(users.map((u) => u.email)).toEqual([admin.email]);
    const orgs = await db!.query<{ id: string }>('SELECT id FROM organizations', [], 'zerokey');
    expect(orgs.map((o) => o.id)).toEqual([admin.orgId]);
    // The winner's session works on both replicas; a third bootstrap is refused by either.
    expect((await self(A, admin.token)).status).toBe(200);
    expect((await self(B, admin.token)).status).toBe(200);
    expectError(await request(B.url).post('/api/v1/admin/bootstrap').send(body(3)), 409, 'AlreadyBootstrapped');
  });

  it('a token revoked on A is refused on B at the next request', async () => {
    const identityId = await identityWithKubernetes('revocation');
    const token = await kubernetesLogin(A, identityId);
    const before = await self(B, token);
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body).toMatchObject({ type: 'identity', organizationId: admin.orgId, authMethod: 'kubernetes' });

    const revoked = await request(A.url).post('/api/v1/auth/token/revoke').send({ accessToken: token });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expectError(await self(B, token), 401, 'AccessTokenRevoked');
    expectError(await self(A, token), 401, 'AccessTokenRevoked');
  });

  it('trusted IPs changed on A apply on B at the next use, although B already checked the token against the old list', async () => {
    const identityId = await identityWithKubernetes('trusted-ips', { accessTokenTrustedIps: [{ ipAddress: '127.0.0.1' }] });
    const token = await kubernetesLogin(A, identityId);
    for (let i = 0; i < 2; i++) expect((await self(B, token)).status).toBe(200);
    const patch = (ipAddress: string): request.Test =>
      request(A.url).patch(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(admin.token)).send({ accessTokenTrustedIps: [{ ipAddress }] });

    expect((await patch('10.0.0.0/8')).status).toBe(200);
    expectError(await self(B, token), 403, 'IpNotTrusted');
    expect((await patch('127.0.0.0/8')).status).toBe(200);
    const back = await self(B, token);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    // The refused use was not counted.
    expect(back.body.numUses).toBe(3);
  });

  it('a use limit of 5 under 40 concurrent uses spread over A and B yields exactly 5 successes', async () => {
    const identityId = await identityWithKubernetes('five-uses', { accessTokenNumUsesLimit: 5 });
    const token = await kubernetesLogin(B, identityId);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => self(i % 2 ? A : B, token)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(ok, results.map((r) => r.status).join(',')).toHaveLength(5);
    expect(refused).toHaveLength(35);
    for (const res of refused) expectError(res, 401, 'AccessTokenUsesExhausted');
    const [row] = await db!.query<{ numUses: number }>('SELECT numUses FROM access_tokens WHERE identityId = ?', [identityId], 'zerokey');
    expect(Number(row.numUses)).toBe(5);
  });

  it('a signing key rotated on A reaches B within its reload interval; both verify tokens of both kids', async () => {
    const oldToken = admin.token;
    const oldKid = kidOf(oldToken);
    const rotated = await request(A.url).post('/api/v1/admin/signing-keys/rotate').set(auth(admin.token));
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const newKid = rotated.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    const fromA = await sessionLogin(A);
    expect(fromA.status, JSON.stringify(fromA.body)).toBe(200);
    expect(kidOf(fromA.body.accessToken)).toBe(newKid);

    // B reloads its keys every 5 s: a token B issues after ~6 s carries the new kid. B is not
    // shown a new-kid token before then (an unknown kid would make it reload early).
    await new Promise((done) => setTimeout(done, 6000));
    const fromB = await sessionLogin(B);
    expect(fromB.status, JSON.stringify(fromB.body)).toBe(200);
    expect(kidOf(fromB.body.accessToken)).toBe(newKid);

    for (const r of [A, B]) {
      for (const token of [oldToken, fromA.body.accessToken, fromB.body.accessToken]) {
        const res = await self(r, token);
        expect(res.status, `${r.name} ${kidOf(token)} ${JSON.stringify(res.body)}`).toBe(200);
      }
      const jwks = await request(r.url).get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    }
    expect(alive(A) && alive(B)).toBe(true);
  }, 30_000);
});
