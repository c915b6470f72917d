import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/**
 * docs/api.md "The Kubernetes login, step by step", step 7: the token row is written only while
 * the config that was verified still exists, in the same transaction. A login that was in its
 * TokenReview when its identity or config was deleted gets 404 and leaves no token behind (a token
 * it had been given would verify offline, through the JWKS, until it expired). And the token is
 * written with its config's trusted IPs as of that transaction: a change committed while the login
 * was in its TokenReview applies to the token it returns.
 */
describe('logins racing a deletion', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    w?.sim.setFault(null);
    await w?.close();
  });

  const tokensOf = async (identityId: string): Promise<unknown[]> => (await w.t.app.get(DataSource).query('SELECT id FROM access_tokens WHERE identityId = ?', [identityId])) as unknown[];

  for (const [what, path] of [
    ['its identity', (id: string) => `/api/v1/identities/${id}`],
    ['its Kubernetes auth config', (id: string) => `/api/v1/auth/kubernetes-auth/identities/${id}`],
  ] as const) {
    it(`a login in its TokenReview while ${what} is deleted: 404 KubernetesAuthNotConfigured, no token row`, async () => {
      const identityId = await identityWithConfig(w);
      w.sim.setFault({ kind: 'latency', ms: 400 });
      try {
        const racing = login(w, identityId, checkoutToken(w)).then((res) => res);
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect((await request(w.t.url).delete(path(identityId)).set(auth(w.admin.token))).status).toBe(200);
        expectError(await racing, 404, 'KubernetesAuthNotConfigured');
      } finally {
        w.sim.setFault(null);
      }
      expect(await tokensOf(identityId)).toEqual([]);
    });
  }
});

describe('a login racing a change of trusted IPs', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    w?.sim.setFault(null);
    await w?.close();
  });

  it('a login in its TokenReview while its config stops trusting the caller: the token it returns carries the new list', async () => {
    const identityId = await identityWithConfig(w);
    w.sim.setFault({ kind: 'latency', ms: 400 });
    let racing;
    try {
      racing = login(w, identityId, checkoutToken(w)).then((res) => res);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const patch = await request(w.t.url).patch(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send({ accessTokenTrustedIps: [{ ipAddress: '203.0.113.0/24' }] });
      expect(patch.status).toBe(200);
    } finally {
      w.sim.setFault(null);
    }
    // The login passed its trusted-IP check (step 2) before the change, so it is answered...
    const res = await racing;
    expect(res.status).toBe(200);
    // ...but its token is bound by the list in force when it was written.
    expectError(await request(w.t.url).get('/api/v1/auth/token/self').set(auth(res.body.accessToken)), 403, 'IpNotTrusted');
    const rows = (await w.t.app.get(DataSource).query(`SELECT ${w.t.app.get(DataSource).driver.escape('trustedIps')} AS ips FROM access_tokens WHERE identityId = ?`, [identityId])) as { ips: string }[];
    expect(rows.map((r) => JSON.parse(r.ips))).toEqual([['203.0.113.0/24']]);
  });
});
