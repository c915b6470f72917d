import { freePort } from '../../support/ports.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { createIdentity, identityWithConfig, type KubernetesWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';


describe('POST /api/v1/auth/kubernetes-auth/identities/:id/check', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '800' });
  });
  afterAll(async () => w?.close());

  async function check(overrides: Record<string, unknown>): Promise<request.Response> {
    const id = await identityWithConfig(w, overrides);
    return request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${id}/check`).set(auth(w.admin.token));
  }

  it('healthy: reachable, TLS verified, reviewer authorized, version reported, no errors', async () => {
    const before = w.sim.counters.tokenReviews;
    const res = await check({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: 'v1.31.0', keys: null, namespaceReadable: null, errors: [] });
    expect(w.sim.counters.tokenReviews).toBe(before + 1);
  });

  it('wrong CA: TLS error with the fix', async () => {
    const res = await check({ caCert: w.sim.otherCaPem });
    expect(res.body).toMatchObject({ reachable: true, tls: false, reviewerAuthorized: null, kubernetesVersion: null });
    expect(res.body.errors).toEqual([{ code: 'KubernetesTlsError', message: expect.stringContaining('caCert') }]);
  });

  it('reviewer token invalid (401): not authorized, with the fix', async () => {
    const res = await check({ tokenReviewerJwt: 'expired-or-bogus' });
    expect(res.body).toMatchObject({ reachable: true, tls: true, reviewerAuthorized: false, kubernetesVersion: 'v1.31.0' });
    expect(res.body.errors).toEqual([{ code: 'TokenReviewerUnauthorized', message: expect.stringContaining('kubectl create token') }]);
  });

  it('reviewer without auth-delegator (403): says to bind system:auth-delegator', async () => {
    w.sim.createServiceAccount('auth', 'no-rbac');
    const res = await check({ tokenReviewerJwt: w.sim.mint({ namespace: 'auth', serviceAccount: 'no-rbac' }) });
    expect(res.body).toMatchObject({ reachable: true, reviewerAuthorized: false });
    expect(res.body.errors).toEqual([{ code: 'TokenReviewerForbidden', message: expect.stringContaining('bind the reviewer to ClusterRole system:auth-delegator') }]);
  });

  it('unreachable: nothing listens on the port', async () => {
    const res = await check({ kubernetesHost: `https://127.0.0.1:${await freePort()}` });
    expect(res.body).toMatchObject({ reachable: false, tls: false, reviewerAuthorized: null, kubernetesVersion: null });
    expect(res.body.errors).toEqual([{ code: 'KubernetesUnreachable', message: expect.stringContaining('kubernetesHost') }]);
  });

  it('hang: times out and says so', async () => {
    w.sim.setFault({ kind: 'hang' });
    try {
      const res = await check({});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ reachable: false, tls: false });
      expect(res.body.errors).toEqual([{ code: 'KubernetesTimeout', message: expect.stringContaining('800 ms') }]);
    } finally {
      w.sim.setFault(null);
    }
  });

  it('client reviewer source: explains what it needs instead of guessing', async () => {
    const res = await check({ tokenReviewerJwt: undefined, tokenReviewerSource: 'client' });
    expect(res.body).toMatchObject({ reachable: true, tls: true, reviewerAuthorized: null });
    expect(res.body.errors).toEqual([{ code: 'ClientReviewerNotCheckable', message: expect.stringMatching(/auth-delegator[\s\S]*audience/) }]);
  });

  it('needs Kubernetes auth and the admin role', async () => {
    const bare = await createIdentity(w);
    expectError(await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${bare}/check`).set(auth(w.admin.token)), 404, 'KubernetesAuthNotConfigured');
    expectError(await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${bare}/check`), 401, 'Unauthorized');
  });
});
