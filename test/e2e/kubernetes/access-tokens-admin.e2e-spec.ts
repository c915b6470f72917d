import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

// The org admin's view of an identity's access tokens: list (metadata only), revoke one, revoke all.

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('Access tokens of an identity (org admin)', () => {
  let w: KubernetesWorld;

  const self = (token: string): request.Test => request(w.t.url).get('/api/v1/auth/token/self').set(auth(token));
  const renew = (accessToken: string): request.Test => request(w.t.url).post('/api/v1/auth/token/renew').send({ accessToken });
  const list = (identityId: string, query = '', token = w.admin.token): request.Test =>
    request(w.t.url).get(`/api/v1/identities/${identityId}/access-tokens${query}`).set(auth(token));
  const revokeOne = (identityId: string, tokenId: string, token = w.admin.token): request.Test =>
    request(w.t.url).delete(`/api/v1/identities/${identityId}/access-tokens/${tokenId}`).set(auth(token));
  const revokeAll = (identityId: string, token = w.admin.token): request.Test =>
    request(w.t.url).post(`/api/v1/identities/${identityId}/access-tokens/revoke-all`).set(auth(token));

  async function loginToken(identityId: string): Promise<string> {
    const res = await login(w, identityId, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessToken as string;
  }

  const jtiOf = (token: string): string => decodeJwt(token).jti as string;

  async function auditEvents(identityId: string, event: string): Promise<Array<{ event: string; outcome: string; metadata: unknown }>> {
    return w.t.app.get(DataSource).query('SELECT event, outcome, metadata FROM audit_logs WHERE identityId = ? AND event = ? ORDER BY id', [identityId, event]);
  }

  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => w?.close());

  describe('GET /api/v1/identities/:identityId/access-tokens', () => {
    it('lists token metadata with offset, limit and totalCount, never a token string', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200, accessTokenNumUsesLimit: 7 });
      const tokens = [await loginToken(identityId), await loginToken(identityId), await loginToken(identityId)];
      const jtis = tokens.map(jtiOf);
      // Two uses of the first token show in its row.
      expect((await self(tokens[0])).status).toBe(200);
      expect((await self(tokens[0])).status).toBe(200);

      const page1 = await list(identityId, '?offset=0&limit=2');
      expect(page1.status, JSON.stringify(page1.body)).toBe(200);
      expect(page1.body.totalCount).toBe(3);
      expect(page1.body.accessTokens).toHaveLength(2);
      const page2 = await list(identityId, '?offset=2&limit=2');
      expect(page2.status).toBe(200);
      expect(page2.body.totalCount).toBe(3);
      expect(page2.body.accessTokens).toHaveLength(1);
      const all = [...page1.body.accessTokens, ...page2.body.accessTokens] as Array<Record<string, unknown>>;
      expect(new Set(all.map((t) => t.id))).toEqual(new Set(jtis));
      // Exactly the documented metadata (docs/api.md "Access tokens of an identity"), nothing internal.
      const fields = ['id', 'identityId', 'authMethod', 'ttl', 'maxTtl', 'numUses', 'numUsesLimit', 'createdAt', 'expiresAt', 'maxExpiresAt', 'lastRenewedAt', 'lastUsedAt', 'revokedAt', 'clientIp', 'subject'];
      for (const item of all) expect(Object.keys(item).sort()).toEqual([...fields].sort());

      const defaults = await list(identityId);
      expect(defaults.status).toBe(200);
      expect(defaults.body.accessTokens).toHaveLength(3);

      for (const item of all) {
        expect(item.id).toMatch(UUID);
        expect(item).toMatchObject({
          identityId,
          authMethod: 'kubernetes',
          ttl: 600,
          maxTtl: 1200,
          numUsesLimit: 7,
          numUses: item.id === jtis[0] ? 2 : 0,
          revokedAt: null,
          createdAt: expect.any(String),
          expiresAt: expect.any(String),
          subject: { namespace: 'shop', serviceAccountName: 'checkout', serviceAccountUid: expect.any(String), podName: 'checkout-7d9f' },
        });
        expect(item).not.toHaveProperty('accessToken');
        expect(item).not.toHaveProperty('token');
      }
      const text = JSON.stringify(defaults.body);
      for (const token of tokens) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(token.split('.')[2]);
      }
    });

    it('rejects bad pagination with 422, an unknown identity with 404 IdentityNotFound and a malformed id with 400', async () => {
      const identityId = await identityWithConfig(w);
      expectError(await list(identityId, '?limit=0'), 422, 'ValidationError');
      expectError(await list(identityId, '?limit=201'), 422, 'ValidationError');
      expectError(await list(identityId, '?offset=-1'), 422, 'ValidationError');
      expectError(await list(randomUUID()), 404, 'IdentityNotFound');
      expectError(await list('not-a-uuid'), 400, 'BadRequest');
    });

    it('is for org admins: an identity token without the admin role gets 403 PermissionDenied, an admin identity is let in', async () => {
      const target = await identityWithConfig(w);
      await loginToken(target);
      const viewer = await identityWithConfig(w, {}, { role: 'viewer' });
      const viewerToken = await loginToken(viewer);
      expectError(await list(target, '', viewerToken), 403, 'PermissionDenied');
      expectError(await revokeAll(target, viewerToken), 403, 'PermissionDenied');
      expectError(await list(viewer, '', viewerToken), 403, 'PermissionDenied');

      const noAccess = await identityWithConfig(w);
      const noAccessToken = await loginToken(noAccess);
      expectError(await list(noAccess, '', noAccessToken), 403, 'PermissionDenied');

      const adminIdentity = await identityWithConfig(w, {}, { role: 'admin' });
      const adminToken = await loginToken(adminIdentity);
      const res = await list(target, '', adminToken);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.totalCount).toBe(1);
    });
  });

  describe('DELETE /api/v1/identities/:identityId/access-tokens/:tokenId', () => {
    it('revokes one token: returns it with revokedAt set, then that token is 401 AccessTokenRevoked while the others keep working', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const target = await loginToken(identityId);
      const other = await loginToken(identityId);
      const renewed = await renew(target);
      expect(renewed.status).toBe(200);
      const jti = jtiOf(target);

      const res = await revokeOne(identityId, jti);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.accessToken).toMatchObject({ id: jti, identityId, authMethod: 'kubernetes', revokedAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(res.body.accessToken.revokedAt))).toBe(false);
      expect(JSON.stringify(res.body)).not.toContain(target.split('.')[2]);

      expectError(await self(target), 401, 'AccessTokenRevoked');
      expectError(await self(renewed.body.accessToken), 401, 'AccessTokenRevoked');
      expectError(await renew(target), 401, 'AccessTokenRevoked');
      expect((await self(other)).status).toBe(200);

      const rows = (await list(identityId)).body.accessTokens as Array<Record<string, unknown>>;
      expect(rows.find((r) => r.id === jti)!.revokedAt).not.toBeNull();
      expect(rows.find((r) => r.id === jtiOf(other))!.revokedAt).toBeNull();

      const audited = await auditEvents(identityId, 'access-token.revoked');
      expect(audited).toHaveLength(1);
      expect(audited[0].outcome).toBe('success');
      expect(parseJson(audited[0].metadata)).toMatchObject({ tokenId: jti });
    });

    it('answers 404 AccessTokenNotFound for an unknown token id and 400 for a malformed one', async () => {
      const identityId = await identityWithConfig(w);
      await loginToken(identityId);
      expectError(await revokeOne(identityId, randomUUID()), 404, 'AccessTokenNotFound');
      expectError(await revokeOne(identityId, 'nope'), 400, 'BadRequest');
    });

    it('cannot revoke identity A’s token through identity B’s path (404 AccessTokenNotFound; A’s token keeps working)', async () => {
      const a = await identityWithConfig(w);
      const b = await identityWithConfig(w);
      const tokenA = await loginToken(a);
      await loginToken(b);

      expectError(await revokeOne(b, jtiOf(tokenA)), 404, 'AccessTokenNotFound');
      const still = await self(tokenA);
      expect(still.status, JSON.stringify(still.body)).toBe(200);
      const rows = (await list(a)).body.accessTokens as Array<Record<string, unknown>>;
      expect(rows.find((r) => r.id === jtiOf(tokenA))!.revokedAt).toBeNull();
      // B's list never shows A's token.
      expect(((await list(b)).body.accessTokens as Array<Record<string, unknown>>).map((r) => r.id)).not.toContain(jtiOf(tokenA));
    });
  });

  describe('POST /api/v1/identities/:identityId/access-tokens/revoke-all', () => {
    it('revokes every live token of the identity and reports how many; other identities are untouched', async () => {
      const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
      const otherIdentity = await identityWithConfig(w);
      const tokens = [await loginToken(identityId), await loginToken(identityId), await loginToken(identityId)];
      const renewed = await renew(tokens[1]);
      expect(renewed.status).toBe(200);
      // One of them is already revoked: it is not counted again.
      expect((await revokeOne(identityId, jtiOf(tokens[2]))).status).toBe(200);
      const foreign = await loginToken(otherIdentity);

      const res = await revokeAll(identityId);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ revokedCount: 2 });

      for (const token of [...tokens, renewed.body.accessToken as string]) {
        expectError(await self(token), 401, 'AccessTokenRevoked');
        expectError(await renew(token), 401, 'AccessTokenRevoked');
      }
      const rows = (await list(identityId)).body.accessTokens as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.revokedAt).not.toBeNull();

      expect((await self(foreign)).status).toBe(200);

      const audited = await auditEvents(identityId, 'access-token.revoked-all');
      expect(audited).toHaveLength(1);
      expect(parseJson(audited[0].metadata)).toMatchObject({ revokedCount: 2 });

      // Nothing left to revoke; a fresh login still works (revocation is per token, not a ban).
      expect((await revokeAll(identityId)).body).toEqual({ revokedCount: 0 });
      const fresh = await loginToken(identityId);
      expect((await self(fresh)).status).toBe(200);
    });

    it('answers 404 IdentityNotFound for an unknown identity', async () => {
      expectError(await revokeAll(randomUUID()), 404, 'IdentityNotFound');
    });
  });
});
