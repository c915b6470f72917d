import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { DataSource } from 'typeorm';
import { KubernetesAuthConfig } from '../../../src/kubernetes-auth/kubernetes-auth-config.entity.js';
import { checkoutToken, createIdentity, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

describe('ALLOW_PRIVATE_KUBERNETES_HOSTS=false (SSRF)', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ ALLOW_PRIVATE_KUBERNETES_HOSTS: 'false' });
  });
  afterAll(async () => w?.close());

  const attach = async (kubernetesHost: string): Promise<request.Response> =>
    request(w.t.url)
      .post(`/api/v1/auth/kubernetes-auth/identities/${await createIdentity(w)}`)
      .set(auth(w.admin.token))
      .send({ kubernetesHost, tokenReviewerJwt: 'reviewer', allowedNamespaces: 'shop', allowedAudience: 'zerokey' });

  it.each(['https://127.0.0.1:6443', 'https://localhost:6443', 'https://[::1]:6443', 'https://169.254.169.254', 'https://10.0.0.1', 'https://192.168.1.10:6443', 'https://[fd00:ec2::254]', 'https://[::ffff:127.0.0.1]'])(
    'refuses %s at write with 422 on kubernetesHost',
    async (host) => {
      const body = expectError(await attach(host), 422, 'ValidationError');
      expect(body.details).toEqual([{ field: 'kubernetesHost', message: expect.stringContaining('private address') }]);
    },
  );

  it('accepts a public address, and refuses a PATCH to a private one', async () => {
    const identityId = await createIdentity(w);
    const path = `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
    const created = await request(w.t.url).post(path).set(auth(w.admin.token)).send({ kubernetesHost: 'https://8.8.8.8:6443', tokenReviewerJwt: 'reviewer', allowedNamespaces: 'shop', allowedAudience: 'zerokey' });
    expect(created.status).toBe(201);
    const refused = expectError(await request(w.t.url).patch(path).set(auth(w.admin.token)).send({ kubernetesHost: 'https://127.0.0.2', tokenReviewerJwt: 'reviewer' }), 422, 'ValidationError');
    expect(refused.details).toEqual([{ field: 'kubernetesHost', message: expect.stringContaining('private address') }]);
    expect((await request(w.t.url).patch(path).set(auth(w.admin.token)).send({ allowedNames: 'checkout' })).status).toBe(200);
  });

  it.each([
    ['an IP literal', (port: string) => `https://127.0.0.1:${port}`],
    ['a name that resolves to loopback (as after DNS rebinding)', (port: string) => `https://localhost:${port}`],
  ])('refuses %s again at connect time', async (_label, hostFor) => {
    const identityId = await createIdentity(w);
    const path = `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
    const created = await request(w.t.url).post(path).set(auth(w.admin.token)).send({ kubernetesHost: 'https://8.8.8.8:6443', caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop', allowedAudience: 'zerokey' });
    expect(created.status).toBe(201);
    // The stored host changes behind the write-time check, like a name re-pointed to an internal address.
    const port = new URL(w.sim.url).port;
    await w.t.app.get(DataSource).getRepository(KubernetesAuthConfig).update({ identityId }, { kubernetesHost: hostFor(port), version: 99 });
    const reviews = w.sim.counters.tokenReviews;
    const res = expectError(await login(w, identityId, checkoutToken(w)), 502, 'KubernetesUnreachable');
    expect(res.message).toContain('private address');
    expect(w.sim.counters.tokenReviews).toBe(reviews);
  });
});
