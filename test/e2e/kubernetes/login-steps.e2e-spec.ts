import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { auditRowsFor } from '../../support/audit.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

function fakeJwt(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', kid: 'x' }): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${Buffer.from('sig').toString('base64url')}`;
}

describe('Kubernetes login, steps 1-3 and 6 (docs/api.md)', () => {
  let w: KubernetesWorld;
  let identityId: string;
  beforeAll(async () => {
    w = await startKubernetesWorld();
    identityId = await identityWithConfig(w);
  });
  afterAll(async () => w?.close());

  /** Runs a login and returns how many TokenReviews it caused. */
  async function reviewsDuring(fn: () => Promise<unknown>): Promise<number> {
    const before = w.sim.counters.tokenReviews;
    await fn();
    return w.sim.counters.tokenReviews - before;
  }

  describe('step 1: body and identity', () => {
    it.each([
      [{ jwt: 'x' }, 'identityId'],
      [{ identityId: 'not-a-uuid', jwt: 'x' }, 'identityId'],
      [{ identityId: randomUUID() }, 'jwt'],
      [{ identityId: randomUUID(), jwt: '' }, 'jwt'],
      [{ identityId: randomUUID(), jwt: 'x'.repeat(8193) }, 'jwt'],
      [{ identityId: randomUUID(), jwt: 42 }, 'jwt'],
      [{ identityId: randomUUID(), jwt: 'x', extra: true }, 'extra'],
    ])('%j → 422 ValidationError naming %s', async (body, field) => {
      const res = await request(w.t.url).post('/api/v1/auth/kubernetes-auth/login').send(body);
      const error = expectError(res, 422, 'ValidationError');
      expect((error.details as { field: string }[]).map((d) => d.field)).toContain(field);
    });

    it('an unknown identity and an identity without Kubernetes auth answer the same 404', async () => {
      const unknown = await login(w, randomUUID(), checkoutToken(w));
      const bare = await login(w, await createIdentity(w), checkoutToken(w));
      expectError(unknown, 404, 'KubernetesAuthNotConfigured');
      expectError(bare, 404, 'KubernetesAuthNotConfigured');
      expect(unknown.body.message).toBe(bare.body.message);
    });
  });

  describe('step 2: trusted IPs', () => {
    it('refuses a caller outside the trusted ranges before any TokenReview, and audits it', async () => {
      const id = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }, { ipAddress: '2001:db8::/32' }] });
      const reviews = await reviewsDuring(async () => expectError(await login(w, id, checkoutToken(w)), 403, 'IpNotTrusted'));
      expect(reviews).toBe(0);
      const rows = await auditRowsFor(w.t, id);
      expect(rows.filter((r) => r.event === 'kubernetes-auth.login')).toMatchObject([{ outcome: 'failure', errorCode: 'IpNotTrusted', actorType: 'anonymous' }]);
    });

    it('ignores X-Forwarded-For without TRUST_PROXY', async () => {
      const id = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
      expectError(await login(w, id, checkoutToken(w), { 'X-Forwarded-For': '10.1.2.3' }), 403, 'IpNotTrusted');
    });
  });

  describe('step 3: the local pre-check keeps bad tokens away from the cluster', () => {
    it.each([
      ['garbage', () => 'not-a-jwt'],
      ['a JWT without service-account claims', () => fakeJwt({ sub: 'someone', aud: ['zerokey'] })],
      ['alg none', () => fakeJwt({ 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'checkout' } } }, { alg: 'none' })],
      ['a payload that is not JSON', () => `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('nope').toString('base64url')}.c2ln`],
      ['a username with a colon', () => fakeJwt({ 'kubernetes.io': { namespace: 'shop:x', serviceaccount: { name: 'checkout' } }, aud: ['zerokey'] })],
    ])('%s → 401 InvalidServiceAccountToken, no TokenReview', async (_label, jwt) => {
      const reviews = await reviewsDuring(async () => expectError(await login(w, identityId, jwt()), 401, 'InvalidServiceAccountToken'));
      expect(reviews).toBe(0);
    });

    it('an expired token → 401 ServiceAccountTokenExpired, no TokenReview', async () => {
      const reviews = await reviewsDuring(async () => expectError(await login(w, identityId, checkoutToken(w, { expired: true })), 401, 'ServiceAccountTokenExpired'));
      expect(reviews).toBe(0);
    });

    it('a token expired for 30 s is inside the 60 s leeway, here and in the cluster', async () => {
      const res = await login(w, identityId, checkoutToken(w, { expiredBySeconds: 30 }));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });

    it('a token for another audience → 401 AudienceNotAllowed, no TokenReview', async () => {
      const reviews = await reviewsDuring(async () => expectError(await login(w, identityId, checkoutToken(w, { audience: 'vault' })), 401, 'AudienceNotAllowed'));
      expect(reviews).toBe(0);
    });

    it('a claimed namespace outside the bindings → 403 NamespaceNotAllowed, no TokenReview', async () => {
      w.sim.createServiceAccount('web', 'frontend');
      const jwt = w.sim.mint({ namespace: 'web', serviceAccount: 'frontend', audience: 'zerokey' });
      const reviews = await reviewsDuring(async () => {
        const res = expectError(await login(w, identityId, jwt), 403, 'NamespaceNotAllowed');
        expect(res.message).toContain('"web"');
      });
      expect(reviews).toBe(0);
    });
  });

  describe('bindings (globs, names, pairs; every non-empty list must match)', () => {
    it.each([
      [{ allowedNamespaces: 'sh*' }, 200, undefined],
      [{ allowedNamespaces: ' prod , shop ' }, 200, undefined],
      [{ allowedNamespaces: 'Shop' }, 403, 'NamespaceNotAllowed'],
      [{ allowedNamespaces: '', allowedNames: 'checkout' }, 200, undefined],
      [{ allowedNamespaces: '', allowedNames: 'check*,payments' }, 200, undefined],
      [{ allowedNamespaces: '', allowedNames: 'payments' }, 403, 'NameNotAllowed'],
      [{ allowedNamespaces: 'shop', allowedNames: 'payments' }, 403, 'NameNotAllowed'],
      [{ allowedNamespaces: '', allowedServiceAccounts: 'shop/checkout' }, 200, undefined],
      [{ allowedNamespaces: '', allowedServiceAccounts: '*/check*' }, 200, undefined],
      [{ allowedNamespaces: '', allowedServiceAccounts: 'shop/payments,web/checkout' }, 403, 'ServiceAccountNotAllowed'],
      [{ allowedNamespaces: 'shop', allowedNames: 'checkout', allowedServiceAccounts: 'web/*' }, 403, 'ServiceAccountNotAllowed'],
      [{ allowedNamespaces: '*' }, 200, undefined],
    ])('%j → %s %s', async (bindings, status, code) => {
      const id = await identityWithConfig(w, bindings);
      const res = await login(w, id, checkoutToken(w));
      if (code) expectError(res, status, code);
      else expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  });

  describe('step 6: the review must name the service account the token claims', () => {
    it('a review naming a user that is not a service account → 401 NotAServiceAccount', async () => {
      w.sim.setFault({ kind: 'not-a-service-account' });
      try {
        expectError(await login(w, identityId, checkoutToken(w)), 401, 'NotAServiceAccount');
      } finally {
        w.sim.setFault(null);
      }
    });

    it('a review naming another service account → 401 ServiceAccountMismatch', async () => {
      w.sim.setFault({ kind: 'wrong-service-account' });
      try {
        expectError(await login(w, identityId, checkoutToken(w)), 401, 'ServiceAccountMismatch');
      } finally {
        w.sim.setFault(null);
      }
    });
  });

  describe('the cluster rejects the token (step 5: 401 ServiceAccountTokenRejected with its reason)', () => {
    it('signed by a key the cluster does not trust', async () => {
      const res = expectError(await login(w, identityId, checkoutToken(w, { foreignKey: true })), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toContain('invalid bearer token');
    });

    it('its pod was deleted', async () => {
      w.sim.createPod('shop', 'checkout-old', 'checkout');
      const jwt = checkoutToken(w, { pod: 'checkout-old' });
      expect((await login(w, identityId, jwt)).status).toBe(200);
      w.sim.deletePod('shop', 'checkout-old');
      const res = expectError(await login(w, identityId, jwt), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toContain('invalidated');
    });

    it('its service account was deleted and recreated', async () => {
      w.sim.createServiceAccount('shop', 'cart');
      const jwt = w.sim.mint({ namespace: 'shop', serviceAccount: 'cart', audience: 'zerokey' });
      expect((await login(w, identityId, jwt)).status).toBe(200);
      w.sim.deleteServiceAccount('shop', 'cart');
      w.sim.createServiceAccount('shop', 'cart');
      const res = expectError(await login(w, identityId, jwt), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toContain('does not match');
    });

    it('it is not valid yet', async () => {
      expectError(await login(w, identityId, checkoutToken(w, { notYetValid: true })), 401, 'ServiceAccountTokenRejected');
    });
  });

  describe('legacy secret-based tokens', () => {
    it('work without an audience (reviewed against the API audiences)', async () => {
      const id = await identityWithConfig(w, { allowedAudience: '' });
      const res = await login(w, id, w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', legacy: true }));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });

    it('fail a configured audience, locally', async () => {
      const reviews = await reviewsDuring(async () => expectError(await login(w, identityId, w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', legacy: true })), 401, 'AudienceNotAllowed'));
      expect(reviews).toBe(0);
    });
  });

  describe('step 7 and the audit trail', () => {
    it('records success and failure with their codes, never the JWT', async () => {
      const id = await identityWithConfig(w);
      const good = checkoutToken(w);
      expect((await login(w, id, good)).status).toBe(200);
      const bad = checkoutToken(w, { audience: 'other' });
      expectError(await login(w, id, bad), 401, 'AudienceNotAllowed');
      const rows = (await auditRowsFor(w.t, id)).filter((r) => r.event === 'kubernetes-auth.login');
      expect(rows).toMatchObject([
        { outcome: 'success', errorCode: null, orgId: w.admin.orgId },
        { outcome: 'failure', errorCode: 'AudienceNotAllowed', orgId: w.admin.orgId },
      ]);
      const serialized = JSON.stringify(rows);
      expect(serialized).not.toContain(good);
      expect(serialized).not.toContain(bad.split('.')[2]);
      expect(serialized).not.toContain(w.reviewerJwt.split('.')[2]);
      expect(JSON.parse(rows[0].metadata)).toMatchObject({ namespace: 'shop', serviceAccountName: 'checkout', podName: 'checkout-7d9f' });
    });

    it('an unknown identity is not audited', async () => {
      const id = randomUUID();
      expectError(await login(w, id, checkoutToken(w)), 404, 'KubernetesAuthNotConfigured');
      expect(await auditRowsFor(w.t, id)).toEqual([]);
    });

    it('sets the identity’s last login', async () => {
      const id = await identityWithConfig(w);
      expect((await login(w, id, checkoutToken(w))).status).toBe(200);
      const res = await request(w.t.url).get(`/api/v1/identities/${id}`).set(auth(w.admin.token));
      expect(res.body.identity.lastLoginAt).toEqual(expect.any(String));
    });
  });
});
