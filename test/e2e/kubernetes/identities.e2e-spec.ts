import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { createIdentity, identityWithConfig, type KubernetesWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Detail = { field: string; message: string };
const fields = (body: Record<string, unknown>): string[] => (body.details as Detail[]).map((d) => d.field);

describe('identities: create, read, update, delete, list', () => {
  let w: KubernetesWorld;

  const post = (body: Record<string, unknown>, token = w.admin.token) => request(w.t.url).post('/api/v1/identities').set(auth(token)).send(body);
  const get = (id: string, token = w.admin.token) => request(w.t.url).get(`/api/v1/identities/${id}`).set(auth(token));
  const patch = (id: string, body: Record<string, unknown>, token = w.admin.token) => request(w.t.url).patch(`/api/v1/identities/${id}`).set(auth(token)).send(body);
  const del = (id: string, token = w.admin.token) => request(w.t.url).delete(`/api/v1/identities/${id}`).set(auth(token));
  const list = (orgId: string, query: Record<string, string | number> = {}, token = w.admin.token) =>
    request(w.t.url).get(`/api/v1/organizations/${orgId}/identities`).query(query).set(auth(token));
  const newOrg = async (name: string): Promise<string> => {
    const res = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.organization.id as string;
  };
  const identityRows = async (where: string, params: unknown[]): Promise<Record<string, unknown>[]> =>
    w.t.app.get(DataSource).query(`SELECT * FROM identities WHERE ${where}`, params);

  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  describe('create', () => {
    it('answers 201 { identity } with the documented defaults and stores the row', async () => {
      const before = Date.now();
      const res = await post({ name: 'defaults-svc', organizationId: w.admin.orgId });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(Object.keys(res.body)).toEqual(['identity']);
      expect(res.body.identity).toEqual({
        id: expect.stringMatching(UUID),
        name: 'defaults-svc',
        organizationId: w.admin.orgId,
        role: 'no-access',
        metadata: {},
        authMethods: [],
        lastLoginAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.body.identity).not.toHaveProperty('orgId');
      expect(Date.parse(res.body.identity.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      const rows = await identityRows('id = ?', [res.body.identity.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: 'defaults-svc', orgId: w.admin.orgId, role: 'no-access' });
    });

    it('keeps the given role and metadata (32 keys is the maximum) and trims the name', async () => {
      const metadata = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, `v${i}`]));
      const res = await post({ name: '  trimmed-svc  ', organizationId: w.admin.orgId, role: 'viewer', metadata });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.identity).toMatchObject({ name: 'trimmed-svc', role: 'viewer', metadata });
      const again = await get(res.body.identity.id);
      expect(again.status).toBe(200);
      expect(again.body.identity.metadata).toEqual(metadata);
    });

    it('refuses a name already used in the organization, whatever its case: 409 IdentityNameTaken', async () => {
      const first = await post({ name: 'Payments', organizationId: w.admin.orgId });
      expect(first.status).toBe(201);
      expectError(await post({ name: 'Payments', organizationId: w.admin.orgId }), 409, 'IdentityNameTaken');
      expectError(await post({ name: 'payments', organizationId: w.admin.orgId }), 409, 'IdentityNameTaken');
      expectError(await post({ name: 'PAYMENTS ', organizationId: w.admin.orgId }), 409, 'IdentityNameTaken');
      const rows = await identityRows('orgId = ? AND LOWER(name) = ?', [w.admin.orgId, 'payments']);
      expect(rows).toHaveLength(1);
    });

    it('allows the same name in another organization', async () => {
      const other = await newOrg('Name Reuse');
      const res = await post({ name: 'Payments', organizationId: other });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.identity.organizationId).toBe(other);
    });

    it('creates exactly one identity when names differing only in case race', async () => {
      const names = ['Race', 'race', 'RACE', 'rAce', 'raCE', 'RaCe'];
      const results = await Promise.all(names.map((name) => post({ name, organizationId: w.admin.orgId })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expectError(r, 409, 'IdentityNameTaken');
      const rows = await identityRows('orgId = ? AND LOWER(name) = ?', [w.admin.orgId, 'race']);
      expect(rows).toHaveLength(1);
    });

    it.each([
      ['a non-string metadata value', { n: 1 }],
      ['a nested metadata object', { nested: { a: 'b' } }],
      ['an array metadata value', { list: ['a'] }],
      ['33 metadata keys', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))],
      ['metadata that is an array', ['a', 'b']],
      ['metadata that is a string', 'flat'],
    ])('refuses %s with 422 ValidationError on field metadata and creates nothing', async (_label, metadata) => {
      const name = `bad-metadata-${randomUUID()}`;
      const res = await post({ name, organizationId: w.admin.orgId, metadata });
      const body = expectError(res, 422, 'ValidationError');
      expect(fields(body)).toEqual(['metadata']);
      expect(await identityRows('name = ?', [name])).toHaveLength(0);
    });

    it('refuses unknown fields with one details entry per field', async () => {
      const res = await post({ name: 'unknown-fields', organizationId: w.admin.orgId, orgId: w.admin.orgId, secret: 'x' });
      const body = expectError(res, 422, 'ValidationError');
      expect(body.details).toEqual(
        expect.arrayContaining([
          { field: 'orgId', message: expect.stringContaining('orgId') },
          { field: 'secret', message: expect.stringContaining('secret') },
        ]),
      );
      expect(fields(body).sort()).toEqual(['orgId', 'secret']);
      expect(await identityRows('name = ?', ['unknown-fields'])).toHaveLength(0);
    });

    it.each([
      ['a missing name', { organizationId: 'ORG' }, 'name'],
      ['an empty name', { name: '   ', organizationId: 'ORG' }, 'name'],
      ['a 256-character name', { name: 'n'.repeat(256), organizationId: 'ORG' }, 'name'],
      ['a name with a control character', { name: 'bad\u0007name', organizationId: 'ORG' }, 'name'],
      ['an unknown role', { name: 'role-x', organizationId: 'ORG', role: 'owner' }, 'role'],
      ['a missing organizationId', { name: 'no-org' }, 'organizationId'],
      ['a non-UUID organizationId', { name: 'bad-org', organizationId: 'acme' }, 'organizationId'],
    ])('refuses %s with 422 on that field', async (_label, body, field) => {
      const sent = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v === 'ORG' ? w.admin.orgId : v]));
      const res = await post(sent);
      const err = expectError(res, 422, 'ValidationError');
      expect(fields(err)).toEqual([field]);
    });

    it('answers 404 OrganizationNotFound for an organization that does not exist', async () => {
      expectError(await post({ name: 'nowhere', organizationId: randomUUID() }), 404, 'OrganizationNotFound');
    });

    it('answers 401 Unauthorized without a bearer', async () => {
      const res = await request(w.t.url).post('/api/v1/identities').send({ name: 'anon', organizationId: w.admin.orgId });
      expectError(res, 401, 'Unauthorized');
    });
  });

  describe('read, update, delete', () => {
    it('GET returns { identity } as created', async () => {
      const created = await post({ name: 'get-me', organizationId: w.admin.orgId, role: 'admin', metadata: { team: 'core' } });
      const res = await get(created.body.identity.id);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['identity']);
      expect(res.body.identity).toEqual(created.body.identity);
    });

    it('GET of an unknown identity answers 404 IdentityNotFound; a bad UUID 400 BadRequest', async () => {
      expectError(await get(randomUUID()), 404, 'IdentityNotFound');
      expectError(await get('not-a-uuid'), 400, 'BadRequest');
      expectError(await patch('not-a-uuid', { role: 'viewer' }), 400, 'BadRequest');
      expectError(await del('not-a-uuid'), 400, 'BadRequest');
      expectError(await list('not-a-uuid'), 400, 'BadRequest');
    });

    it('PATCH changes only the given fields and bumps updatedAt', async () => {
      const created = (await post({ name: 'patch-me', organizationId: w.admin.orgId, role: 'viewer', metadata: { a: '1' } })).body.identity;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const res = await patch(created.id, { role: 'admin' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.identity).toMatchObject({ id: created.id, name: 'patch-me', role: 'admin', metadata: { a: '1' }, organizationId: w.admin.orgId, createdAt: created.createdAt });
      expect(Date.parse(res.body.identity.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

      const renamed = await patch(created.id, { name: 'patched', metadata: { b: '2' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.identity).toMatchObject({ name: 'patched', role: 'admin', metadata: { b: '2' } });
      const fresh = await get(created.id);
      expect(fresh.body.identity).toEqual(renamed.body.identity);
    });

    it('PATCH rename onto another identity’s name (any case) answers 409 IdentityNameTaken and changes nothing', async () => {
      const a = (await post({ name: 'rename-target', organizationId: w.admin.orgId })).body.identity;
      const b = (await post({ name: 'rename-source', organizationId: w.admin.orgId })).body.identity;
      expectError(await patch(b.id, { name: 'rename-target' }), 409, 'IdentityNameTaken');
      expectError(await patch(b.id, { name: 'RENAME-Target' }), 409, 'IdentityNameTaken');
      expect((await get(b.id)).body.identity.name).toBe('rename-source');
      // Changing the case of one's own name is not a conflict.
      const own = await patch(a.id, { name: 'Rename-Target' });
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      expect(own.body.identity.name).toBe('Rename-Target');
    });

    it('PATCH validates like create: metadata rules, unknown fields, bad role', async () => {
      const id = (await post({ name: 'patch-validate', organizationId: w.admin.orgId, metadata: { keep: 'me' } })).body.identity.id;
      expect(fields(expectError(await patch(id, { metadata: { n: 1 } }), 422, 'ValidationError'))).toEqual(['metadata']);
      expect(fields(expectError(await patch(id, { metadata: { deep: { x: 'y' } } }), 422, 'ValidationError'))).toEqual(['metadata']);
      const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
      expect(fields(expectError(await patch(id, { metadata: many }), 422, 'ValidationError'))).toEqual(['metadata']);
      expect(fields(expectError(await patch(id, { organizationId: randomUUID() }), 422, 'ValidationError'))).toEqual(['organizationId']);
      expect(fields(expectError(await patch(id, { role: 'root' }), 422, 'ValidationError'))).toEqual(['role']);
      expect((await get(id)).body.identity).toMatchObject({ name: 'patch-validate', metadata: { keep: 'me' }, role: 'no-access' });
    });

    it.each([['name'], ['role'], ['metadata']])('PATCH %s: null answers 422 ValidationError (never a 500, never a null stored)', async (field) => {
      const id = (await post({ name: `null-${field}`, organizationId: w.admin.orgId, role: 'viewer', metadata: { keep: 'me' } })).body.identity.id;
      const res = await patch(id, { [field]: null });
      const body = expectError(res, 422, 'ValidationError');
      expect(fields(body)).toEqual([field]);
      expect((await get(id)).body.identity).toMatchObject({ name: `null-${field}`, role: 'viewer', metadata: { keep: 'me' } });
    });

    it('PATCH of an unknown identity answers 404 IdentityNotFound', async () => {
      expectError(await patch(randomUUID(), { role: 'viewer' }), 404, 'IdentityNotFound');
    });

    it('DELETE returns { identity } and removes it: GET, PATCH and DELETE then answer 404 IdentityNotFound', async () => {
      const created = (await post({ name: 'delete-me', organizationId: w.admin.orgId, role: 'viewer', metadata: { a: 'b' } })).body.identity;
      const res = await del(created.id);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Object.keys(res.body)).toEqual(['identity']);
      expect(res.body.identity).toEqual(created);
      expectError(await get(created.id), 404, 'IdentityNotFound');
      expectError(await patch(created.id, { role: 'admin' }), 404, 'IdentityNotFound');
      expectError(await del(created.id), 404, 'IdentityNotFound');
      expect(await identityRows('id = ?', [created.id])).toHaveLength(0);
      // the name is free again
      expect((await post({ name: 'delete-me', organizationId: w.admin.orgId })).status).toBe(201);
    });

    it('writes audit rows for identity.created, identity.updated and identity.deleted', async () => {
      const id = (await post({ name: 'audited', organizationId: w.admin.orgId })).body.identity.id;
      expect((await patch(id, { role: 'viewer' })).status).toBe(200);
      expect((await del(id)).status).toBe(200);
      const rows: Record<string, unknown>[] = await w.t.app.get(DataSource).query('SELECT * FROM audit_logs WHERE identityId = ? ORDER BY id', [id]);
      expect(rows.map((r) => r.event)).toEqual(['identity.created', 'identity.updated', 'identity.deleted']);
      for (const row of rows) expect(row).toMatchObject({ orgId: w.admin.orgId, actorType: 'user', actorId: w.admin.userId, outcome: 'success' });
    });
  });

  describe('authMethods', () => {
    it('shows ["kubernetes"] once a config is attached, in GET and in the list, and [] again after it is removed', async () => {
      const org = await newOrg('Auth Methods');
      const bare = (await post({ name: 'bare', organizationId: org })).body.identity.id;
      const withK8s = (await post({ name: 'with-k8s', organizationId: org })).body.identity.id;
      const attach = await request(w.t.url)
        .post(`/api/v1/auth/kubernetes-auth/identities/${withK8s}`)
        .set(auth(w.admin.token))
        .send({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop', allowedAudience: 'zerokey' });
      expect(attach.status, JSON.stringify(attach.body)).toBe(201);

      expect((await get(withK8s)).body.identity.authMethods).toEqual(['kubernetes']);
      expect((await get(bare)).body.identity.authMethods).toEqual([]);
      const listed = await list(org, { sort: 'name' });
      expect(listed.status).toBe(200);
      expect(listed.body.identities.map((i: { name: string; authMethods: string[] }) => [i.name, i.authMethods])).toEqual([
        ['bare', []],
        ['with-k8s', ['kubernetes']],
      ]);

      const removed = await request(w.t.url).delete(`/api/v1/auth/kubernetes-auth/identities/${withK8s}`).set(auth(w.admin.token));
      expect(removed.status).toBe(200);
      expect((await get(withK8s)).body.identity.authMethods).toEqual([]);
    });

    it('fixture identities with a config report it too', async () => {
      const id = await identityWithConfig(w);
      expect((await get(id)).body.identity.authMethods).toEqual(['kubernetes']);
      const plain = await createIdentity(w);
      expect((await get(plain)).body.identity.authMethods).toEqual([]);
    });
  });

  describe('list', () => {
    let org: string;
    const ids: Record<string, string> = {};
    const seed: [string, string][] = [
      ['sort-b', 'viewer'],
      ['sort-a', 'admin'],
      ['sort-c', 'viewer'],
      ['Mixed-Case-Name', 'no-access'],
      ['pct%sign', 'no-access'],
      ['pctxxsign', 'no-access'],
      ['under_score', 'no-access'],
      ['underxscore', 'no-access'],
      ['bang!mark', 'no-access'],
      ['back\\slash', 'no-access'],
    ];
    type Listed = { identities: { id: string; name: string; role: string; organizationId: string }[]; totalCount: number };
    const names = (body: Listed): string[] => body.identities.map((i) => i.name);

    beforeAll(async () => {
      org = await newOrg('Listing');
      for (const [name, role] of seed) {
        const res = await post({ name, organizationId: org, role });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        ids[name] = res.body.identity.id;
      }
    });

    it('lists the organization’s identities, oldest first by default, with totalCount', async () => {
      const res = await list(org);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['identities', 'totalCount']);
      expect(res.body.totalCount).toBe(seed.length);
      expect(names(res.body)).toEqual(seed.map(([n]) => n));
      for (const identity of res.body.identities) expect(identity.organizationId).toBe(org);
      // only this organization: the admin's first organization has other identities
      const first = await list(w.admin.orgId, { limit: 200 });
      expect(first.body.identities.map((i: { id: string }) => i.id)).not.toContain(ids['sort-a']);
    });

    it('pages with offset and limit; totalCount counts every match', async () => {
      const page = await list(org, { offset: 2, limit: 3 });
      expect(page.status).toBe(200);
      expect(page.body.totalCount).toBe(seed.length);
      expect(names(page.body)).toEqual(seed.slice(2, 5).map(([n]) => n));
      const beyond = await list(org, { offset: 50, limit: 10 });
      expect(beyond.body).toEqual({ identities: [], totalCount: seed.length });
    });

    it('sorts by name, ascending or descending', async () => {
      const asc = await list(org, { search: 'sort-', sort: 'name' });
      expect(names(asc.body)).toEqual(['sort-a', 'sort-b', 'sort-c']);
      const desc = await list(org, { search: 'sort-', sort: 'name', order: 'desc' });
      expect(desc.status).toBe(200);
      expect(names(desc.body)).toEqual(['sort-c', 'sort-b', 'sort-a']);
      expect(desc.body.totalCount).toBe(3);
      const paged = await list(org, { search: 'sort-', sort: 'name', order: 'desc', offset: 1, limit: 1 });
      expect(paged.body).toMatchObject({ totalCount: 3 });
      expect(names(paged.body)).toEqual(['sort-b']);
    });

    it('search is a case-insensitive substring of the name', async () => {
      const res = await list(org, { search: 'CASE-n' });
      expect(names(res.body)).toEqual(['Mixed-Case-Name']);
      expect(res.body.totalCount).toBe(1);
      const lower = await list(org, { search: 'mixed' });
      expect(names(lower.body)).toEqual(['Mixed-Case-Name']);
      const none = await list(org, { search: 'zzz' });
      expect(none.body).toEqual({ identities: [], totalCount: 0 });
    });

    it.each([
      ['%', ['pct%sign']],
      ['pct%s', ['pct%sign']],
      ['_', ['under_score']],
      ['under_s', ['under_score']],
      ['!', ['bang!mark']],
      ['\\', ['back\\slash']],
    ])('search %j matches literally, not as a LIKE wildcard', async (search, expected) => {
      const res = await list(org, { search });
      expect(res.status).toBe(200);
      expect(names(res.body)).toEqual(expected);
      expect(res.body.totalCount).toBe(expected.length);
    });

    it('filters by role (and combines with search)', async () => {
      const viewers = await list(org, { role: 'viewer' });
      expect(names(viewers.body)).toEqual(['sort-b', 'sort-c']);
      expect(viewers.body.totalCount).toBe(2);
      const admins = await list(org, { role: 'admin', search: 'sort' });
      expect(names(admins.body)).toEqual(['sort-a']);
      const noAccess = await list(org, { role: 'no-access' });
      expect(noAccess.body.totalCount).toBe(7);
    });

    it.each([
      ['limit=0', { limit: 0 }, 'limit'],
      ['limit=201', { limit: 201 }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['offset=-1', { offset: -1 }, 'offset'],
      ['offset=1.5', { offset: 1.5 }, 'offset'],
      ['role=owner', { role: 'owner' }, 'role'],
      ['sort=id', { sort: 'id' }, 'sort'],
      ['order=sideways', { order: 'sideways' }, 'order'],
      ['an unknown parameter', { foo: 'bar' }, 'foo'],
    ])('%s answers 422 ValidationError naming the parameter', async (_label, query, field) => {
      const res = await list(org, query);
      const body = expectError(res, 422, 'ValidationError');
      expect(fields(body)).toEqual([field]);
    });

    it('limit=200 and limit=1 are accepted', async () => {
      expect((await list(org, { limit: 200 })).body.identities).toHaveLength(seed.length);
      const one = await list(org, { limit: 1 });
      expect(one.body.identities).toHaveLength(1);
      expect(one.body.totalCount).toBe(seed.length);
    });

    it('an organization that does not exist answers 404 OrganizationNotFound', async () => {
      expectError(await list(randomUUID()), 404, 'OrganizationNotFound');
    });
  });
});
