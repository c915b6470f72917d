import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';

/**
 * docs/api.md "Kubernetes clusters": a cluster connection registered once per organization and
 * shared by configs that list it in `clusterIds`; the token's issuer picks the cluster at login
 * (401 UnknownCluster), its id is audited and carried in the access token; 409 on deleting a
 * listed cluster; the reviewer token write-only and encrypted; other organizations see 404.
 * Two simulated clusters with their own issuers, keys and CAs.
 */
describe('Kubernetes clusters', () => {
  let w: KubernetesWorld;
  let east: KubernetesSimulator;
  let eastReviewer: string;
  const clustersPath = (): string => `/api/v1/organizations/${w.admin.orgId}/kubernetes-clusters`;
  const configPath = (identityId: string): string => `/api/v1/auth/kubernetes-auth/identities/${identityId}`;

  beforeAll(async () => {
    w = await startKubernetesWorld();
    east = await KubernetesSimulator.start({ issuer: 'https://east.example.com' });
    eastReviewer = east.createReviewer();
    east.createServiceAccount('shop', 'checkout');
    east.createPod('shop', 'checkout-east', 'checkout');
  });
  afterAll(async () => {
    await w?.close();
    await east?.stop();
  });

  async function createCluster(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await request(w.t.url).post(clustersPath()).set(auth(w.admin.token)).send(body);
    if (res.status !== 201) throw new Error(`create cluster: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.kubernetesCluster;
  }
  const west = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, issuer: w.sim.issuer, ...extra });
  const eastBody = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, kubernetesHost: east.url, caCert: east.caPem, tokenReviewerJwt: eastReviewer, issuer: east.issuer, ...extra });

  async function fleetIdentity(clusterIds: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const identityId = await createIdentity(w);
    const res = await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds, allowedNamespaces: 'shop', allowedAudience: 'zerokey', ...extra });
    if (res.status !== 201) throw new Error(`attach: ${res.status} ${JSON.stringify(res.body)}`);
    return identityId;
  }

  it('creates a cluster: 201 with every field but the reviewer token, usedBy 0, and the write-only token encrypted at rest', async () => {
    const res = await request(w.t.url).post(clustersPath()).set(auth(w.admin.token)).send(west('west-1'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      kubernetesCluster: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId: w.admin.orgId,
        name: 'west-1',
        kubernetesHost: w.sim.url,
        caCert: w.sim.caPem.trim(),
        verifyTlsCertificate: true,
        tokenReviewerSource: 'stored',
        tokenReviewerJwtSet: true,
        issuer: w.sim.issuer,
        verification: 'token-review',
        usedBy: 0,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
      warnings: [],
    });
    expect(JSON.stringify(res.body)).not.toContain(w.reviewerJwt);
    const [row] = (await w.t.app.get(DataSource).query('SELECT tokenReviewerJwtEncrypted AS sealed FROM kubernetes_clusters WHERE id = ?', [res.body.kubernetesCluster.id])) as { sealed: string }[];
    expect(row!.sealed).not.toContain(w.reviewerJwt.slice(0, 40));
    expect(row!.sealed.length).toBeGreaterThan(40);
  });

  it('refuses bad writes with the config rules and a taken name with 409, case-insensitively', async () => {
    await createCluster(west('dup'));
    expectError(await request(w.t.url).post(clustersPath()).set(auth(w.admin.token)).send(west('DUP')), 409, 'KubernetesClusterNameTaken');
    for (const [body, field] of [
      [{ ...west('x'), kubernetesHost: 'ftp://example.com' }, 'kubernetesHost'],
      [{ ...west('x'), caCert: 'not a pem' }, 'caCert'],
      [{ ...west('x'), tokenReviewerJwt: undefined, tokenReviewerSource: 'stored' }, 'tokenReviewerJwt'],
      [{ ...west('x'), name: '  ' }, 'name'],
      [{ ...west('x'), issuer: 'has space' }, 'issuer'],
      [{ ...west('x'), unknown: 1 }, 'unknown'],
    ] as const) {
      const error = expectError(await request(w.t.url).post(clustersPath()).set(auth(w.admin.token)).send(body), 422, 'ValidationError');
      expect((error.details as { field: string }[]).map((d) => d.field)).toContain(field);
    }
    const insecure = await request(w.t.url).post(clustersPath()).set(auth(w.admin.token)).send({ ...west('insecure'), verifyTlsCertificate: false });
    expect(insecure.body.warnings.map((x: { code: string }) => x.code)).toEqual(['TlsVerificationDisabled']);
  });

  it('one identity, two clusters: each token logs in through the cluster its issuer names, audited and carried in the token', async () => {
    const westCluster = await createCluster(west('fleet-west'));
    const eastCluster = await createCluster(eastBody('fleet-east'));
    const identityId = await fleetIdentity([westCluster.id as string, eastCluster.id as string]);
    const config = await request(w.t.url).get(configPath(identityId)).set(auth(w.admin.token));
    expect(config.body.identityKubernetesAuth).toMatchObject({ clusterIds: [westCluster.id, eastCluster.id], kubernetesHost: '', tokenReviewerJwtSet: false });

    const westReviews = w.sim.counters.tokenReviews;
    const eastReviews = east.counters.tokenReviews;
    const fromWest = await login(w, identityId, checkoutToken(w));
    expect(fromWest.status, JSON.stringify(fromWest.body)).toBe(200);
    expect(decodeJwt(fromWest.body.accessToken)).toMatchObject({ kubernetes: { namespace: 'shop', clusterId: westCluster.id, podName: 'checkout-7d9f' } });
    const fromEast = await login(w, identityId, east.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-east', audience: 'zerokey' }));
    expect(fromEast.status, JSON.stringify(fromEast.body)).toBe(200);
    expect(decodeJwt(fromEast.body.accessToken)).toMatchObject({ kubernetes: { clusterId: eastCluster.id, podName: 'checkout-east' } });
    expect([w.sim.counters.tokenReviews - westReviews, east.counters.tokenReviews - eastReviews]).toEqual([1, 1]);

    const audit = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/audit-logs`).query({ identityId, event: 'kubernetes-auth.login' }).set(auth(w.admin.token));
    expect(audit.body.auditLogs.map((a: { metadata: Record<string, string> }) => a.metadata.clusterId).sort()).toEqual([westCluster.id, eastCluster.id].sort());

    // usedBy counts the configs listing a cluster, in the list and in one cluster's view.
    const listed = await request(w.t.url).get(clustersPath()).query({ search: 'fleet-' }).set(auth(w.admin.token));
    expect(listed.body.totalCount).toBe(2);
    expect(listed.body.kubernetesClusters.map((c: { name: string; usedBy: number }) => [c.name, c.usedBy])).toEqual([['fleet-east', 1], ['fleet-west', 1]]);
  });

  it('a token of an issuer no listed cluster has: 401 UnknownCluster, audited, and no cluster is asked', async () => {
    const eastCluster = await createCluster(eastBody('only-east'));
    const identityId = await fleetIdentity([eastCluster.id as string]);
    const before = [w.sim.counters.tokenReviews, east.counters.tokenReviews];
    const refused = expectError(await login(w, identityId, checkoutToken(w)), 401, 'UnknownCluster');
    expect(refused.message).toContain(w.sim.issuer);
    expect([w.sim.counters.tokenReviews, east.counters.tokenReviews]).toEqual(before);
    const audit = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/audit-logs`).query({ identityId, outcome: 'failure' }).set(auth(w.admin.token));
    expect(audit.body.auditLogs[0]).toMatchObject({ errorCode: 'UnknownCluster' });
  });

  it('a cluster with an empty issuer is the catch-all, but only when it is the only one', async () => {
    const anyWest = await createCluster(west('catch-all', { issuer: '' }));
    const identityId = await fleetIdentity([anyWest.id as string]);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    // Another cluster's token reaches the catch-all, which rejects it: the review is the judge.
    expectError(await login(w, identityId, east.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' })), 401, 'ServiceAccountTokenRejected');
    const second = await createCluster(eastBody('catch-all-2', { issuer: '' }));
    const ambiguous = await fleetIdentity([anyWest.id as string, second.id as string]);
    expectError(await login(w, ambiguous, checkoutToken(w)), 401, 'UnknownCluster');
  });

  it('a PATCH of the cluster reaches every config listing it at once (a new reviewer token)', async () => {
    const cluster = await createCluster(west('rotating'));
    const identityId = await fleetIdentity([cluster.id as string]);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    const patched = await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token)).send({ tokenReviewerJwt: 'not-a-valid-reviewer' });
    expect(patched.status).toBe(200);
    expectError(await login(w, identityId, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    expect((await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token)).send({ tokenReviewerJwt: w.reviewerJwt })).status).toBe(200);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    // Moving a stored token's host needs the token again, as for a config.
    const moved = expectError(await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token)).send({ kubernetesHost: east.url }), 422, 'ValidationError');
    expect((moved.details as { field: string }[]).map((d) => d.field)).toEqual(['tokenReviewerJwt']);
  });

  it('a config listing clusters leaves its own connection out (422), and lists only clusters of its organization', async () => {
    const cluster = await createCluster(west('strict'));
    const identityId = await createIdentity(w);
    for (const field of ['kubernetesHost', 'caCert', 'tokenReviewerJwt', 'tokenReviewerSource'] as const) {
      const value = { kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, tokenReviewerSource: 'stored' }[field];
      const error = expectError(await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [cluster.id], allowedNamespaces: 'shop', [field]: value }), 422, 'ValidationError');
      expect((error.details as { field: string }[]).map((d) => d.field)).toEqual([field]);
    }
    const missing = '00000000-0000-4000-8000-000000000000';
    const unknown = expectError(await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [missing], allowedNamespaces: 'shop' }), 422, 'ValidationError');
    expect(unknown.details).toEqual([{ field: 'clusterIds', message: expect.stringContaining(missing) }]);
    expectError(await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [cluster.id, cluster.id], allowedNamespaces: 'shop' }), 422, 'ValidationError');
    // Upper case names the same cluster.
    const attached = await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [String(cluster.id).toUpperCase()], allowedNamespaces: 'shop', allowedAudience: 'zerokey' });
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);
    expect(attached.body.identityKubernetesAuth.clusterIds).toEqual([cluster.id]);
    // Back to an inline connection: the connection fields are required again.
    expectError(await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [] }), 422, 'ValidationError');
    const inline = await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [], kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt });
    expect(inline.status, JSON.stringify(inline.body)).toBe(200);
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
  });

  it('a listed cluster cannot be deleted (409 KubernetesClusterInUse) until no config lists it', async () => {
    const cluster = await createCluster(west('in-use'));
    const identityId = await fleetIdentity([cluster.id as string]);
    const inUse = expectError(await request(w.t.url).delete(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token)), 409, 'KubernetesClusterInUse');
    expect(inUse.message).toContain('1 Kubernetes auth config');
    expect((await request(w.t.url).get(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token))).body.kubernetesCluster.usedBy).toBe(1);
    expect((await request(w.t.url).delete(configPath(identityId)).set(auth(w.admin.token))).status).toBe(200);
    const deleted = await request(w.t.url).delete(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token));
    expect(deleted.status).toBe(200);
    expect(deleted.body.kubernetesCluster).toMatchObject({ id: cluster.id, name: 'in-use' });
    expectError(await request(w.t.url).get(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(w.admin.token)), 404, 'KubernetesClusterNotFound');
  });

  it('/check of a cluster and of a config listing clusters', async () => {
    const good = await createCluster(west('checked'));
    const report = await request(w.t.url).post(`/api/v1/kubernetes-clusters/${good.id}/check`).set(auth(w.admin.token));
    expect(report.status).toBe(200);
    // The reviewer of the simulator may not read namespaces: reported, not an error for a cluster.
    expect(report.body).toEqual({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: 'v1.31.0', keys: null, namespaceReadable: false, errors: [] });
    const bad = await createCluster(west('checked-bad', { tokenReviewerJwt: 'not-a-valid-reviewer' }));
    const identityId = await fleetIdentity([good.id as string, bad.id as string]);
    const configReport = await request(w.t.url).post(`${configPath(identityId)}/check`).set(auth(w.admin.token));
    expect(configReport.body).toMatchObject({ reachable: true, reviewerAuthorized: false });
    expect(configReport.body.errors).toEqual([{ code: 'TokenReviewerUnauthorized', message: expect.stringMatching(/^cluster "checked-bad": /) }]);
  });

  it('another organization’s admin sees 404 for the cluster and cannot list it in a config', async () => {
    const cluster = await createCluster(west('private'));
    const other = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name: `Other ${Date.now()}` });
    expect(other.status).toBe(201);
    const otherOrg = other.body.organization.id as string;
    // The admin of the first organization owns the second too; a cluster of the first is still not one of the second's.
    const identity = await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).send({ name: 'other-identity', organizationId: otherOrg });
    const refused = expectError(await request(w.t.url).post(configPath(identity.body.identity.id)).set(auth(w.admin.token)).send({ clusterIds: [cluster.id], allowedNamespaces: 'shop' }), 422, 'ValidationError');
    expect((refused.details as { field: string }[])[0]!.field).toBe('clusterIds');
    const listed = await request(w.t.url).get(`/api/v1/organizations/${otherOrg}/kubernetes-clusters`).set(auth(w.admin.token));
    expect(listed.body).toEqual({ kubernetesClusters: [], totalCount: 0 });
    // A user outside the organization: 404 on the cluster, as if it did not exist.
    const email = `outsider-${Date.now()}@example.com`;
    const member = await request(w.t.url).post(`/api/v1/organizations/${otherOrg}/memberships`).set(auth(w.admin.token)).send({ email, password: 'a long enough password', role: 'admin' });
    expect(member.status).toBe(201);
    const session = await request(w.t.url).post('/api/v1/auth/login').send({ email, password: 'a long enough password' });
    expect(session.status).toBe(200);
    expectError(await request(w.t.url).get(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(session.body.accessToken)), 404, 'KubernetesClusterNotFound');
    expectError(await request(w.t.url).delete(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(session.body.accessToken)), 404, 'KubernetesClusterNotFound');
    expectError(await request(w.t.url).get(clustersPath()).set(auth(session.body.accessToken)), 404, 'OrganizationNotFound');
  });

  it('a viewer of the organization reads clusters but cannot write them (403 PermissionDenied)', async () => {
    const cluster = await createCluster(west('viewed'));
    const email = `viewer-${Date.now()}@example.com`;
    expect((await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/memberships`).set(auth(w.admin.token)).send({ email, password: 'a long enough password', role: 'viewer' })).status).toBe(201);
    const viewer = (await request(w.t.url).post('/api/v1/auth/login').send({ email, password: 'a long enough password' })).body.accessToken as string;
    expect((await request(w.t.url).get(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(viewer))).status).toBe(200);
    expect((await request(w.t.url).get(clustersPath()).set(auth(viewer))).status).toBe(200);
    expectError(await request(w.t.url).post(clustersPath()).set(auth(viewer)).send(west('by-viewer')), 403, 'PermissionDenied');
    expectError(await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(viewer)).send({ issuer: '' }), 403, 'PermissionDenied');
    expectError(await request(w.t.url).delete(`/api/v1/kubernetes-clusters/${cluster.id}`).set(auth(viewer)), 403, 'PermissionDenied');
    expectError(await request(w.t.url).post(`/api/v1/kubernetes-clusters/${cluster.id}/check`).set(auth(viewer)), 403, 'PermissionDenied');
  });
});
