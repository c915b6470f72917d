import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity as createIdentityOnly, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld, workingConfig } from '../../support/kubernetes-fixture.js';

// Trusted IPs of access tokens: checked at login, at renewal and at every use, against the config's
// *current* list; IPv4/IPv6 CIDRs; X-Forwarded-For honoured only with TRUST_PROXY.

type Headers = Record<string, string>;
const xff = (ip: string): Headers => ({ 'X-Forwarded-For': ip });

async function waitUntil(epochMs: number): Promise<void> {
  const delay = epochMs - Date.now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

function helpers(world: () => KubernetesWorld) {
  const self = (token: string, headers: Headers = {}): request.Test =>
    request(world().t.url).get('/api/v1/auth/token/self').set(auth(token)).set(headers);
  const renew = (accessToken: string, headers: Headers = {}): request.Test =>
    request(world().t.url).post('/api/v1/auth/token/renew').set(headers).send({ accessToken });
  const revoke = (accessToken: string, headers: Headers = {}): request.Test =>
    request(world().t.url).post('/api/v1/auth/token/revoke').set(headers).send({ accessToken });
  const patchConfig = async (identityId: string, body: Record<string, unknown>): Promise<void> => {
    const w = world();
    const res = await request(w.t.url).patch(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  const tokenRows = async (identityId: string): Promise<Array<Record<string, unknown>>> => {
    const w = world();
    const res = await request(w.t.url).get(`/api/v1/identities/${identityId}/access-tokens?limit=200`).set(auth(w.admin.token));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessTokens;
  };
  const loginOk = async (identityId: string, headers: Headers = {}): Promise<string> => {
    const w = world();
    const res = await login(w, identityId, checkoutToken(w), headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessToken as string;
  };
  const loginFailures = async (identityId: string): Promise<Array<{ outcome: string; errorCode: string | null }>> =>
    world()
      .t.app.get(DataSource)
      .query("SELECT outcome, errorCode FROM audit_logs WHERE identityId = ? AND event = 'kubernetes-auth.login' AND outcome = 'failure' ORDER BY id", [identityId]);
  return { self, renew, revoke, patchConfig, tokenRows, loginOk, loginFailures };
}

describe('Trusted IPs without TRUST_PROXY (X-Forwarded-For is ignored)', () => {
  let w: KubernetesWorld;
  const h = helpers(() => w);

  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => w?.close());

  it('refuses a login from 127.0.0.1 when only 10.0.0.0/8 is trusted: 403 IpNotTrusted, before any TokenReview, audited, no token', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    const reviewsBefore = w.sim.counters.tokenReviews;

    expectError(await login(w, identityId, checkoutToken(w)), 403, 'IpNotTrusted');
    // A spoofed X-Forwarded-For changes nothing when the proxy is not trusted.
    expectError(await login(w, identityId, checkoutToken(w), xff('10.1.2.3')), 403, 'IpNotTrusted');

    expect(w.sim.counters.tokenReviews).toBe(reviewsBefore);
    expect(await h.tokenRows(identityId)).toEqual([]);
    const failures = await h.loginFailures(identityId);
    expect(failures).toHaveLength(2);
    for (const f of failures) expect(f.errorCode).toBe('IpNotTrusted');
  });

  it('applies the current trusted IPs to issued tokens: after a PATCH excluding the caller, token/self and renew answer 403 IpNotTrusted and no use is spent', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '127.0.0.1' }] });
    const token = await h.loginOk(identityId);
    // XFF is ignored: the real peer 127.0.0.1 is what counts.
    expect((await h.self(token, xff('192.168.1.1'))).status).toBe(200);

    await h.patchConfig(identityId, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    expectError(await h.self(token), 403, 'IpNotTrusted');
    expectError(await h.self(token, xff('10.1.2.3')), 403, 'IpNotTrusted');
    expectError(await h.renew(token), 403, 'IpNotTrusted');
    expectError(await h.renew(token, xff('10.1.2.3')), 403, 'IpNotTrusted');

    const [row] = await h.tokenRows(identityId);
    expect(row.numUses).toBe(1);
    expect(row.lastRenewedAt).toBeNull();
    expect(row.revokedAt).toBeNull();

    // Trusting the caller again restores the token (it was refused, not revoked).
    await h.patchConfig(identityId, { accessTokenTrustedIps: [{ ipAddress: '127.0.0.0/8' }] });
    const back = await h.self(token);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.numUses).toBe(2);
  });
});

describe('Trusted IPs with TRUST_PROXY=true (X-Forwarded-For names the client)', () => {
  let w: KubernetesWorld;
  const h = helpers(() => w);

  beforeAll(async () => {
    w = await startKubernetesWorld({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => w?.close());

  it('logs in from a trusted forwarded address and checks every use and renewal against it', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    expectError(await login(w, identityId, checkoutToken(w), xff('192.168.1.1')), 403, 'IpNotTrusted');
    expectError(await login(w, identityId, checkoutToken(w)), 403, 'IpNotTrusted'); // 127.0.0.1 itself

    const token = await h.loginOk(identityId, xff('10.1.2.3'));
    const [row] = await h.tokenRows(identityId);
    expect(row.clientIp).toBe('10.1.2.3');

    const ok = await h.self(token, xff('10.1.2.3'));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.numUses).toBe(1);
    expectError(await h.self(token, xff('192.168.1.1')), 403, 'IpNotTrusted');
    expectError(await h.self(token), 403, 'IpNotTrusted');
    // Any trusted address works, not only the one the token was issued to.
    expect((await h.self(token, xff('10.200.0.1'))).status).toBe(200);

    expectError(await h.renew(token, xff('192.168.1.1')), 403, 'IpNotTrusted');
    const renewed = await h.renew(token, xff('10.1.2.3'));
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);

    const after = (await h.tokenRows(identityId))[0];
    expect(after.numUses).toBe(2); // 403s spent nothing
  });

  it('follows a PATCH of the trusted IPs after issue: the old client is refused (403 IpNotTrusted) on use and renewal, the new range is admitted', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    const token = await h.loginOk(identityId, xff('10.1.2.3'));
    expect((await h.self(token, xff('10.1.2.3'))).status).toBe(200);

    await h.patchConfig(identityId, { accessTokenTrustedIps: [{ ipAddress: '172.16.0.0/12' }] });
    expectError(await h.self(token, xff('10.1.2.3')), 403, 'IpNotTrusted');
    expectError(await h.renew(token, xff('10.1.2.3')), 403, 'IpNotTrusted');
    // New logins follow the new list too.
    expectError(await login(w, identityId, checkoutToken(w), xff('10.1.2.3')), 403, 'IpNotTrusted');

    const moved = await h.self(token, xff('172.16.5.5'));
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.numUses).toBe(2);
  });

  it('matches IPv6 CIDRs: 2001:db8::/32 admits 2001:db8::5 and refuses 2001:db9::1', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '2001:db8::/32' }] });
    expectError(await login(w, identityId, checkoutToken(w), xff('2001:db9::1')), 403, 'IpNotTrusted');
    expectError(await login(w, identityId, checkoutToken(w), xff('10.1.2.3')), 403, 'IpNotTrusted');

    const token = await h.loginOk(identityId, xff('2001:db8::5'));
    expect((await h.self(token, xff('2001:db8::5'))).status).toBe(200);
    expect((await h.self(token, xff('2001:db8:ffff::1'))).status).toBe(200);
    expectError(await h.self(token, xff('2001:db9::1')), 403, 'IpNotTrusted');
    expectError(await h.renew(token, xff('2001:db9::1')), 403, 'IpNotTrusted');
    expect((await h.renew(token, xff('2001:db8::5'))).status).toBe(200);
  });

  it('compares an IPv4-mapped IPv6 address (::ffff:10.1.2.3) as IPv4', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    const token = await h.loginOk(identityId, xff('::ffff:10.1.2.3'));
    expect((await h.self(token, xff('::ffff:10.1.2.3'))).status).toBe(200);
    expect((await h.self(token, xff('10.1.2.3'))).status).toBe(200);
    expectError(await h.self(token, xff('::ffff:192.168.1.1')), 403, 'IpNotTrusted');
    expect((await h.renew(token, xff('::ffff:10.9.9.9'))).status).toBe(200);
  });

  it('accepts a trusted range written as an IPv4-mapped IPv6 CIDR (::ffff:10.0.0.0/104 = 10.0.0.0/8)', async () => {
    const identityId = await createIdentityOnly(w);
    const attach = await request(w.t.url)
      .post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`)
      .set(auth(w.admin.token))
      .send(workingConfig(w, { accessTokenTrustedIps: [{ ipAddress: '::ffff:10.0.0.0/104' }] }));
    expect(attach.status, JSON.stringify(attach.body)).toBe(201);
    expectError(await login(w, identityId, checkoutToken(w), xff('192.168.1.1')), 403, 'IpNotTrusted');
    const token = await h.loginOk(identityId, xff('10.1.2.3'));
    expect((await h.self(token, xff('::ffff:10.200.0.1'))).status).toBe(200);
    expectError(await h.self(token, xff('11.0.0.1')), 403, 'IpNotTrusted');
  });

  it('renews in the documented order: trusted IP (403) before uses exhausted (401)', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }], accessTokenNumUsesLimit: 1 });
    const token = await h.loginOk(identityId, xff('10.1.2.3'));
    expect((await h.self(token, xff('10.1.2.3'))).status).toBe(200);
    expectError(await h.renew(token, xff('192.168.1.1')), 403, 'IpNotTrusted');
    expectError(await h.renew(token, xff('10.1.2.3')), 401, 'AccessTokenUsesExhausted');
    expectError(await h.self(token, xff('10.1.2.3')), 401, 'AccessTokenUsesExhausted');
  });

  it('answers revoked and expired tokens with 401, never 403, even from an untrusted address', async () => {
    // The revoked token lives long enough that "revoked" is never confused with "expired".
    const longLived = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }], accessTokenTTL: 60, accessTokenMaxTTL: 60 });
    const shortLived = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }], accessTokenTTL: 1, accessTokenMaxTTL: 60 });
    const revoked = await h.loginOk(longLived, xff('10.1.2.3'));
    const expiring = await h.loginOk(shortLived, xff('10.1.2.3'));

    const res = await h.revoke(revoked, xff('10.1.2.3'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectError(await h.self(revoked, xff('192.168.1.1')), 401, 'AccessTokenRevoked');
    expectError(await h.renew(revoked, xff('192.168.1.1')), 401, 'AccessTokenRevoked');

    await waitUntil((decodeJwt(expiring).exp as number) * 1000 + 150);
    expectError(await h.self(expiring, xff('192.168.1.1')), 401, 'AccessTokenExpired');
    expectError(await h.renew(expiring, xff('192.168.1.1')), 401, 'AccessTokenExpired');
    expectError(await h.self(expiring, xff('10.1.2.3')), 401, 'AccessTokenExpired');
  });
});
