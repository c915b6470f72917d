import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld, workingConfig } from '../../support/kubernetes-fixture.js';

/**
 * The lifecycle of the per-config cluster clients (docs/architecture.md "The login path"): a
 * config change never breaks the logins already in their TokenReview, and the clients of deleted
 * configs give their sockets back at once.
 */
describe('cluster clients', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    w?.sim.setFault(null);
    await w?.close();
  });

  const path = (identityId: string): string => `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
  const settle = async (done: () => boolean): Promise<void> => {
    for (const until = Date.now() + 3000; !done() && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 25));
  };

  it('a PATCH while logins are in their TokenReview lets them finish on the old client', async () => {
    const identityId = await identityWithConfig(w);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    w.sim.setFault({ kind: 'latency', ms: 400 });
    try {
      const inFlight = Array.from({ length: 8 }, () => login(w, identityId, checkoutToken(w)).then((res) => res));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const patched = await request(w.t.url).patch(path(identityId)).set(auth(w.admin.token)).send({ allowedNames: 'checkout' });
      expect(patched.status).toBe(200);
      // A login after the PATCH builds the new client (retiring the old one) while the others still wait on it.
      const onNewVersion = login(w, identityId, checkoutToken(w)).then((res) => res);
      const answers = await Promise.all([...inFlight, onNewVersion]);
      expect(answers.map((res) => `${res.status} ${res.body.error ?? ''}`.trim())).toEqual(Array(9).fill('200'));
    } finally {
      w.sim.setFault(null);
    }
  });

  it('deleting configs (or their identities) closes their clients’ sockets', async () => {
    await settle(() => w.sim.openConnections === 0);
    const before = w.sim.openConnections;
    const viaConfig: string[] = [];
    const viaIdentity: string[] = [];
    for (let i = 0; i < 6; i++) {
      for (const list of [viaConfig, viaIdentity]) {
        const identityId = await createIdentity(w);
        expect((await request(w.t.url).post(path(identityId)).set(auth(w.admin.token)).send(workingConfig(w))).status).toBe(201);
        expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
        list.push(identityId);
      }
    }
    // Each config has a client of its own, with its keep-alive socket open.
    expect(w.sim.openConnections - before).toBeGreaterThanOrEqual(12);
    for (const identityId of viaConfig) expect((await request(w.t.url).delete(path(identityId)).set(auth(w.admin.token))).status).toBe(200);
    for (const identityId of viaIdentity) expect((await request(w.t.url).delete(`/api/v1/identities/${identityId}`).set(auth(w.admin.token))).status).toBe(200);
    await settle(() => w.sim.openConnections <= before);
    expect(w.sim.openConnections).toBeLessThanOrEqual(before);
  });

  it('a redirect is never followed: 502 KubernetesBadResponse, and its target sees no request (nor the reviewer token)', async () => {
    let targetHits = 0;
    const listen = (server: Server): Promise<number> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    const target = createServer((_req, res) => {
      targetHits++;
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
    const targetPort = await listen(target);
    const redirector = createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${targetPort}/apis/authentication.k8s.io/v1/tokenreviews` }).end());
    const redirectorPort = await listen(redirector);
    try {
      const identityId = await identityWithConfig(w, { kubernetesHost: `http://127.0.0.1:${redirectorPort}`, verifyTlsCertificate: false, caCert: '' });
      const res = expectError(await login(w, identityId, checkoutToken(w)), 502, 'KubernetesBadResponse');
      expect(res.message).toContain('307');
      expect(targetHits).toBe(0);
    } finally {
      redirector.close();
      target.close();
    }
  });
});

describe('shutdown with logins in their TokenReview', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    w?.sim.setFault(null);
    await w?.t.close().catch(() => undefined); // closed by the test already: drops the database and data dir
    await w?.sim.stop();
  });

  it('the server drains first: logins already in flight finish with their tokens, then the cluster pools close', async () => {
    const identityId = await identityWithConfig(w);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    w.sim.setFault({ kind: 'latency', ms: 400 });
    const inFlight = Array.from({ length: 4 }, () => login(w, identityId, checkoutToken(w)).then((res) => res));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await w.t.app.close();
    const answers = await Promise.all(inFlight);
    expect(answers.map((res) => `${res.status} ${res.body.error ?? ''}`.trim())).toEqual(Array(4).fill('200'));
  });
});
