import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/**
 * docs/api.md "The Kubernetes login, step by step", step 7: the token row is written only while
 * the config that was verified still exists, in the same transaction. A login that was in its
 * TokenReview when its identity or config was deleted gets 404 and leaves no token behind (a token
 * it had been given would verify offline, through the JWKS, until it expired).
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
