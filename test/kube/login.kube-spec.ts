import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError } from '../support/api-client.js';
import { KUBE_ISSUER, KUBERNETES_VERSION } from '../support/kube-apiserver/index.js';
import { connectionCheck, realIdentity, realLogin, type RealKubernetesWorld, SHOP_LABELS, startRealKubernetesWorld } from '../support/kube-apiserver/zerokey-world.js';

// The whole Kubernetes login through Zerokey's real @kubernetes/client-node against a real
// kube-apiserver: every verdict below is the API server's own, none is scripted.
describe('Kubernetes login against a real kube-apiserver', () => {
  let w: RealKubernetesWorld;
  let stored: string;
  beforeAll(async () => {
    w = await startRealKubernetesWorld();
    stored = await realIdentity(w);
  });
  afterAll(async () => w?.close());

  const podToken = (audiences = ['zerokey']): Promise<string> => w.cluster.requestToken('shop', 'checkout', { audiences, pod: w.pod });

  describe('reviewer sources', () => {
    it('stored: a pod-bound TokenRequest token becomes an access token carrying the real UIDs', async () => {
      const res = await realLogin(w, stored, await podToken());
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: 3600, accessTokenMaxTTL: 86400, tokenType: 'Bearer' });
      expect(decodeJwt(res.body.accessToken)).toMatchObject({
        sub: stored,
        authMethod: 'kubernetes',
        kubernetes: { namespace: 'shop', serviceAccountName: 'checkout', serviceAccountUid: w.checkout.uid, podName: 'checkout-7d9f' },
      });
      const self = await request(w.t.url).get('/api/v1/auth/token/self').set(auth(res.body.accessToken));
      expect(self.status).toBe(200);
      expect(self.body).toMatchObject({ type: 'identity', authMethod: 'kubernetes', organizationId: w.admin.orgId });
    });

    it('client: the workload token is the bearer; it needs auth-delegator and an API audience', async () => {
      await w.cluster.createServiceAccount('shop', 'self-reviewer');
      const id = await realIdentity(w, { tokenReviewerJwt: undefined, tokenReviewerSource: 'client', allowedNames: 'self-reviewer' });
      const both = await w.cluster.requestToken('shop', 'self-reviewer', { audiences: [KUBE_ISSUER, 'zerokey'] });
      const forbidden = expectError(await realLogin(w, id, both), 502, 'TokenReviewerForbidden');
      expect(forbidden.message).toContain('system:auth-delegator');
      await w.cluster.bindClusterRole('shop-self-reviewer-auth-delegator', 'system:auth-delegator', { kind: 'ServiceAccount', namespace: 'shop', name: 'self-reviewer' });
      await w.cluster.waitUntil('the new binding', async () => (await w.cluster.review(both, 'probe.invalid.token')).status === 201);
      const fresh = await w.cluster.requestToken('shop', 'self-reviewer', { audiences: [KUBE_ISSUER, 'zerokey'] });
      const ok = await realLogin(w, id, fresh);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(decodeJwt(ok.body.accessToken)).toMatchObject({ kubernetes: { serviceAccountName: 'self-reviewer' } });
      // Only the custom audience: the API server does not accept it as a bearer at all.
      const custom = await w.cluster.requestToken('shop', 'self-reviewer', { audiences: ['zerokey'] });
      expectError(await realLogin(w, id, custom), 502, 'TokenReviewerUnauthorized');
    });

    it('in-cluster: the mounted service-account token and CA reach KUBERNETES_SERVICE_HOST', async () => {
      const id = await realIdentity(w, { kubernetesHost: '', caCert: '', tokenReviewerJwt: undefined, tokenReviewerSource: 'in-cluster' });
      const res = await realLogin(w, id, await podToken());
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  });

  describe('audiences', () => {
    it('the real server intersects audiences: a token for another audience too is accepted', async () => {
      const res = await realLogin(w, stored, await podToken(['vault', 'zerokey']));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });

    it('a token for another audience only is refused locally (401 AudienceNotAllowed)', async () => {
      expectError(await realLogin(w, stored, await podToken(['vault'])), 401, 'AudienceNotAllowed');
    });

    it('without allowedAudience the API audiences apply: the issuer-audience token passes, a custom one is rejected by the server', async () => {
      const id = await realIdentity(w, { allowedAudience: '' });
      const implicit = await w.cluster.requestToken('shop', 'checkout', { pod: w.pod });
      expect(decodeJwt(implicit).aud).toEqual([KUBE_ISSUER]);
      expect((await realLogin(w, id, implicit)).status).toBe(200);
      const rejected = expectError(await realLogin(w, id, await podToken(['zerokey'])), 401, 'ServiceAccountTokenRejected');
      expect(rejected.message).toContain(`token audiences ["zerokey"] is invalid for the target audiences ["${KUBE_ISSUER}"]`);
    });
  });

  describe('reviewer failures map to the documented codes', () => {
    it('a reviewer without system:auth-delegator (the server says 403) → 502 TokenReviewerForbidden', async () => {
      const id = await realIdentity(w, { tokenReviewerJwt: w.unboundReviewerJwt });
      const res = expectError(await realLogin(w, id, await podToken()), 502, 'TokenReviewerForbidden');
      expect(res.message).toContain('system:auth-delegator');
    });

    it('an invalid reviewer token (the server says 401) → 502 TokenReviewerUnauthorized', async () => {
      const id = await realIdentity(w, { tokenReviewerJwt: `${w.reviewerJwt.slice(0, -4)}AAAA` });
      const res = expectError(await realLogin(w, id, await podToken()), 502, 'TokenReviewerUnauthorized');
      expect(res.message).toContain('invalid or expired');
    });

    it('a CA that did not sign the serving certificate → 502 KubernetesTlsError', async () => {
      const id = await realIdentity(w, { caCert: w.plane.otherCaPem });
      expectError(await realLogin(w, id, await podToken()), 502, 'KubernetesTlsError');
    });
  });

  describe('tokens the server refuses', () => {
    it('expired long ago: refused locally; just inside the 60 s leeway: the server accepts it too', async () => {
      const now = Math.floor(Date.now() / 1000);
      const shift = (token: string, expAgo: number): string =>
        w.cluster.resign(token, (claims) => {
          Object.assign(claims, { iat: now - expAgo - 3600, nbf: now - expAgo - 3600, exp: now - expAgo });
        });
      expectError(await realLogin(w, stored, shift(await podToken(), 7200)), 401, 'ServiceAccountTokenExpired');
      const res = await realLogin(w, stored, shift(await podToken(), 20));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });

    it('a token with a forged signature → 401 ServiceAccountTokenRejected with the server’s reason', async () => {
      const token = await podToken();
      const [header, payload] = token.split('.');
      const forged = `${header}.${payload}.${Buffer.from(randomUUID()).toString('base64url')}`;
      const res = expectError(await realLogin(w, stored, forged), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toMatch(/invalid bearer token/);
    });

    it('the token of a deleted pod → 401 ServiceAccountTokenRejected (invalidated)', async () => {
      const pod = await w.cluster.createPod('shop', 'doomed-pod', 'checkout');
      const token = await w.cluster.requestToken('shop', 'checkout', { audiences: ['zerokey'], pod: { name: 'doomed-pod', uid: pod.uid } });
      const probe = await w.cluster.requestToken('shop', 'checkout', { audiences: ['zerokey'], pod: { name: 'doomed-pod', uid: pod.uid } });
      await w.cluster.deletePod('shop', 'doomed-pod');
      // The probe, never reviewed before, tells when the server's pod cache has seen the delete.
      await w.cluster.waitUntil('pod deletion seen by the authenticator', async () => !(await w.cluster.review(w.reviewerJwt, probe, ['zerokey'])).text.includes('"authenticated":true'));
      const res = expectError(await realLogin(w, stored, token), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toContain('service account token has been invalidated');
    });

    it('the token of a deleted service account → 401 ServiceAccountTokenRejected', async () => {
      await w.cluster.createServiceAccount('shop', 'doomed');
      const id = await realIdentity(w, { allowedNames: 'doomed' });
      const token = await w.cluster.requestToken('shop', 'doomed', { audiences: ['zerokey'] });
      const probe = await w.cluster.requestToken('shop', 'doomed', { audiences: ['zerokey'] });
      await w.cluster.deleteServiceAccount('shop', 'doomed');
      await w.cluster.waitUntil('service-account deletion seen by the authenticator', async () => !(await w.cluster.review(w.reviewerJwt, probe, ['zerokey'])).text.includes('"authenticated":true'));
      const res = expectError(await realLogin(w, id, token), 401, 'ServiceAccountTokenRejected');
      expect(res.message).toMatch(/doomed/);
    });
  });

  describe('pod names and namespace selectors, as the real server reports pods and labels', () => {
    it('allowedPodNames: the pod-bound token passes; a token bound to no pod is 403 PodNotAllowed', async () => {
      const id = await realIdentity(w, { allowedPodNames: 'checkout-*' });
      const ok = await realLogin(w, id, await podToken());
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(decodeJwt(ok.body.accessToken)).toMatchObject({ kubernetes: { podName: 'checkout-7d9f' } });
      expectError(await realLogin(w, id, await w.cluster.requestToken('shop', 'checkout', { audiences: ['zerokey'] })), 403, 'PodNotAllowed');
      const other = await realIdentity(w, { allowedPodNames: 'report-*' });
      expectError(await realLogin(w, other, await podToken()), 403, 'PodNotAllowed');
    });

    it('namespaceSelector: 502 NamespaceReadForbidden until the reviewer may get namespaces, then the real labels decide', async () => {
      const id = await realIdentity(w, { allowedNamespaces: '', namespaceSelector: { matchLabels: { team: SHOP_LABELS.team }, matchExpressions: [{ key: 'env', operator: 'In', values: [SHOP_LABELS.env] }] } });
      const forbidden = expectError(await realLogin(w, id, await podToken()), 502, 'NamespaceReadForbidden');
      expect(forbidden.message).toContain('cannot get resource "namespaces"');
      expect((await connectionCheck(w, id)).body).toMatchObject({ reviewerAuthorized: true, namespaceReadable: false, errors: [{ code: 'NamespaceReadForbidden' }] });

      await w.cluster.createClusterRole('zerokey-namespace-reader', [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }]);
      await w.cluster.bindClusterRole('zerokey-namespace-reader', 'zerokey-namespace-reader', { kind: 'ServiceAccount', namespace: 'auth', name: 'reviewer' });
      await w.cluster.waitUntil('the namespace-reader binding', async () => (await connectionCheck(w, id)).body.namespaceReadable === true);
      const ok = await realLogin(w, id, await podToken());
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);

      const mismatch = await realIdentity(w, { allowedNamespaces: '', namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: [SHOP_LABELS.env] }] } });
      expectError(await realLogin(w, mismatch, await podToken()), 403, 'NamespaceNotAllowed');
      // kubernetes.io/metadata.name is set by the server itself, so it can be trusted in a selector.
      const byName = await realIdentity(w, { allowedNamespaces: '', namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } });
      expect((await realLogin(w, byName, await podToken())).status).toBe(200);
    });
  });

  describe('JWKS verification against the real server’s discovery and keys', () => {
    it('logs in with the real signing keys and issuer; a forged signature and a foreign issuer are refused', async () => {
      const id = await realIdentity(w, { verification: 'jwks' });
      const check = await connectionCheck(w, id);
      expect(check.body).toMatchObject({ reachable: true, reviewerAuthorized: true, keys: { count: expect.any(Number), issuer: KUBE_ISSUER }, errors: [] });
      expect(check.body.keys.count).toBeGreaterThan(0);
      const token = await podToken();
      const ok = await realLogin(w, id, token);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(decodeJwt(ok.body.accessToken)).toMatchObject({ kubernetes: { serviceAccountUid: w.checkout.uid, podName: 'checkout-7d9f' } });
      const [header, payload] = token.split('.');
      expectError(await realLogin(w, id, `${header}.${payload}.${'A'.repeat(342)}`), 401, 'ServiceAccountTokenRejected');
      const foreign = await realIdentity(w, { verification: 'jwks', issuer: 'https://elsewhere.example.com' });
      expectError(await realLogin(w, foreign, token), 401, 'ServiceAccountTokenRejected');
    });
  });

  describe('a shared cluster', () => {
    it('a config listing a cluster registered with the server’s issuer logs in through it; another issuer is 401 UnknownCluster', async () => {
      const created = await request(w.t.url)
        .post(`/api/v1/organizations/${w.admin.orgId}/kubernetes-clusters`)
        .set(auth(w.admin.token))
        .send({ name: 'real', kubernetesHost: w.plane.url, caCert: w.plane.caPem, tokenReviewerJwt: w.reviewerJwt, issuer: KUBE_ISSUER });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const clusterId = created.body.kubernetesCluster.id as string;
      const id = await realIdentity(w, { kubernetesHost: undefined, caCert: undefined, tokenReviewerJwt: undefined, clusterIds: [clusterId] });
      const ok = await realLogin(w, id, await podToken());
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(decodeJwt(ok.body.accessToken)).toMatchObject({ kubernetes: { clusterId, serviceAccountUid: w.checkout.uid } });
      const check = await request(w.t.url).post(`/api/v1/kubernetes-clusters/${clusterId}/check`).set(auth(w.admin.token));
      expect(check.body).toMatchObject({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: KUBERNETES_VERSION, errors: [] });

      const patched = await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${clusterId}`).set(auth(w.admin.token)).send({ issuer: 'https://elsewhere.example.com' });
      expect(patched.status).toBe(200);
      expectError(await realLogin(w, id, await podToken()), 401, 'UnknownCluster');
    });
  });

  describe('the /check report', () => {
    it('healthy: reachable, TLS, reviewer authorized, the real version', async () => {
      const res = await connectionCheck(w, stored);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: KUBERNETES_VERSION, keys: null, namespaceReadable: null, errors: [] });
    });

    it('a reviewer without RBAC: reachable but not authorized, with the fix', async () => {
      const res = await connectionCheck(w, await realIdentity(w, { tokenReviewerJwt: w.unboundReviewerJwt }));
      expect(res.body).toMatchObject({ reachable: true, tls: true, reviewerAuthorized: false, kubernetesVersion: KUBERNETES_VERSION });
      expect(res.body.errors).toEqual([{ code: 'TokenReviewerForbidden', message: expect.stringContaining('system:auth-delegator') }]);
    });

    it('an invalid reviewer: not authorized, says to create a new token', async () => {
      const res = await connectionCheck(w, await realIdentity(w, { tokenReviewerJwt: 'not-a-reviewer-token' }));
      expect(res.body).toMatchObject({ reachable: true, tls: true, reviewerAuthorized: false, kubernetesVersion: KUBERNETES_VERSION });
      expect(res.body.errors).toEqual([{ code: 'TokenReviewerUnauthorized', message: expect.stringContaining('kubectl create token') }]);
    });

    it('the wrong CA: a TLS error before any review', async () => {
      const res = await connectionCheck(w, await realIdentity(w, { caCert: w.plane.otherCaPem }));
      expect(res.body).toMatchObject({ reachable: true, tls: false, reviewerAuthorized: null, kubernetesVersion: null });
      expect(res.body.errors).toEqual([{ code: 'KubernetesTlsError', message: expect.stringContaining('caCert') }]);
    });

    it('in-cluster: checks the mounted credentials against the real server', async () => {
      const res = await connectionCheck(w, await realIdentity(w, { kubernetesHost: '', caCert: '', tokenReviewerJwt: undefined, tokenReviewerSource: 'in-cluster' }));
      expect(res.body).toEqual({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: KUBERNETES_VERSION, keys: null, namespaceReadable: null, errors: [] });
    });
  });
});
