import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bootstrap, expectError, PASSWORD, type Session } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('memberships and the audit log', () => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await bootstrap(t);
  });
  afterAll(async () => t?.close());

  const members = (orgId: string): string => `/api/v1/organizations/${orgId}/memberships`;

  async function loginAs(email: string, password = PASSWORD): Promise<string> {
    const res = await request(t.url).post('/api/v1/auth/login').send({ email, password });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessToken as string;
  }

  async function addMember(email: string, role: 'admin' | 'viewer', orgId = admin.orgId): Promise<{ id: string; token: string }> {
    const res = await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email, password: PASSWORD, role });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.membership.id, token: await loginAs(email) };
  }

  it('creates a user with an initial password, lists members, and the new user sees only their organizations', async () => {
    const res = await request(t.url).post(members(admin.orgId)).set(auth(admin.token)).send({ email: 'Viewer@Example.com', password: PASSWORD, role: 'viewer' });
    expect(res.status).toBe(201);
    expect(res.body.membership).toEqual({ id: expect.any(String), organizationId: admin.orgId, userId: expect.any(String), email: 'viewer@example.com', role: 'viewer', createdAt: expect.any(String) });
    const token = await loginAs('viewer@example.com');
    const list = await request(t.url).get(members(admin.orgId)).set(auth(token));
    expect(list.status).toBe(200);
    expect(list.body.totalCount).toBe(2);
    expect(list.body.memberships.map((m: { email: string }) => m.email).sort()).toEqual(['admin@example.com', 'viewer@example.com']);
    const other = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: 'Other' });
    const orgs = await request(t.url).get('/api/v1/organizations').set(auth(token));
    expect(orgs.body.organizations.map((o: { id: string }) => o.id)).toEqual([admin.orgId]);
    expect(orgs.body.organizations.map((o: { id: string }) => o.id)).not.toContain(other.body.organization.id);
  });

  it('adds an existing user by email (password ignored), refuses a duplicate, needs a password for a new email', async () => {
    const other = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: 'Second' });
    const orgId = other.body.organization.id as string;
    const added = await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email: 'viewer@example.com', password: 'ignored-but-long-enough', role: 'admin' });
    expect(added.status).toBe(201);
    await loginAs('viewer@example.com');
    expectError(await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email: 'viewer@example.com', role: 'viewer' }), 409, 'AlreadyMember');
    const missing = expectError(await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email: 'new@example.com', role: 'viewer' }), 422, 'ValidationError');
    expect(missing.details).toEqual([{ field: 'password', message: expect.any(String) }]);
    expectError(await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email: 'x@example.com', password: 'short', role: 'viewer' }), 422, 'ValidationError');
    expectError(await request(t.url).post(members(orgId)).set(auth(admin.token)).send({ email: 'x@example.com', password: PASSWORD, role: 'owner' }), 422, 'ValidationError');
  });

  it('viewers read but cannot write; outsiders get 404', async () => {
    const viewer = await addMember('v2@example.com', 'viewer');
    expectError(await request(t.url).post(members(admin.orgId)).set(auth(viewer.token)).send({ email: 'z@example.com', password: PASSWORD, role: 'viewer' }), 403, 'PermissionDenied');
    expectError(await request(t.url).patch(`${members(admin.orgId)}/${viewer.id}`).set(auth(viewer.token)).send({ role: 'admin' }), 403, 'PermissionDenied');
    expectError(await request(t.url).delete(`${members(admin.orgId)}/${viewer.id}`).set(auth(viewer.token)), 403, 'PermissionDenied');
    expectError(await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).set(auth(viewer.token)), 403, 'PermissionDenied');
    const foreign = await request(t.url).post('/api/v1/organizations').set(auth(viewer.token)).send({ name: 'Viewer Org' });
    const foreignOrg = foreign.body.organization.id as string;
    expectError(await request(t.url).get(members(foreignOrg)).set(auth(admin.token)), 404, 'OrganizationNotFound');
    expectError(await request(t.url).patch(`${members(foreignOrg)}/${viewer.id}`).set(auth(admin.token)).send({ role: 'viewer' }), 404, 'OrganizationNotFound');
    expectError(await request(t.url).get(`/api/v1/organizations/${foreignOrg}/audit-logs`).set(auth(admin.token)), 404, 'OrganizationNotFound');
    expectError(await request(t.url).get(members(randomUUID())).set(auth(admin.token)), 404, 'OrganizationNotFound');
    expectError(await request(t.url).get(`${members(admin.orgId)}`).query({ limit: 0 }).set(auth(admin.token)), 422, 'ValidationError');
  });

  it('the last admin can be neither demoted nor removed; a membership of another org is 404', async () => {
    const list = await request(t.url).get(members(admin.orgId)).set(auth(admin.token));
    const mine = list.body.memberships.find((m: { email: string }) => m.email === 'admin@example.com');
    expectError(await request(t.url).patch(`${members(admin.orgId)}/${mine.id}`).set(auth(admin.token)).send({ role: 'viewer' }), 409, 'LastAdmin');
    expectError(await request(t.url).delete(`${members(admin.orgId)}/${mine.id}`).set(auth(admin.token)), 409, 'LastAdmin');
    const second = await addMember('admin2@example.com', 'admin');
    const demoted = await request(t.url).patch(`${members(admin.orgId)}/${mine.id}`).set(auth(second.token)).send({ role: 'viewer' });
    expect(demoted.status).toBe(200);
    expect(demoted.body.membership.role).toBe('viewer');
    expectError(await request(t.url).delete(`${members(admin.orgId)}/${second.id}`).set(auth(second.token)), 409, 'LastAdmin');
    const restored = await request(t.url).patch(`${members(admin.orgId)}/${mine.id}`).set(auth(second.token)).send({ role: 'admin' });
    expect(restored.status).toBe(200);
    const removed = await request(t.url).delete(`${members(admin.orgId)}/${second.id}`).set(auth(admin.token));
    expect(removed.status).toBe(200);
    expectError(await request(t.url).get(members(admin.orgId)).set(auth(second.token)), 404, 'OrganizationNotFound');
    expectError(await request(t.url).delete(`${members(admin.orgId)}/${randomUUID()}`).set(auth(admin.token)), 404, 'MembershipNotFound');
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const org = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: 'Race' });
    const orgId = org.body.organization.id as string;
    const other = await addMember('race@example.com', 'admin', orgId);
    const list = await request(t.url).get(members(orgId)).set(auth(admin.token));
    const mine = list.body.memberships.find((m: { email: string }) => m.email === 'admin@example.com');
    const [a, b] = await Promise.all([
      request(t.url).patch(`${members(orgId)}/${other.id}`).set(auth(admin.token)).send({ role: 'viewer' }),
      request(t.url).patch(`${members(orgId)}/${mine.id}`).set(auth(other.token)).send({ role: 'viewer' }),
    ]);
    // The loser is refused either by the last-admin rule (409) or, if the winner demoted it first, by its lost role (403).
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    expect([403, 409]).toContain([a.status, b.status].find((s) => s !== 200));
    const after = await request(t.url).get(members(orgId)).set(auth(admin.token)).ok(() => true);
    const afterOther = await request(t.url).get(members(orgId)).set(auth(other.token));
    const roles = (after.status === 200 ? after : afterOther).body.memberships.map((m: { role: string }) => m.role);
    expect(roles.filter((r: string) => r === 'admin')).toHaveLength(1);
  });

  it('audits admin changes with their actor, filters them, and never stores secrets', async () => {
    const identity = await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'audited', organizationId: admin.orgId });
    const identityId = identity.body.identity.id as string;
    await request(t.url).patch(`/api/v1/identities/${identityId}`).set(auth(admin.token)).send({ role: 'viewer' });
    const all = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).set(auth(admin.token));
    expect(all.status).toBe(200);
    expect(all.body.totalCount).toBeGreaterThanOrEqual(4);
    const events = all.body.auditLogs.map((a: { event: string }) => a.event);
    expect(events.slice(0, 2)).toEqual(['identity.updated', 'identity.created']);
    expect(events).toContain('membership.created');
    expect(events).toContain('membership.updated');
    expect(all.body.auditLogs[0]).toMatchObject({ organizationId: admin.orgId, actorType: 'user', actorId: admin.userId, identityId, outcome: 'success', errorCode: null, ip: '127.0.0.1', metadata: { changedFields: ['role'] } });
    const filtered = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).query({ identityId, event: 'identity.created' }).set(auth(admin.token));
    expect(filtered.body).toMatchObject({ totalCount: 1, auditLogs: [{ event: 'identity.created' }] });
    const page = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).query({ limit: 1, offset: 1 }).set(auth(admin.token));
    expect(page.body.auditLogs).toHaveLength(1);
    expect(page.body.auditLogs[0].id).toBe(all.body.auditLogs[1].id);
    const future = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).query({ startDate: new Date(Date.now() + 60_000).toISOString() }).set(auth(admin.token));
    expect(future.body.totalCount).toBe(0);
    const past = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).query({ endDate: new Date(Date.now() - 3_600_000).toISOString() }).set(auth(admin.token));
    expect(past.body.totalCount).toBe(0);
    for (const query of [{ limit: 201 }, { outcome: 'maybe' }, { startDate: 'yesterday' }, { identityId: 'nope' }]) {
      expectError(await request(t.url).get(`/api/v1/organizations/${admin.orgId}/audit-logs`).query(query).set(auth(admin.token)), 422, 'ValidationError');
    }
    expect(JSON.stringify(all.body)).not.toContain(PASSWORD);
  });

  it('instance events go to the super admins’ log, with failed logins and no passwords', async () => {
    await request(t.url).post('/api/v1/auth/login').send({ email: 'admin@example.com', password: 'wrong password here' });
    const res = await request(t.url).get('/api/v1/admin/audit-logs').set(auth(admin.token));
    expect(res.status).toBe(200);
    const events = res.body.auditLogs.map((a: { event: string; outcome: string }) => `${a.event}:${a.outcome}`);
    expect(events[0]).toBe('auth.login:failure');
    expect(events).toContain('instance.bootstrapped:success');
    expect(events).toContain('auth.login:success');
    expect(res.body.auditLogs.every((a: { organizationId: string | null }) => a.organizationId === null)).toBe(true);
    expect(res.body.auditLogs[0]).toMatchObject({ errorCode: 'InvalidCredentials', actorType: 'anonymous' });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('wrong password here');
    const viewer = await loginAs('viewer@example.com');
    expectError(await request(t.url).get('/api/v1/admin/audit-logs').set(auth(viewer)), 403, 'PermissionDenied');
  });
});
