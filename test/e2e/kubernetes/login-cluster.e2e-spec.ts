import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../support/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';
import type { SimulatorFault } from '../../support/kubernetes-simulator/index.js';


describe('Kubernetes login: cluster faults map to 5xx codes (step 5)', () => {
  let w: KubernetesWorld;
  let identityId: string;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_TIMEOUT_MS: '1000' });
    identityId = await identityWithConfig(w);
  });
  afterAll(async () => w?.close());

  it('an invalid reviewer token → 502 TokenReviewerUnauthorized', async () => {
    const id = await identityWithConfig(w, { tokenReviewerJwt: 'not-a-valid-reviewer-token' });
    const res = expectError(await login(w, id, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    expect(res.message).toContain('invalid or expired');
  });

  it('a reviewer without system:auth-delegator → 502 TokenReviewerForbidden with the fix', async () => {
    w.sim.createServiceAccount('auth', 'unbound');
    const unbound = w.sim.mint({ namespace: 'auth', serviceAccount: 'unbound' });
    const id = await identityWithConfig(w, { tokenReviewerJwt: unbound });
    const res = expectError(await login(w, id, checkoutToken(w)), 502, 'TokenReviewerForbidden');
    expect(res.message).toContain('system:auth-delegator');
    expect(res.message).toContain('system:serviceaccount:auth:unbound');
  });

  it('a CA that did not sign the server certificate → 502 KubernetesTlsError', async () => {
    const id = await identityWithConfig(w, { caCert: w.sim.otherCaPem });
    expectError(await login(w, id, checkoutToken(w)), 502, 'KubernetesTlsError');
  });

  it('no CA means the system trust store, not "no verification" → 502 KubernetesTlsError', async () => {
    const id = await identityWithConfig(w, { caCert: '' });
    expectError(await login(w, id, checkoutToken(w)), 502, 'KubernetesTlsError');
  });

  it('verifyTlsCertificate false skips verification (with a warning at write)', async () => {
    const id = await identityWithConfig(w, { caCert: '', verifyTlsCertificate: false });
    expect((await login(w, id, checkoutToken(w))).status).toBe(200);
  });

  it('connection refused → 502 KubernetesUnreachable', async () => {
    const id = await identityWithConfig(w, { kubernetesHost: `https://127.0.0.1:${await freePort()}` });
    expectError(await login(w, id, checkoutToken(w)), 502, 'KubernetesUnreachable');
  });

  it('an unresolvable host → 502 KubernetesUnreachable', async () => {
    const id = await identityWithConfig(w, { kubernetesHost: 'https://no-such-host.invalid:6443' });
    expectError(await login(w, id, checkoutToken(w)), 502, 'KubernetesUnreachable');
  });

  it.each<[SimulatorFault, number, string]>([
    [{ kind: 'hang' }, 504, 'KubernetesTimeout'],
    [{ kind: 'latency', ms: 3000 }, 504, 'KubernetesTimeout'],
    [{ kind: 'status500' }, 502, 'KubernetesBadResponse'],
    [{ kind: 'truncated-json' }, 502, 'KubernetesBadResponse'],
    [{ kind: 'connection-reset' }, 502, 'KubernetesUnreachable'],
  ])('fault %j → %s %s, and the next login works again', async (fault, status, code) => {
    w.sim.setFault(fault);
    try {
      expectError(await login(w, identityId, checkoutToken(w)), status, code);
    } finally {
      w.sim.setFault(null);
    }
    const res = await login(w, identityId, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('a little latency is fine', async () => {
    w.sim.setFault({ kind: 'latency', ms: 200 });
    try {
      expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    } finally {
      w.sim.setFault(null);
    }
  });

  it('keeps one connection alive: 20 sequential logins use at most 2 TLS sessions', async () => {
    const id = await identityWithConfig(w);
    expect((await login(w, id, checkoutToken(w))).status).toBe(200);
    w.sim.resetCounters();
    for (let i = 0; i < 20; i++) expect((await login(w, id, checkoutToken(w))).status).toBe(200);
    expect(w.sim.counters.tokenReviews).toBe(20);
    expect(w.sim.counters.tlsSessions).toBeLessThanOrEqual(2);
  });

  it('a PATCHed config takes effect at once, even two PATCHes within one second', async () => {
    const id = await identityWithConfig(w);
    const path = `/api/v1/auth/kubernetes-auth/identities/${id}`;
    expect((await login(w, id, checkoutToken(w))).status).toBe(200);
    expect((await request(w.t.url).patch(path).set(auth(w.admin.token)).send({ caCert: w.sim.otherCaPem })).status).toBe(200);
    expectError(await login(w, id, checkoutToken(w)), 502, 'KubernetesTlsError');
    expect((await request(w.t.url).patch(path).set(auth(w.admin.token)).send({ caCert: w.sim.caPem })).status).toBe(200);
    expect((await login(w, id, checkoutToken(w))).status).toBe(200);
  });
});

describe('reviewer sources', () => {
  let w: KubernetesWorld;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zerokey-sa-'));
    // Zerokey "runs in" the simulated cluster: Kubernetes would set these in its pod.
    w = await startKubernetesWorld((sim) => ({
      KUBERNETES_SA_TOKEN_PATH: join(dir, 'token'),
      KUBERNETES_SA_CA_PATH: join(dir, 'ca.crt'),
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(sim.port),
    }));
  });
  afterAll(async () => {
    await w?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('client: the workload’s own token is the bearer, so its account needs auth-delegator', async () => {
    const id = await identityWithConfig(w, { tokenReviewerJwt: undefined, tokenReviewerSource: 'client', allowedAudience: '' });
    const jwt = w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f' });
    expectError(await login(w, id, jwt), 502, 'TokenReviewerForbidden');
    w.sim.bindAuthDelegator('system:serviceaccount:shop:checkout');
    try {
      expect((await login(w, id, jwt)).status).toBe(200);
    } finally {
      w.sim.unbindAuthDelegator('system:serviceaccount:shop:checkout');
    }
  });

  it('client: a token with a custom audience cannot be a bearer', async () => {
    w.sim.bindAuthDelegator('system:serviceaccount:shop:checkout');
    try {
      const id = await identityWithConfig(w, { tokenReviewerJwt: undefined, tokenReviewerSource: 'client' });
      expectError(await login(w, id, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    } finally {
      w.sim.unbindAuthDelegator('system:serviceaccount:shop:checkout');
    }
  });

  it('in-cluster: reads the mounted token and CA, and re-reads the token when it changes', async () => {
    const id = await identityWithConfig(w, { kubernetesHost: '', tokenReviewerJwt: undefined, tokenReviewerSource: 'in-cluster', caCert: '' });
    writeFileSync(join(dir, 'ca.crt'), w.sim.caPem);
    writeFileSync(join(dir, 'token'), 'stale-token');
    expectError(await login(w, id, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(join(dir, 'token'), w.sim.createReviewer('zerokey', 'zerokey'));
    const res = await login(w, id, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('in-cluster only ever talks to its own cluster: another host is refused at write', async () => {
    const identityId = await createIdentity(w);
    const res = await request(w.t.url)
      .post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`)
      .set(auth(w.admin.token))
      .send({ kubernetesHost: 'https://attacker.example:6443', tokenReviewerSource: 'in-cluster', allowedNamespaces: 'shop' });
    const body = expectError(res, 422, 'ValidationError');
    expect(body.details).toEqual([{ field: 'kubernetesHost', message: expect.stringContaining('its own cluster') }]);
  });

  it('in-cluster without the mounted files → 502 with an actionable message', async () => {
    rmSync(join(dir, 'token'), { force: true });
    const id = await identityWithConfig(w, { kubernetesHost: '', tokenReviewerJwt: undefined, tokenReviewerSource: 'in-cluster' });
    const res = expectError(await login(w, id, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    expect(res.message).toContain('KUBERNETES_SA_TOKEN_PATH');
  });
});
