import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

describe('Kubernetes login: the happy path', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => w?.close());

  it('exchanges a projected service-account token for an ES256 access token', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 });
    const res = await login(w, identityId, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: 600, accessTokenMaxTTL: 1200, tokenType: 'Bearer' });
    const claims = decodeJwt(res.body.accessToken);
    expect(claims).toMatchObject({ sub: identityId, authMethod: 'kubernetes', org: w.admin.orgId, kubernetes: { namespace: 'shop', serviceAccountName: 'checkout', podName: 'checkout-7d9f' } });
    const self = await request(w.t.url).get('/api/v1/auth/token/self').set(auth(res.body.accessToken));
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ type: 'identity', organizationId: w.admin.orgId, authMethod: 'kubernetes', numUses: 1, numUsesLimit: 0 });
    expect(self.body.identity.id).toBe(identityId);
  });
});
