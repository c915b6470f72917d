import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld, workingConfig } from '../../support/kubernetes-fixture.js';

/**
 * docs/api.md "Kubernetes auth config fields" and login steps 3 and 6: `allowedPodNames` (403
 * PodNotAllowed, a token bound to no pod included) and `namespaceSelector` (the namespace's labels
 * read from the cluster with the reviewer's bearer, OR with allowedNamespaces; 502
 * NamespaceReadForbidden), against the simulator's namespaces, labels, RBAC and pod-bound tokens.
 */
const REVIEWER = 'system:serviceaccount:auth:reviewer';
const configPath = (identityId: string): string => `/api/v1/auth/kubernetes-auth/identities/${identityId}`;

describe('allowedPodNames', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld();
    w.sim.createPod('shop', 'report-5x2k', 'checkout');
  });
  afterAll(async () => w?.close());

  it('admits the token of a matching pod, records the pod, and refuses another pod with 403 PodNotAllowed', async () => {
    const identityId = await identityWithConfig(w, { allowedPodNames: 'checkout-*' });
    const ok = await login(w, identityId, checkoutToken(w));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const tokens = await request(w.t.url).get(`/api/v1/identities/${identityId}/access-tokens`).set(auth(w.admin.token));
    expect(tokens.body.accessTokens[0].subject).toMatchObject({ namespace: 'shop', serviceAccountName: 'checkout', podName: 'checkout-7d9f' });

    const reviews = w.sim.counters.tokenReviews;
    const refused = expectError(await login(w, identityId, checkoutToken(w, { pod: 'report-5x2k' })), 403, 'PodNotAllowed');
    expect(refused.message).toContain('report-5x2k');
    // The pod claim of the JWT is pre-checked: a wrong pod never costs the cluster a review.
    expect(w.sim.counters.tokenReviews).toBe(reviews);
    const audit = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/audit-logs`).query({ identityId, outcome: 'failure' }).set(auth(w.admin.token));
    expect(audit.body.auditLogs[0]).toMatchObject({ event: 'kubernetes-auth.login', errorCode: 'PodNotAllowed' });
  });

  it('refuses a token bound to no pod (kubectl create token, legacy Secrets)', async () => {
    const identityId = await identityWithConfig(w, { allowedPodNames: 'checkout-*', allowedAudience: '' });
    expectError(await login(w, identityId, checkoutToken(w, { pod: undefined })), 403, 'PodNotAllowed');
    expectError(await login(w, identityId, w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', legacy: true })), 403, 'PodNotAllowed');
  });

  it('ANDs with the other bindings, and alone is a binding (no "binds nothing" 422)', async () => {
    const podOnly = await identityWithConfig(w, { allowedNamespaces: '', allowedPodNames: 'checkout-7d9f' });
    expect((await login(w, podOnly, checkoutToken(w))).status).toBe(200);
    const both = await identityWithConfig(w, { allowedNames: 'cart', allowedPodNames: 'checkout-*' });
    expectError(await login(w, both, checkoutToken(w)), 403, 'NameNotAllowed');
  });
});

describe('namespaceSelector', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    // Labels read on every login here, so that relabelling shows at once.
    w = await startKubernetesWorld({ KUBERNETES_NAMESPACE_CACHE_S: '0' });
    w.sim.createNamespace('shop', { team: 'payments', tier: 'prod' });
    w.sim.createServiceAccount('web', 'frontend');
    w.sim.createNamespace('web', { team: 'web' });
  });
  afterAll(async () => w?.close());

  const selector = { matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] };
  const frontendToken = (): string => w.sim.mint({ namespace: 'web', serviceAccount: 'frontend', audience: 'zerokey' });

  it('a reviewer that may not read namespaces: 502 NamespaceReadForbidden naming the grant, and /check says so', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: '', namespaceSelector: selector });
    const error = expectError(await login(w, identityId, checkoutToken(w)), 502, 'NamespaceReadForbidden');
    expect(error.message).toMatch(/get on namespaces/);
    const check = await request(w.t.url).post(`${configPath(identityId)}/check`).set(auth(w.admin.token));
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ reviewerAuthorized: true, namespaceReadable: false });
    expect(check.body.errors.map((e: { code: string }) => e.code)).toEqual(['NamespaceReadForbidden']);
  });

  it('with the read granted: admits a namespace whose labels match, refuses one whose labels do not', async () => {
    w.sim.grantNamespaceRead(REVIEWER);
    const identityId = await identityWithConfig(w, { allowedNamespaces: '', namespaceSelector: selector });
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    const refused = expectError(await login(w, identityId, frontendToken()), 403, 'NamespaceNotAllowed');
    expect(refused.message).toMatch(/labels do not match/);
    const check = await request(w.t.url).post(`${configPath(identityId)}/check`).set(auth(w.admin.token));
    expect(check.body).toMatchObject({ reviewerAuthorized: true, namespaceReadable: true, errors: [] });
  });

  it('follows the namespace’s labels as the cluster changes them', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: '', namespaceSelector: selector });
    w.sim.createNamespace('shop', { team: 'payments', tier: 'dev' });
    try {
      expectError(await login(w, identityId, checkoutToken(w)), 403, 'NamespaceNotAllowed');
    } finally {
      w.sim.createNamespace('shop', { team: 'payments', tier: 'prod' });
    }
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
  });

  it('is an alternative to allowedNamespaces (OR): a listed namespace needs no read, an unlisted one may match by labels', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: 'web', namespaceSelector: selector });
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    expect((await login(w, identityId, frontendToken())).status).toBe(200);
    const neither = await identityWithConfig(w, { allowedNamespaces: 'other', namespaceSelector: { matchLabels: { team: 'nobody' } } });
    expectError(await login(w, neither, checkoutToken(w)), 403, 'NamespaceNotAllowed');
  });

  it('other bindings still apply first, without reading the namespace', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: '', allowedNames: 'cart', namespaceSelector: selector });
    expectError(await login(w, identityId, checkoutToken(w)), 403, 'NameNotAllowed');
  });

  it('validates selectors as Kubernetes does, answers them back as written, and PATCH null removes one', async () => {
    const identityId = await createIdentity(w);
    for (const [namespaceSelector, field] of [
      [{}, 'namespaceSelector'],
      [{ matchLabels: { 'not a key': 'x' } }, 'namespaceSelector.matchLabels'],
      [{ matchLabels: { team: 42 } }, 'namespaceSelector.matchLabels.team'],
      [{ matchLabels: ['team'] }, 'namespaceSelector.matchLabels'],
      [{ matchExpressions: [{ key: 'tier', operator: 'In' }] }, 'namespaceSelector.matchExpressions.0.values'],
      [{ matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] }, 'namespaceSelector.matchExpressions.0.values'],
      [{ matchExpressions: [{ key: 'tier', operator: 'Like', values: ['x'] }] }, 'namespaceSelector.matchExpressions.0.operator'],
      [{ matchLabels: { team: 'x' }, unknown: true }, 'namespaceSelector.unknown'],
      ['team=payments', 'namespaceSelector'],
    ] as const) {
      const res = await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send(workingConfig(w, { allowedNamespaces: '', namespaceSelector }));
      const body = expectError(res, 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field), JSON.stringify(namespaceSelector)).toContain(field);
    }

    const created = await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send(workingConfig(w, { allowedNamespaces: '', namespaceSelector: selector }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.identityKubernetesAuth.namespaceSelector).toEqual(selector);
    expect((await request(w.t.url).get(configPath(identityId)).set(auth(w.admin.token))).body.identityKubernetesAuth.namespaceSelector).toEqual(selector);

    // Removing the only binding leaves a config that binds nothing: refused, and nothing changes.
    expectError(await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ namespaceSelector: null }), 422, 'ValidationError');
    const patched = await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ namespaceSelector: null, allowedNamespaces: 'shop' });
    expect(patched.status).toBe(200);
    expect(patched.body.identityKubernetesAuth).toMatchObject({ namespaceSelector: null, allowedNamespaces: 'shop' });
  });
});

describe('namespaceSelector with cached labels (KUBERNETES_NAMESPACE_CACHE_S)', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_NAMESPACE_CACHE_S: '60' });
    w.sim.createNamespace('shop', { team: 'payments' });
    w.sim.grantNamespaceRead(REVIEWER);
  });
  afterAll(async () => w?.close());

  it('keeps the labels it read: a relabelling within the cache time is not seen, a changed config reads afresh', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: '', namespaceSelector: { matchLabels: { team: 'payments' } } });
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    w.sim.createNamespace('shop', { team: 'web' });
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    // A write of the config (any field) starts from the cluster again.
    expect((await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ accessTokenTTL: 600 })).status).toBe(200);
    expectError(await login(w, identityId, checkoutToken(w)), 403, 'NamespaceNotAllowed');
  });
});
