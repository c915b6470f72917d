import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.schema.js';
import { auth, expectError, PASSWORD } from '../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../support/kubernetes-fixture.js';
import { ServiceProcess } from '../support/service-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 14: bootstrap is no longer first-come-first-served over the network (BOOTSTRAP_TOKEN, else
 * loopback only or the one-time token logged at start; GET /api/v1/admin/bootstrap for the
 * console), renewals, self-revocations and organization creation are audited, and
 * AUDIT_LOG_STDOUT streams every audit event as one JSON line.
 */

const BODY = { email: 'admin@example.com', password: PASSWORD, organization: 'Acme' };
const bootstrapStatus = async (t: { url: string }): Promise<unknown> => (await request(t.url).get('/api/v1/admin/bootstrap').expect(200)).body;

describe('who may bootstrap', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('without BOOTSTRAP_TOKEN: from loopback yes, through a proxy (a forwarding header) no, and once only', async () => {
    t = await startTestApp();
    expect(await bootstrapStatus(t)).toEqual({ bootstrapped: false });
    const proxied = expectError(await request(t.url).post('/api/v1/admin/bootstrap').set('X-Forwarded-For', '127.0.0.1').send(BODY), 403, 'PermissionDenied');
    expect(proxied.message).toMatch(/loopback|x-bootstrap-token/);
    expectError(await request(t.url).post('/api/v1/admin/bootstrap').set('Forwarded', 'for=127.0.0.1').send(BODY), 403, 'PermissionDenied');
    expect(await bootstrapStatus(t)).toEqual({ bootstrapped: false });
    const ok = await request(t.url).post('/api/v1/admin/bootstrap').send(BODY);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await bootstrapStatus(t)).toEqual({ bootstrapped: true });
    expectError(await request(t.url).post('/api/v1/admin/bootstrap').send({ ...BODY, email: 'second@example.com' }), 409, 'AlreadyBootstrapped');
    // The refused attempts are in the instance audit log, as failures.
    const audit = await request(t.url).get('/api/v1/admin/audit-logs?event=instance.bootstrapped').set(auth(ok.body.accessToken));
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body.auditLogs.map((l: { outcome: string; errorCode: string | null }) => `${l.outcome} ${l.errorCode}`).sort()).toEqual(['failure PermissionDenied', 'failure PermissionDenied', 'success null']);
  });

  it('with BOOTSTRAP_TOKEN: only with the x-bootstrap-token header holding it, even from loopback', async () => {
    const token = randomBytes(24).toString('base64url');
    t = await startTestApp({ BOOTSTRAP_TOKEN: token });
    expectError(await request(t.url).post('/api/v1/admin/bootstrap').send(BODY), 403, 'PermissionDenied');
    expectError(await request(t.url).post('/api/v1/admin/bootstrap').set('x-bootstrap-token', `${token}x`).send(BODY), 403, 'PermissionDenied');
    expectError(await request(t.url).post('/api/v1/admin/bootstrap').set('x-bootstrap-token', token.slice(1)).send(BODY), 403, 'PermissionDenied');
    const ok = await request(t.url).post('/api/v1/admin/bootstrap').set('x-bootstrap-token', token).send(BODY);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain(token);
  });

  it('BOOTSTRAP_TOKEN must be 16-256 visible characters', () => {
    expect(() => loadConfig({ BOOTSTRAP_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ BOOTSTRAP_TOKEN: 'x'.repeat(257) })).toThrow(/BOOTSTRAP_TOKEN/);
    expect(loadConfig({ BOOTSTRAP_TOKEN: 'x'.repeat(16) }).bootstrapToken).toBe('x'.repeat(16));
  });
});

describe('a spawned service: the one-time bootstrap token and AUDIT_LOG_STDOUT', () => {
  let service: ServiceProcess;
  let stop: (() => void) | undefined;
  beforeAll(async () => {
    ({ service, stop } = await ServiceProcess.spawnOnSqlite({ AUDIT_LOG_STDOUT: 'true' }));
  }, 60_000);
  afterAll(() => stop?.());

  const lines = (): Record<string, unknown>[] =>
    service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('logs a one-time token at start that lets a non-local caller bootstrap once; every audit event is a JSON line on stdout', async () => {
    const offer = lines().find((l) => /x-bootstrap-token: /.test(String(l.msg)));
    expect(offer, service.output()).toBeDefined();
    const oneTime = /x-bootstrap-token: ([A-Za-z0-9_-]+)/.exec(String(offer!.msg))![1];
    const remote = (): request.Test => request(service.url).post('/api/v1/admin/bootstrap').set('X-Forwarded-For', '203.0.113.9');
    expectError(await remote().send(BODY), 403, 'PermissionDenied');
    expectError(await remote().set('x-bootstrap-token', 'not-the-token').send(BODY), 403, 'PermissionDenied');
    const ok = await remote().set('x-bootstrap-token', oneTime).send(BODY);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectError(await remote().set('x-bootstrap-token', oneTime).send(BODY), 409, 'AlreadyBootstrapped');

    const created = await request(service.url).post('/api/v1/organizations').set(auth(ok.body.accessToken)).send({ name: 'Second Org' });
    expect(created.status).toBe(201);
    const audit = lines().filter((l) => l.type === 'audit');
    expect(audit.map((l) => `${l.event} ${l.outcome}`)).toEqual(['instance.bootstrapped failure', 'instance.bootstrapped failure', 'instance.bootstrapped success', 'organization.created success']);
    expect(audit[3]).toMatchObject({ orgId: created.body.organization.id, actorType: 'user', actorId: ok.body.user.id, metadata: { name: 'Second Org' } });
    expect(typeof audit[0].createdAt).toBe('string');
    // Audit lines carry no secret: no password, no access token.
    const text = JSON.stringify(audit);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(ok.body.accessToken.split('.')[2]);
  });
});

describe('audited renewals, self-revocations and organization creation', () => {
  let w: KubernetesWorld;
  let identityId: string;
  beforeAll(async () => {
    w = await startKubernetesWorld();
    identityId = await identityWithConfig(w);
  });
  afterAll(async () => w?.close());

  const auditOf = async (event: string, orgId = w.admin.orgId): Promise<Record<string, unknown>[]> => {
    const res = await request(w.t.url).get(`/api/v1/organizations/${orgId}/audit-logs?event=${event}`).set(auth(w.admin.token));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.auditLogs;
  };

  it('a renewal is audited as access-token.renewed, success and failure, with the token id; a forged token is not', async () => {
    const issued = await login(w, identityId, checkoutToken(w));
    const tokenId = JSON.parse(Buffer.from(issued.body.accessToken.split('.')[1], 'base64url').toString()).jti;
    expect((await request(w.t.url).post('/api/v1/auth/token/renew').send({ accessToken: issued.body.accessToken })).status).toBe(200);
    const [h, p] = issued.body.accessToken.split('.');
    expectError(await request(w.t.url).post('/api/v1/auth/token/renew').send({ accessToken: `${h}.${p}.${'A'.repeat(86)}` }), 401, 'InvalidAccessToken');
    await request(w.t.url).post('/api/v1/auth/token/revoke').send({ accessToken: issued.body.accessToken }).expect(200);
    expectError(await request(w.t.url).post('/api/v1/auth/token/renew').send({ accessToken: issued.body.accessToken }), 401, 'AccessTokenRevoked');

    const renewals = (await auditOf('access-token.renewed')).filter((l) => (l.metadata as Record<string, string>).tokenId === tokenId);
    expect(renewals.map((l) => `${l.outcome} ${l.errorCode}`).sort()).toEqual(['failure AccessTokenRevoked', 'success null']);
    expect(renewals[0]).toMatchObject({ identityId, actorType: 'identity', actorId: identityId });
    const revocations = (await auditOf('access-token.self-revoked')).filter((l) => (l.metadata as Record<string, string>).tokenId === tokenId);
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ outcome: 'success', identityId, actorType: 'identity' });
  });

  it('creating an organization is audited in the new organization', async () => {
    const created = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name: 'Audited Org' });
    expect(created.status).toBe(201);
    const rows = await auditOf('organization.created', created.body.organization.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'success', actorType: 'user', actorId: w.admin.userId });
  });
});
