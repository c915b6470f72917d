import { createPublicKey, generateKeyPairSync, type JsonWebKey, randomUUID, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError, PASSWORD } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

// Access tokens after a successful Kubernetes login: shape and signature, token/self, the uses
// limit under concurrency, renewal (same jti, max TTL cap, expiry) and public revocation.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

/** Resolves once the wall clock has reached `epochMs` (JWT times are whole seconds). */
async function waitUntil(epochMs: number): Promise<void> {
  const delay = epochMs - Date.now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

describe('Access tokens issued by a Kubernetes login', () => {
  let w: KubernetesWorld;

  const self = (token: string): request.Test => request(w.t.url).get('/api/v1/auth/token/self').set(auth(token));
  const renew = (body: unknown): request.Test => request(w.t.url).post('/api/v1/auth/token/renew').send(body as object);
  const revoke = (body: unknown): request.Test => request(w.t.url).post('/api/v1/auth/token/revoke').send(body as object);

  async function loginOk(identityId: string, jwt = checkoutToken(w)): Promise<{ accessToken: string; expiresIn: number; accessTokenMaxTTL: number; tokenType: string }> {
    const res = await login(w, identityId, jwt);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  async function tokenRows(identityId: string): Promise<Array<Record<string, unknown>>> {
    const res = await request(w.t.url).get(`/api/v1/identities/${identityId}/access-tokens?limit=200`).set(auth(w.admin.token));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessTokens;
  }

  async function tokenRow(identityId: string, jti: string): Promise<Record<string, unknown>> {
    const row = (await tokenRows(identityId)).find((r) => r.id === jti);
    expect(row, `token row ${jti}`).toBeDefined();
    return row!;
  }

  /** Verifies an access token's ES256 signature against the service's JWKS with node crypto alone. */
  async function verifyWithJwks(token: string): Promise<boolean> {
    const header = decodeHeader(token);
    const jwks = await request(w.t.url).get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const jwk = (jwks.body.keys as Array<Record<string, string>>).find((k) => k.kid === header.kid);
    expect(jwk, `kid ${String(header.kid)} in the JWKS`).toBeDefined();
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const [h, p, s] = token.split('.');
    return cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  }

  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => w?.close());

  describe('token shape', () => {
    it('is an ES256 JWT whose kid is published in the JWKS and whose signature verifies', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 600 });
      const body = await loginOk(identityId);
      expect(body).toEqual({ accessToken: expect.any(String), expiresIn: 600, accessTokenMaxTTL: 600, tokenType: 'Bearer' });

      const header = decodeHeader(body.accessToken);
      expect(header.alg).toBe('ES256');
      expect(header.kid).toEqual(expect.any(String));

      const jwks = await request(w.t.url).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      const jwk = (jwks.body.keys as Array<Record<string, string>>).find((k) => k.kid === header.kid);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: header.kid });
      // Public keys only: no private scalar is ever published.
      for (const key of jwks.body.keys as Array<Record<string, string>>) expect(key).not.toHaveProperty('d');

      expect(await verifyWithJwks(body.accessToken)).toBe(true);

      // The signature covers the claims: a forged payload does not verify.
      const [h, , s] = body.accessToken.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(body.accessToken), sub: randomUUID() })).toString('base64url');
      expect(await verifyWithJwks(`${h}.${forgedPayload}.${s}`)).toBe(false);
    });

    it('carries iss, sub, jti, iat, exp = iat + TTL, org, authMethod and the reviewed service account (uid from the cluster)', async () => {
      const { uid } = w.sim.createServiceAccount('shop', 'shape-sa');
      w.sim.createPod('shop', 'shape-sa-5c4b', 'shape-sa');
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const before = Math.floor(Date.now() / 1000);
      const body = await loginOk(identityId, w.sim.mint({ namespace: 'shop', serviceAccount: 'shape-sa', pod: 'shape-sa-5c4b', audience: 'zerokey' }));
      const after = Math.ceil(Date.now() / 1000);
      expect(body.expiresIn).toBe(600);
      expect(body.accessTokenMaxTTL).toBe(1200);

      const claims = decodeJwt(body.accessToken) as Record<string, unknown> & { iat: number; exp: number; jti: string };
      expect(claims).toMatchObject({
        iss: w.t.config.publicUrl,
        sub: identityId,
        org: w.admin.orgId,
        authMethod: 'kubernetes',
      });
      expect(claims.jti).toMatch(UUID);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.iat).toBeLessThanOrEqual(after);
      expect(claims.exp).toBe(claims.iat + 600);
      expect(claims.kubernetes).toEqual({ namespace: 'shop', serviceAccountName: 'shape-sa', serviceAccountUid: uid, podName: 'shape-sa-5c4b' });

      // One row per token, keyed by the jti; the token string itself is not what is stored.
      const row = await tokenRow(identityId, claims.jti);
      expect(row).toMatchObject({ identityId, authMethod: 'kubernetes', ttl: 600, maxTtl: 1200, numUses: 0, revokedAt: null });
      expect(new Date(row.expiresAt as string).getTime()).toBe(claims.exp * 1000);
      expect(Math.abs(new Date(row.createdAt as string).getTime() - claims.iat * 1000)).toBeLessThan(1000);
      expect(JSON.stringify(row)).not.toContain(body.accessToken.split('.')[2]);
    });

    it('omits podName when the service-account token is not bound to a pod', async () => {
      const identityId = await identityWithConfig(w);
      const body = await loginOk(identityId, w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' }));
      const claims = decodeJwt(body.accessToken);
      expect(claims.kubernetes).toEqual({ namespace: 'shop', serviceAccountName: 'checkout', serviceAccountUid: expect.any(String) });
    });

    it('gives expiresIn = min(TTL, max TTL): TTL 600 with max TTL 600 yields 600 and exp = iat + 600', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 600 });
      const body = await loginOk(identityId);
      expect(body.expiresIn).toBe(600);
      expect(body.accessTokenMaxTTL).toBe(600);
      const claims = decodeJwt(body.accessToken) as { iat: number; exp: number };
      expect(claims.exp - claims.iat).toBe(600);
    });
  });

  describe('GET /api/v1/auth/token/self', () => {
    it('describes the identity behind the token and counts each call as a use', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 900, accessTokenMaxTTL: 1800 });
      const body = await loginOk(identityId);
      const claims = decodeJwt(body.accessToken) as { exp: number; jti: string };

      const first = await self(body.accessToken);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body).toEqual({
        type: 'identity',
        identity: expect.objectContaining({ id: identityId, organizationId: w.admin.orgId }),
        organizationId: w.admin.orgId,
        authMethod: 'kubernetes',
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        numUses: 1,
        numUsesLimit: 0,
      });
      expect(first.body).not.toHaveProperty('user');

      const second = await self(body.accessToken);
      expect(second.status).toBe(200);
      expect(second.body.numUses).toBe(2);
      const third = await self(body.accessToken);
      expect(third.body.numUses).toBe(3);
      expect((await tokenRow(identityId, claims.jti)).numUses).toBe(3);
    });

    it('answers 401 Unauthorized without a bearer and 401 InvalidAccessToken for a garbage or forged one', async () => {
      expectError(await request(w.t.url).get('/api/v1/auth/token/self'), 401, 'Unauthorized');
      expectError(await self('not-a-token'), 401, 'InvalidAccessToken');

      const identityId = await identityWithConfig(w);
      const body = await loginOk(identityId);
      const [h, p] = body.accessToken.split('.');
      // Same header (same kid), a signature made with a key Zerokey never issued.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const foreignSig = cryptoSign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      expectError(await self(`${h}.${p}.${foreignSig}`), 401, 'InvalidAccessToken');
      // A tampered payload under the genuine signature.
      const tampered = Buffer.from(JSON.stringify({ ...decodeJwt(body.accessToken), exp: 4102444800 })).toString('base64url');
      expectError(await self(`${h}.${tampered}.${body.accessToken.split('.')[2]}`), 401, 'InvalidAccessToken');
      // None of that spent a use of the genuine token.
      expect((await tokenRow(identityId, decodeJwt(body.accessToken).jti as string)).numUses).toBe(0);
    });

    it('describes a user session as { type: "user", user, organizationId: null, authMethod: "session" }', async () => {
      const session = await request(w.t.url).post('/api/v1/auth/login').send({ email: w.admin.email, password: PASSWORD });
      expect(session.status, JSON.stringify(session.body)).toBe(200);
      const res = await self(session.body.accessToken);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        type: 'user',
        user: { id: w.admin.userId, email: w.admin.email },
        organizationId: null,
        authMethod: 'session',
        expiresAt: expect.any(String),
        numUses: 1,
        numUsesLimit: 0,
      });
      expect(res.body).not.toHaveProperty('identity');
      expect(JSON.stringify(res.body)).not.toMatch(/password/i);
      const again = await self(session.body.accessToken);
      expect(again.body.numUses).toBe(2);
    });
  });

  describe('uses limit', () => {
    it('lets exactly 5 of 30 concurrent uses through a token limited to 5; the rest are 401 AccessTokenUsesExhausted, and renewal is refused', async () => {
      const identityId = await identityWithConfig(w, { accessTokenNumUsesLimit: 5 });
      const body = await loginOk(identityId);
      const { jti } = decodeJwt(body.accessToken) as { jti: string };

      const results = await Promise.all(Array.from({ length: 30 }, () => self(body.accessToken)));
      const ok = results.filter((r) => r.status === 200);
      const refused = results.filter((r) => r.status !== 200);
      expect(ok).toHaveLength(5);
      expect(refused).toHaveLength(25);
      for (const res of refused) expectError(res, 401, 'AccessTokenUsesExhausted');
      for (const res of ok) {
        expect(res.body.numUsesLimit).toBe(5);
        expect(res.body.numUses).toBeGreaterThanOrEqual(1);
        expect(res.body.numUses).toBeLessThanOrEqual(5);
      }

      const row = await tokenRow(identityId, jti);
      expect(row.numUses).toBe(5);
      expect(row.numUsesLimit).toBe(5);
      expect(row.revokedAt).toBeNull();

      expectError(await renew({ accessToken: body.accessToken }), 401, 'AccessTokenUsesExhausted');
      expectError(await self(body.accessToken), 401, 'AccessTokenUsesExhausted');
      expect((await tokenRow(identityId, jti)).numUses).toBe(5);
    });
  });

  describe('POST /api/v1/auth/token/renew', () => {
    it('re-signs the same jti with a fresh lifetime, spends no use, and leaves the earlier JWT valid', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const first = await loginOk(identityId);
      const c1 = decodeJwt(first.accessToken) as Record<string, unknown> & { iat: number; exp: number; jti: string };
      expect((await self(first.accessToken)).status).toBe(200);

      // Let a second pass so the renewed token is provably new (iat and exp move).
      await waitUntil((c1.iat + 1) * 1000 + 20);
      const res = await renew({ accessToken: first.accessToken });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: 600, accessTokenMaxTTL: 1200, tokenType: 'Bearer' });
      expect(res.body.accessToken).not.toBe(first.accessToken);

      const c2 = decodeJwt(res.body.accessToken) as Record<string, unknown> & { iat: number; exp: number; jti: string };
      expect(c2.jti).toBe(c1.jti);
      expect(c2).toMatchObject({ iss: c1.iss, sub: identityId, org: w.admin.orgId, authMethod: 'kubernetes', kubernetes: c1.kubernetes });
      expect(c2.iat).toBeGreaterThan(c1.iat);
      expect(c2.exp).toBe(c2.iat + 600);
      expect(decodeHeader(res.body.accessToken).alg).toBe('ES256');
      expect(await verifyWithJwks(res.body.accessToken)).toBe(true);

      const row = await tokenRow(identityId, c1.jti);
      const createdAt = new Date(row.createdAt as string).getTime() / 1000;
      expect(c2.exp).toBeLessThanOrEqual(createdAt + 1200);
      expect(row.numUses).toBe(1); // renewal spent no use
      expect(row.lastRenewedAt).not.toBeNull();
      expect(new Date(row.expiresAt as string).getTime()).toBe(c2.exp * 1000);

      // Still one row: renewal does not mint a new token id.
      expect((await tokenRows(identityId)).map((r) => r.id)).toEqual([c1.jti]);

      // The earlier JWT stays valid until its own exp; both JWTs count on the same row.
      const old = await self(first.accessToken);
      expect(old.status, JSON.stringify(old.body)).toBe(200);
      expect(old.body.numUses).toBe(2);
      const renewed = await self(res.body.accessToken);
      expect(renewed.status).toBe(200);
      expect(renewed.body.numUses).toBe(3);
      expect(renewed.body.expiresAt).toBe(new Date(c2.exp * 1000).toISOString());
    });

    it('refuses garbage and forged tokens with 401 InvalidAccessToken and a missing or mistyped field with 422', async () => {
      expectError(await renew({ accessToken: 'garbage' }), 401, 'InvalidAccessToken');
      expectError(await renew({ accessToken: 'a.b.c' }), 401, 'InvalidAccessToken');

      const identityId = await identityWithConfig(w);
      const body = await loginOk(identityId);
      const [h, p, s] = body.accessToken.split('.');
      const tampered = Buffer.from(JSON.stringify({ ...decodeJwt(body.accessToken), sub: randomUUID() })).toString('base64url');
      expectError(await renew({ accessToken: `${h}.${tampered}.${s}` }), 401, 'InvalidAccessToken');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const foreignSig = cryptoSign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      expectError(await renew({ accessToken: `${h}.${p}.${foreignSig}` }), 401, 'InvalidAccessToken');

      const missing = expectError(await renew({}), 422, 'ValidationError');
      expect(missing.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'accessToken' })]));
      expectError(await renew({ accessToken: 42 }), 422, 'ValidationError');
      expectError(await renew({ accessToken: '' }), 422, 'ValidationError');

      // No renewal happened for the genuine token.
      expect((await tokenRow(identityId, decodeJwt(body.accessToken).jti as string)).lastRenewedAt).toBeNull();
    });

    it('refuses to extend a token whose exp already equals createdAt + max TTL: 401 AccessTokenMaxTtlReached (the token stays usable)', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 600 });
      const body = await loginOk(identityId);
      expectError(await renew({ accessToken: body.accessToken }), 401, 'AccessTokenMaxTtlReached');
      const still = await self(body.accessToken);
      expect(still.status, JSON.stringify(still.body)).toBe(200);
    });

    it('caps a renewal at createdAt + max TTL, then refuses the capped token with 401 AccessTokenMaxTtlReached', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 100, accessTokenMaxTTL: 101 });
      const body = await loginOk(identityId);
      const c1 = decodeJwt(body.accessToken) as { iat: number; exp: number; jti: string };
      expect(c1.exp).toBe(c1.iat + 100);

      // From one second after issue on, now + TTL reaches createdAt + max TTL: the renewal is capped there.
      await waitUntil((c1.iat + 1) * 1000 + 20);
      const capped = await renew({ accessToken: body.accessToken });
      expect(capped.status, JSON.stringify(capped.body)).toBe(200);
      const c2 = decodeJwt(capped.body.accessToken) as { iat: number; exp: number; jti: string };
      expect(c2.jti).toBe(c1.jti);
      expect(c2.exp).toBe(c1.iat + 101);
      expect(capped.body.expiresIn).toBe(c2.exp - c2.iat); // the lifetime it really got
      expect(c2.exp).toBeLessThanOrEqual(c2.iat + 100);
      expect(capped.body.accessTokenMaxTTL).toBe(101);

      expectError(await renew({ accessToken: capped.body.accessToken }), 401, 'AccessTokenMaxTtlReached');
      const row = await tokenRow(identityId, c1.jti);
      expect(new Date(row.expiresAt as string).getTime()).toBe((c1.iat + 101) * 1000);
    });

    it('never renews an expired token: 401 AccessTokenExpired on renew and on token/self (not 403), no use spent', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 1, accessTokenMaxTTL: 60 });
      const body = await loginOk(identityId);
      const claims = decodeJwt(body.accessToken) as { exp: number; jti: string };
      expect(body.expiresIn).toBe(1);
      await waitUntil(claims.exp * 1000 + 150);

      expectError(await self(body.accessToken), 401, 'AccessTokenExpired');
      expectError(await renew({ accessToken: body.accessToken }), 401, 'AccessTokenExpired');
      const row = await tokenRow(identityId, claims.jti);
      expect(row.numUses).toBe(0);
      expect(row.lastRenewedAt).toBeNull();

      // Renewal checks revocation before expiry: once revoked, the expired token reports revocation.
      const del = await request(w.t.url).delete(`/api/v1/identities/${identityId}/access-tokens/${claims.jti}`).set(auth(w.admin.token));
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expectError(await renew({ accessToken: body.accessToken }), 401, 'AccessTokenRevoked');
      // The bearer check verifies exp first.
      expectError(await self(body.accessToken), 401, 'AccessTokenExpired');
    });
  });

  describe('POST /api/v1/auth/token/revoke', () => {
    it('revokes the jti: every JWT of it (earlier and renewed) is refused with 401 AccessTokenRevoked, other tokens are untouched', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const first = await loginOk(identityId);
      const other = await loginOk(identityId);
      const renewedRes = await renew({ accessToken: first.accessToken });
      expect(renewedRes.status, JSON.stringify(renewedRes.body)).toBe(200);
      const sibling = renewedRes.body.accessToken as string;
      const { jti } = decodeJwt(first.accessToken) as { jti: string };
      expect(decodeJwt(sibling).jti).toBe(jti);
      expect((await self(first.accessToken)).status).toBe(200);
      expect((await self(sibling)).status).toBe(200);

      const res = await revoke({ accessToken: first.accessToken });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ message: 'Successfully revoked access token' });

      expectError(await self(first.accessToken), 401, 'AccessTokenRevoked');
      expectError(await self(sibling), 401, 'AccessTokenRevoked');
      expectError(await renew({ accessToken: first.accessToken }), 401, 'AccessTokenRevoked');
      expectError(await renew({ accessToken: sibling }), 401, 'AccessTokenRevoked');

      const row = await tokenRow(identityId, jti);
      expect(row.revokedAt).not.toBeNull();
      expect(row.numUses).toBe(2); // refused requests spent nothing

      const untouched = await self(other.accessToken);
      expect(untouched.status, JSON.stringify(untouched.body)).toBe(200);
      expect((await tokenRow(identityId, decodeJwt(other.accessToken).jti as string)).revokedAt).toBeNull();
    });

    it('revoking through the renewed sibling ends the original JWT as well', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const first = await loginOk(identityId);
      const renewed = await renew({ accessToken: first.accessToken });
      expect(renewed.status).toBe(200);
      const res = await revoke({ accessToken: renewed.body.accessToken });
      expect(res.status).toBe(200);
      expectError(await self(first.accessToken), 401, 'AccessTokenRevoked');
      expectError(await renew({ accessToken: first.accessToken }), 401, 'AccessTokenRevoked');
    });

    it('refuses garbage with 401 InvalidAccessToken and a missing field with 422, revoking nothing', async () => {
      const identityId = await identityWithConfig(w);
      const body = await loginOk(identityId);
      expectError(await revoke({ accessToken: 'garbage' }), 401, 'InvalidAccessToken');
      const [h, , s] = body.accessToken.split('.');
      const tampered = Buffer.from(JSON.stringify({ ...decodeJwt(body.accessToken), jti: randomUUID() })).toString('base64url');
      expectError(await revoke({ accessToken: `${h}.${tampered}.${s}` }), 401, 'InvalidAccessToken');
      expectError(await revoke({}), 422, 'ValidationError');
      expect((await self(body.accessToken)).status).toBe(200);
      expect((await tokenRow(identityId, decodeJwt(body.accessToken).jti as string)).revokedAt).toBeNull();
    });
  });
});
