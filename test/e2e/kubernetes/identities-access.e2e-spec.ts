import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld, workingConfig } from '../../support/kubernetes-fixture.js';

/**
 * docs/api.md "Authorization": members lacking the role get 403 PermissionDenied, anyone
 * else 404 as if the resource did not exist. Identities act with their own role, in their own
 * organization only.
 */
describe('identities and Kubernetes auth configs: tenant isolation and roles', () => {
  let w: KubernetesWorld;
  let orgB: string;
  /** An identity of org B with a config, and one without. */
  let bConfigured: string;
  let bBare: string;
  /** An identity of org A with a config (target for in-org checks). */
  let aConfigured: string;
  let adminIdentity: { id: string; token: string };
  let viewerIdentity: { id: string; token: string };
  let noAccessIdentity: { id: string; token: string };

  const configPath = (id: string): string => `/api/v1/auth/kubernetes-auth/identities/${id}`;

  async function loggedInIdentity(role: string): Promise<{ id: string; token: string }> {
    const id = await identityWithConfig(w, {}, { role, name: `${role}-caller-${Date.now()}` });
    const res = await login(w, id, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { id, token: res.body.accessToken as string };
  }

  async function createIn(orgId: string, name: string): Promise<string> {
    const res = await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).send({ name, organizationId: orgId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.identity.id as string;
  }

  async function identityRow(id: string): Promise<Record<string, unknown> | undefined> {
    const rows: Record<string, unknown>[] = await w.t.app.get(DataSource).query('SELECT * FROM identities WHERE id = ?', [id]);
    return rows[0];
  }

  async function configRow(identityId: string): Promise<Record<string, unknown> | undefined> {
    const rows: Record<string, unknown>[] = await w.t.app.get(DataSource).query('SELECT * FROM kubernetes_auth_configs WHERE identityId = ?', [identityId]);
    return rows[0];
  }

  beforeAll(async () => {
    w = await startKubernetesWorld();
    const org = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name: 'Other Org' });
    expect(org.status, JSON.stringify(org.body)).toBe(201);
    orgB = org.body.organization.id;
    bConfigured = await createIn(orgB, 'b-configured');
    const attach = await request(w.t.url).post(configPath(bConfigured)).set(auth(w.admin.token)).send(workingConfig(w));
    expect(attach.status, JSON.stringify(attach.body)).toBe(201);
    bBare = await createIn(orgB, 'b-bare');
    aConfigured = await identityWithConfig(w, {}, { name: 'a-configured' });
    adminIdentity = await loggedInIdentity('admin');
    viewerIdentity = await loggedInIdentity('viewer');
    noAccessIdentity = await loggedInIdentity('no-access');
  });
  afterAll(async () => {
    await w?.close();
  });

  describe('the admin user belongs to both organizations', () => {
    it('reads identities of both', async () => {
      expect((await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(w.admin.token))).status).toBe(200);
      expect((await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(w.admin.token))).status).toBe(200);
      const listB = await request(w.t.url).get(`/api/v1/organizations/${orgB}/identities`).set(auth(w.admin.token));
      expect(listB.status).toBe(200);
      expect(listB.body.totalCount).toBe(2);
    });
  });

  describe('an admin identity of org A is an outsider to org B', () => {
    it('works inside its own organization (the checks below are not vacuous)', async () => {
      const get = await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(adminIdentity.token));
      expect(get.status, JSON.stringify(get.body)).toBe(200);
      const cfg = await request(w.t.url).get(configPath(aConfigured)).set(auth(adminIdentity.token));
      expect(cfg.status).toBe(200);
      const created = await request(w.t.url).post('/api/v1/identities').set(auth(adminIdentity.token)).send({ name: 'made-by-identity', organizationId: w.admin.orgId });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const list = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities`).set(auth(adminIdentity.token));
      expect(list.status).toBe(200);
      const audit: Record<string, unknown>[] = await w.t.app
        .get(DataSource)
        .query("SELECT * FROM audit_logs WHERE event = 'identity.created' AND identityId = ?", [created.body.identity.id]);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actorType: 'identity', actorId: adminIdentity.id, orgId: w.admin.orgId });
    });

    it('GET/PATCH/DELETE of org B’s identity answer 404 IdentityNotFound and change nothing', async () => {
      expectError(await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(adminIdentity.token)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).patch(`/api/v1/identities/${bConfigured}`).set(auth(adminIdentity.token)).send({ name: 'hijacked', role: 'admin' }), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).delete(`/api/v1/identities/${bConfigured}`).set(auth(adminIdentity.token)), 404, 'IdentityNotFound');
      expect(await identityRow(bConfigured)).toMatchObject({ name: 'b-configured', role: 'no-access', orgId: orgB });
    });

    it('config routes on org B’s identities answer 404 IdentityNotFound (the identity is resolved first) and change nothing', async () => {
      const before = await configRow(bConfigured);
      expect(before).toBeDefined();
      for (const target of [bConfigured, bBare]) {
        expectError(await request(w.t.url).get(configPath(target)).set(auth(adminIdentity.token)), 404, 'IdentityNotFound');
        expectError(await request(w.t.url).patch(configPath(target)).set(auth(adminIdentity.token)).send({ allowedNamespaces: '*' }), 404, 'IdentityNotFound');
        expectError(await request(w.t.url).delete(configPath(target)).set(auth(adminIdentity.token)), 404, 'IdentityNotFound');
      }
      expectError(await request(w.t.url).post(configPath(bBare)).set(auth(adminIdentity.token)).send(workingConfig(w)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).post(configPath(bConfigured)).set(auth(adminIdentity.token)).send(workingConfig(w)), 404, 'IdentityNotFound');
      expect(await configRow(bConfigured)).toEqual(before);
      expect(await configRow(bBare)).toBeUndefined();
    });

    it('listing org B answers 404 OrganizationNotFound; creating in org B too', async () => {
      expectError(await request(w.t.url).get(`/api/v1/organizations/${orgB}/identities`).set(auth(adminIdentity.token)), 404, 'OrganizationNotFound');
      const res = await request(w.t.url).post('/api/v1/identities').set(auth(adminIdentity.token)).send({ name: 'planted', organizationId: orgB });
      expectError(res, 404, 'OrganizationNotFound');
      const rows: unknown[] = await w.t.app.get(DataSource).query('SELECT id FROM identities WHERE name = ?', ['planted']);
      expect(rows).toHaveLength(0);
    });

    it('org B’s identity answers exactly like one that does not exist', async () => {
      const foreign = await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(adminIdentity.token));
      const missing = await request(w.t.url).get('/api/v1/identities/00000000-0000-4000-8000-000000000000').set(auth(adminIdentity.token));
      expect(foreign.status).toBe(missing.status);
      expect({ ...foreign.body, reqId: 0 }).toEqual({ ...missing.body, reqId: 0 });
    });
  });

  describe('a viewer identity', () => {
    it('reads identities, the list and configs of its organization', async () => {
      const get = await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(viewerIdentity.token));
      expect(get.status, JSON.stringify(get.body)).toBe(200);
      expect(get.body.identity.id).toBe(aConfigured);
      const list = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities`).set(auth(viewerIdentity.token));
      expect(list.status).toBe(200);
      expect(list.body.identities.map((i: { id: string }) => i.id)).toContain(aConfigured);
      const cfg = await request(w.t.url).get(configPath(aConfigured)).set(auth(viewerIdentity.token));
      expect(cfg.status).toBe(200);
      expect(cfg.body.identityKubernetesAuth.identityId).toBe(aConfigured);
      expect(cfg.body.identityKubernetesAuth).not.toHaveProperty('tokenReviewerJwt');
      expect(cfg.text).not.toContain(w.reviewerJwt);
    });

    it('gets 403 PermissionDenied on every identity write, and nothing changes', async () => {
      expectError(await request(w.t.url).post('/api/v1/identities').set(auth(viewerIdentity.token)).send({ name: 'by-viewer', organizationId: w.admin.orgId }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).patch(`/api/v1/identities/${aConfigured}`).set(auth(viewerIdentity.token)).send({ role: 'admin' }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).patch(`/api/v1/identities/${viewerIdentity.id}`).set(auth(viewerIdentity.token)).send({ role: 'admin' }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).delete(`/api/v1/identities/${aConfigured}`).set(auth(viewerIdentity.token)), 403, 'PermissionDenied');
      expect(await identityRow(aConfigured)).toMatchObject({ name: 'a-configured', role: 'no-access' });
      expect(await identityRow(viewerIdentity.id)).toMatchObject({ role: 'viewer' });
      const rows: unknown[] = await w.t.app.get(DataSource).query('SELECT id FROM identities WHERE name = ?', ['by-viewer']);
      expect(rows).toHaveLength(0);
    });

    it('gets 403 PermissionDenied on every config write, and the config is unchanged', async () => {
      const before = await configRow(aConfigured);
      const bare = await createIn(w.admin.orgId, 'viewer-target-bare');
      expectError(await request(w.t.url).post(configPath(bare)).set(auth(viewerIdentity.token)).send(workingConfig(w)), 403, 'PermissionDenied');
      expectError(await request(w.t.url).patch(configPath(aConfigured)).set(auth(viewerIdentity.token)).send({ allowedNamespaces: '*' }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).delete(configPath(aConfigured)).set(auth(viewerIdentity.token)), 403, 'PermissionDenied');
      expect(await configRow(aConfigured)).toEqual(before);
      expect(await configRow(bare)).toBeUndefined();
    });

    it('is still an outsider to org B: 404, not 403', async () => {
      expectError(await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(viewerIdentity.token)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).get(configPath(bConfigured)).set(auth(viewerIdentity.token)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).get(`/api/v1/organizations/${orgB}/identities`).set(auth(viewerIdentity.token)), 404, 'OrganizationNotFound');
    });
  });

  describe('a no-access identity', () => {
    it('gets 403 PermissionDenied on reads in its own organization', async () => {
      expectError(await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
      expectError(await request(w.t.url).get(`/api/v1/identities/${noAccessIdentity.id}`).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
      expectError(await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities`).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
      expectError(await request(w.t.url).get(configPath(aConfigured)).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
    });

    it('gets 403 PermissionDenied on writes too, and 404 for org B', async () => {
      expectError(await request(w.t.url).post('/api/v1/identities').set(auth(noAccessIdentity.token)).send({ name: 'by-no-access', organizationId: w.admin.orgId }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).delete(configPath(aConfigured)).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
      expectError(await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(noAccessIdentity.token)), 404, 'IdentityNotFound');
    });

    it('its role is read fresh: promoted to viewer it can read at once, demoted again it cannot', async () => {
      const promote = await request(w.t.url).patch(`/api/v1/identities/${noAccessIdentity.id}`).set(auth(w.admin.token)).send({ role: 'viewer' });
      expect(promote.status).toBe(200);
      const read = await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(noAccessIdentity.token));
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      const demote = await request(w.t.url).patch(`/api/v1/identities/${noAccessIdentity.id}`).set(auth(w.admin.token)).send({ role: 'no-access' });
      expect(demote.status).toBe(200);
      expectError(await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(noAccessIdentity.token)), 403, 'PermissionDenied');
    });
  });

  describe('a user without a membership in org B', () => {
    it('gets 404 for org B’s identities (created through the membership API)', async () => {
      const member = await request(w.t.url)
        .post(`/api/v1/organizations/${w.admin.orgId}/memberships`)
        .set(auth(w.admin.token))
        .send({ email: 'viewer-user@example.com', password: 'correct horse battery staple', role: 'viewer' });
      expect(member.status, JSON.stringify(member.body)).toBe(201);
      const session = await request(w.t.url).post('/api/v1/auth/login').send({ email: 'viewer-user@example.com', password: 'correct horse battery staple' });
      expect(session.status).toBe(200);
      const token = session.body.accessToken as string;
      expect((await request(w.t.url).get(`/api/v1/identities/${aConfigured}`).set(auth(token))).status).toBe(200);
      expectError(await request(w.t.url).patch(`/api/v1/identities/${aConfigured}`).set(auth(token)).send({ role: 'admin' }), 403, 'PermissionDenied');
      expectError(await request(w.t.url).get(`/api/v1/identities/${bConfigured}`).set(auth(token)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).get(configPath(bConfigured)).set(auth(token)), 404, 'IdentityNotFound');
      expectError(await request(w.t.url).get(`/api/v1/organizations/${orgB}/identities`).set(auth(token)), 404, 'OrganizationNotFound');
    });
  });
});
