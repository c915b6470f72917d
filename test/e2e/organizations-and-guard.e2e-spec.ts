import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../../src/access-tokens/signing-keys.service.js';
import { hashPassword } from '../../src/common/crypto/password-hasher.js';
import { auth, bootstrap, decodeJwt, expectError, PASSWORD, type Session } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ES256 JWT made with node's crypto alone. */
function es256(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function headerOf(token: string): { alg: string; kid: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await startTestApp();
  admin = await bootstrap(t);
});

afterAll(async () => {
  await t?.close();
});

async function orgs(token: string): Promise<request.Response> {
  return request(t.url).get('/api/v1/organizations').set(auth(token));
}

async function login(email: string, password = PASSWORD): Promise<string> {
  const res = await request(t.url).post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

/** Users other than the bootstrap admin cannot be created through the API yet: insert one directly. */
async function createUserWithMembership(email: string, orgId: string, role: 'admin' | 'viewer'): Promise<string> {
  const ds = t.app.get(DataSource);
  const userId = randomUUID();
  const now = new Date();
  await ds.createQueryBuilder().insert().into('users').values({ id: userId, email, passwordHash: await hashPassword(PASSWORD), superAdmin: false, createdAt: now }).execute();
  await ds.createQueryBuilder().insert().into('org_memberships').values({ id: randomUUID(), orgId, userId, role, createdAt: now }).execute();
  return login(email);
}

describe('bearer guard', () => {
  const protectedRoutes: [string, string][] = [
    ['get', '/api/v1/organizations'],
    ['post', '/api/v1/organizations'],
    ['post', '/api/v1/identities'],
    ['get', '/api/v1/auth/token/self'],
    ['post', '/api/v1/auth/logout'],
    ['post', '/api/v1/users/me/password'],
  ];

  it('no Authorization header answers 401 Unauthorized on every protected route', async () => {
    for (const [method, path] of protectedRoutes) {
      const res = await (request(t.url) as unknown as Record<string, (p: string) => request.Test>)[method](path);
      expectError(res, 401, 'Unauthorized');
    }
  });

  it('a non-bearer scheme or an empty bearer answers 401 Unauthorized', async () => {
    expectError(await request(t.url).get('/api/v1/organizations').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`), 401, 'Unauthorized');
    expectError(await request(t.url).get('/api/v1/organizations').set('Authorization', 'Bearer '), 401, 'Unauthorized');
    expectError(await request(t.url).get('/api/v1/organizations').set('Authorization', admin.token), 401, 'Unauthorized');
  });

  it('the scheme is case-insensitive', async () => {
    const res = await request(t.url).get('/api/v1/organizations').set('Authorization', `bearer ${admin.token}`);
    expect(res.status).toBe(200);
  });

  it('a garbage bearer answers 401 InvalidAccessToken', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'x'.repeat(9000)]) {
      expectError(await orgs(garbage), 401, 'InvalidAccessToken');
    }
  });

  it('a token signed by another key with the same kid answers 401 InvalidAccessToken', async () => {
    const { kid } = headerOf(admin.token);
    const claims = decodeJwt(admin.token);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = es256({ alg: 'ES256', typ: 'JWT', kid }, claims, privateKey);
    expectError(await orgs(forged), 401, 'InvalidAccessToken');
    // The same claims signed by the real key pass: the forgery failed on its signature alone.
    const genuine = es256({ alg: 'ES256', typ: 'JWT', kid }, claims, t.app.get(SigningKeysService).current().privateKey);
    expect((await orgs(genuine)).status).toBe(200);
  });

  it('alg none, HS256 keyed with the public JWK, and an unknown kid answer 401 InvalidAccessToken', async () => {
    const { kid } = headerOf(admin.token);
    const claims = decodeJwt(admin.token);
    expectError(await orgs(`${b64({ alg: 'none', kid })}.${b64(claims)}.`), 401, 'InvalidAccessToken');
    const jwks = (await request(t.url).get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    const secret = JSON.stringify(jwks.keys.find((k) => k.kid === kid));
    const hsInput = `${b64({ alg: 'HS256', kid })}.${b64(claims)}`;
    expectError(await orgs(`${hsInput}.${createHmac('sha256', secret).update(hsInput).digest('base64url')}`), 401, 'InvalidAccessToken');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectError(await orgs(es256({ alg: 'ES256', kid: 'no-such-kid' }, claims, privateKey)), 401, 'InvalidAccessToken');
  });

  it('a correctly signed token with another issuer answers 401 InvalidAccessToken', async () => {
    const { kid } = headerOf(admin.token);
    const key = t.app.get(SigningKeysService).current().privateKey;
    expectError(await orgs(es256({ alg: 'ES256', kid }, { ...decodeJwt(admin.token), iss: 'https://evil.example' }, key)), 401, 'InvalidAccessToken');
  });

  it('a correctly signed but expired token answers 401 AccessTokenExpired', async () => {
    const { kid } = headerOf(admin.token);
    const key = t.app.get(SigningKeysService).current().privateKey;
    const now = Math.floor(Date.now() / 1000);
    const expired = es256({ alg: 'ES256', kid }, { ...decodeJwt(admin.token), iat: now - 7200, exp: now - 3600 }, key);
    expectError(await orgs(expired), 401, 'AccessTokenExpired');
  });

  it('a correctly signed token without a stored row answers 401 AccessTokenRevoked', async () => {
    const { kid } = headerOf(admin.token);
    const key = t.app.get(SigningKeysService).current().privateKey;
    const unknown = es256({ alg: 'ES256', kid }, { ...decodeJwt(admin.token), jti: randomUUID() }, key);
    expectError(await orgs(unknown), 401, 'AccessTokenRevoked');
  });

  it('after logout the same token answers 401 AccessTokenRevoked everywhere', async () => {
    const token = await login(admin.email);
    expect((await orgs(token)).status).toBe(200);
    const out = await request(t.url).post('/api/v1/auth/logout').set(auth(token));
    expect(out.status).toBe(200);
    expectError(await orgs(token), 401, 'AccessTokenRevoked');
    expectError(await request(t.url).post('/api/v1/identities').set(auth(token)).send({ name: 'x', organizationId: admin.orgId }), 401, 'AccessTokenRevoked');
    expect((await orgs(admin.token)).status).toBe(200);
  });

  it('public routes need no token', async () => {
    for (const path of ['/api/status', '/api/status/ready', '/.well-known/jwks.json', '/api/docs-json']) {
      expect((await request(t.url).get(path)).status, path).toBe(200);
    }
  });
});

describe('organizations', () => {
  let platformId: string;
  let viewerToken: string;
  let viewerOrgId: string;

  it('POST /api/v1/organizations answers 201 { organization } with the caller as admin', async () => {
    const res = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: '  Platform Team  ' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['organization']);
    expect(res.body.organization).toEqual({ id: expect.stringMatching(UUID), name: 'Platform Team', slug: expect.stringMatching(/^[a-z0-9-]+$/), createdAt: expect.any(String), role: 'admin' });
    expect(res.body.organization).not.toHaveProperty('orgId');
    platformId = res.body.organization.id;
  });

  it('two organizations may share a name but never a slug', async () => {
    const a = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: 'Twin' });
    const b = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send({ name: 'Twin' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.organization.slug).not.toBe(b.body.organization.slug);
  });

  it('GET /api/v1/organizations lists exactly the caller’s organizations, with the role', async () => {
    const res = await orgs(admin.token);
    expect(res.status).toBe(200);
    const list = res.body.organizations as { id: string; name: string; role: string }[];
    expect(list.map((o) => o.name)).toEqual(['Acme', 'Platform Team', 'Twin', 'Twin']);
    expect(list.every((o) => o.role === 'admin')).toBe(true);
    expect(list.map((o) => o.id)).toContain(platformId);
    expect(list.map((o) => o.id)).toContain(admin.orgId);
  });

  it('a member of one organization sees only that one, with their role, and not the others', async () => {
    viewerToken = await createUserWithMembership('viewer@example.com', admin.orgId, 'viewer');
    const res = await orgs(viewerToken);
    expect(res.status).toBe(200);
    expect(res.body.organizations).toEqual([expect.objectContaining({ id: admin.orgId, name: 'Acme', role: 'viewer' })]);
  });

  it('an organization the member creates is theirs alone', async () => {
    const created = await request(t.url).post('/api/v1/organizations').set(auth(viewerToken)).send({ name: 'Viewer Own' });
    expect(created.status).toBe(201);
    viewerOrgId = created.body.organization.id;
    const mine = (await orgs(viewerToken)).body.organizations as { id: string; role: string }[];
    expect(mine.map((o) => [o.id, o.role])).toEqual([
      [admin.orgId, 'viewer'],
      [viewerOrgId, 'admin'],
    ]);
    const adminList = (await orgs(admin.token)).body.organizations as { id: string }[];
    expect(adminList.map((o) => o.id)).not.toContain(viewerOrgId);
    expect(adminList).toHaveLength(4);
  });

  it('an empty, blank, missing, too long or mistyped name answers 422', async () => {
    for (const body of [{ name: '' }, { name: '   ' }, {}, { name: 'x'.repeat(256) }, { name: 42 }, { name: 'ok', extra: 1 }]) {
      const res = await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).send(body);
      const error = expectError(res, 422, 'ValidationError');
      expect((error.details as unknown[]).length, JSON.stringify(body)).toBe(1);
    }
    expect((await orgs(admin.token)).body.organizations).toHaveLength(4);
  });

  describe('role checks through identities', () => {
    let identityId: string;
    let foreignIdentityId: string;

    it('an org admin creates an identity: 201 { identity } with organizationId and the role', async () => {
      const res = await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'ci-runner', organizationId: admin.orgId, role: 'viewer' });
      expect(res.status).toBe(201);
      expect(res.body.identity).toMatchObject({ id: expect.stringMatching(UUID), name: 'ci-runner', organizationId: admin.orgId, role: 'viewer', metadata: {} });
      expect(res.body.identity).not.toHaveProperty('orgId');
      identityId = res.body.identity.id;
      const plain = await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'plain', organizationId: admin.orgId });
      expect(plain.status).toBe(201);
      expect(plain.body.identity.role).toBe('no-access');
    });

    it('an organization the caller does not belong to answers 404 OrganizationNotFound, like a missing one', async () => {
      const missing = expectError(await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'x', organizationId: randomUUID() }), 404, 'OrganizationNotFound');
      const foreign = expectError(await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'x', organizationId: viewerOrgId }), 404, 'OrganizationNotFound');
      expect(foreign.message).toBe(missing.message);
      expectError(await request(t.url).get(`/api/v1/organizations/${viewerOrgId}/identities`).set(auth(admin.token)), 404, 'OrganizationNotFound');
    });

    it('a viewer can read but not write: 403 PermissionDenied', async () => {
      expectError(await request(t.url).post('/api/v1/identities').set(auth(viewerToken)).send({ name: 'nope', organizationId: admin.orgId }), 403, 'PermissionDenied');
      expectError(await request(t.url).patch(`/api/v1/identities/${identityId}`).set(auth(viewerToken)).send({ role: 'admin' }), 403, 'PermissionDenied');
      expectError(await request(t.url).delete(`/api/v1/identities/${identityId}`).set(auth(viewerToken)), 403, 'PermissionDenied');
      const read = await request(t.url).get(`/api/v1/identities/${identityId}`).set(auth(viewerToken));
      expect(read.status).toBe(200);
      expect(read.body.identity).toMatchObject({ id: identityId, role: 'viewer' });
      const list = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/identities`).set(auth(viewerToken));
      expect(list.status).toBe(200);
      expect(list.body.totalCount).toBe(2);
    });

    it('another organization’s identity answers 404 IdentityNotFound, exactly like a missing one', async () => {
      const created = await request(t.url).post('/api/v1/identities').set(auth(viewerToken)).send({ name: 'viewer-bot', organizationId: viewerOrgId });
      expect(created.status).toBe(201);
      foreignIdentityId = created.body.identity.id;
      const foreign = expectError(await request(t.url).get(`/api/v1/identities/${foreignIdentityId}`).set(auth(admin.token)), 404, 'IdentityNotFound');
      const missing = expectError(await request(t.url).get(`/api/v1/identities/${randomUUID()}`).set(auth(admin.token)), 404, 'IdentityNotFound');
      expect(foreign.message).toBe(missing.message);
      expectError(await request(t.url).delete(`/api/v1/identities/${foreignIdentityId}`).set(auth(admin.token)), 404, 'IdentityNotFound');
    });

    it('role validation: an unknown role answers 422', async () => {
      const res = await request(t.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'bad-role', organizationId: admin.orgId, role: 'owner' });
      expect((expectError(res, 422, 'ValidationError').details as { field: string }[]).map((d) => d.field)).toEqual(['role']);
    });
  });
});
