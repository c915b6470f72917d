import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { auth, decodeJwt, expectError, PASSWORD } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SESSION_SECONDS = 12 * 3600;

function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

/** Verifies an ES256 JWT against a JWK with node's crypto only. */
function verifyEs256(token: string, jwk: JsonWebKey): boolean {
  const [header, payload, signature] = token.split('.');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}

async function login(t: TestApp, email: string, password: string): Promise<request.Response> {
  return request(t.url).post('/api/v1/auth/login').send({ email, password });
}

async function self(t: TestApp, token: string): Promise<request.Response> {
  return request(t.url).get('/api/v1/auth/token/self').set(auth(token));
}

describe('accounts', () => {
  let t: TestApp;
  let email: string;
  let bootstrapToken: string;
  let userId: string;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('bootstrap validation (before any user exists)', () => {
    it('a password shorter than 12 characters answers 422 and bootstraps nothing', async () => {
      const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'short@example.com', password: 'elevenchars', organization: 'Acme' });
      const body = expectError(res, 422, 'ValidationError');
      expect(body.details).toEqual([{ field: 'password', message: expect.stringMatching(/12/) }]);
    });

    it('a password longer than 256 characters answers 422', async () => {
      const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'long@example.com', password: 'x'.repeat(257), organization: 'Acme' });
      const body = expectError(res, 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['password']);
    });

    it('a missing organization, a bad email and an unknown field each get a detail', async () => {
      const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'not-an-email', password: PASSWORD, superAdmin: true });
      const body = expectError(res, 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['email', 'organization', 'superAdmin']);
    });

    it('nobody can log in yet', async () => {
      expectError(await login(t, 'short@example.com', 'elevenchars'), 401, 'InvalidCredentials');
    });
  });

  describe('bootstrap', () => {
    it('two concurrent bootstraps: exactly one wins with 200, the other gets 409 AlreadyBootstrapped', async () => {
      const attempts = [
        { email: 'First.Admin@Example.com', password: PASSWORD, organization: 'First Org' },
        { email: 'second.admin@example.com', password: PASSWORD, organization: 'Second Org' },
      ];
      const responses = await Promise.all(attempts.map((body) => request(t.url).post('/api/v1/admin/bootstrap').send(body)));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      const winnerIndex = responses.findIndex((r) => r.status === 200);
      const winner = responses[winnerIndex];
      expectError(responses[1 - winnerIndex], 409, 'AlreadyBootstrapped');

      email = attempts[winnerIndex].email.toLowerCase();
      const { user, organization, accessToken } = winner.body;
      expect(Object.keys(winner.body).sort()).toEqual(['accessToken', 'organization', 'user']);
      expect(user).toEqual({ id: expect.stringMatching(UUID), email, superAdmin: true, createdAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
      expect(organization).toMatchObject({ id: expect.stringMatching(UUID), name: attempts[winnerIndex].organization, slug: expect.stringMatching(/^[a-z0-9-]+$/), createdAt: expect.any(String) });
      expect(accessToken).toEqual(expect.any(String));
      expect(winner.text).not.toMatch(/passwordHash|scrypt\$/);
      expect(winner.text).not.toContain(PASSWORD);
      bootstrapToken = accessToken;
      userId = user.id;

      // Exactly one user can log in, and the loser left nothing behind.
      const logins = await Promise.all(attempts.map((a) => login(t, a.email, a.password)));
      expect(logins.map((r) => r.status)).toEqual(attempts.map((_, i) => (i === winnerIndex ? 200 : 401)));
      const ds = t.app.get(DataSource);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM users'))[0].n)).toBe(1);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM organizations'))[0].n)).toBe(1);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM org_memberships'))[0].n)).toBe(1);
    });

    it('stores a password hash, never the password', async () => {
      const rows = (await t.app.get(DataSource).query('SELECT passwordHash FROM users')) as { passwordHash: string }[];
      expect(rows).toHaveLength(1);
      expect(rows[0].passwordHash).not.toContain(PASSWORD);
      expect(rows[0].passwordHash.length).toBeGreaterThan(40);
    });

    it('a later bootstrap answers 409 AlreadyBootstrapped', async () => {
      const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'late@example.com', password: PASSWORD, organization: 'Late' });
      expectError(res, 409, 'AlreadyBootstrapped');
      expectError(await login(t, 'late@example.com', PASSWORD), 401, 'InvalidCredentials');
    });

    it('the bootstrap access token is a session of the super admin', async () => {
      const res = await self(t, bootstrapToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ type: 'user', organizationId: null, authMethod: 'session', user: { id: userId, email, superAdmin: true } });
      expect(res.text).not.toMatch(/passwordHash/);
    });
  });

  describe('session login', () => {
    it('answers 200 { accessToken, expiresIn: 43200, tokenType: Bearer }', async () => {
      const res = await login(t, email, PASSWORD);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: SESSION_SECONDS, tokenType: 'Bearer' });
      const claims = decodeJwt(res.body.accessToken);
      expect(claims).toMatchObject({ sub: userId, jti: expect.stringMatching(UUID), iss: t.config.publicUrl, org: null, authMethod: 'session' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(SESSION_SECONDS);
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(await self(t, res.body.accessToken).then((r) => r.status)).toBe(200);
    });

    it('signs ES256 with a kid published in /.well-known/jwks.json, verifiable with node crypto', async () => {
      const { accessToken } = (await login(t, email, PASSWORD)).body as { accessToken: string };
      const header = jwtHeader(accessToken);
      expect(header.alg).toBe('ES256');
      expect(header.kid).toEqual(expect.any(String));

      const jwksRes = await request(t.url).get('/.well-known/jwks.json');
      expect(jwksRes.status).toBe(200);
      const keys = jwksRes.body.keys as (JsonWebKey & { kid: string })[];
      const jwk = keys.find((k) => k.kid === header.kid);
      expect(jwk, 'the kid is in the JWKS').toBeDefined();
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwk).not.toHaveProperty('d');
      expect(jwksRes.text).not.toMatch(/"d"\s*:/);

      expect(verifyEs256(accessToken, jwk!)).toBe(true);
      const [h, p, s] = accessToken.split('.');
      const tampered = Buffer.from(JSON.stringify({ ...decodeJwt(accessToken), sub: 'someone-else' })).toString('base64url');
      expect(verifyEs256(`${h}.${tampered}.${s}`, jwk!)).toBe(false);
      expect(p).not.toBe(tampered);
    });

    it('wrong password and unknown email both answer 401 InvalidCredentials with the same message', async () => {
      const wrong = expectError(await login(t, email, 'not the right password'), 401, 'InvalidCredentials');
      const unknown = expectError(await login(t, 'nobody@example.com', PASSWORD), 401, 'InvalidCredentials');
      expect(wrong.message).toBe(unknown.message);
      expect(wrong.message).not.toContain(email);
    });

    it('the email is case-insensitive (and trimmed)', async () => {
      const res = await login(t, `  ${email.toUpperCase()} `, PASSWORD);
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.accessToken).sub).toBe(userId);
    });

    it('the password is case-sensitive', async () => {
      expectError(await login(t, email, PASSWORD.toUpperCase()), 401, 'InvalidCredentials');
    });

    it('missing or mistyped fields answer 422 with details', async () => {
      const res = await request(t.url).post('/api/v1/auth/login').send({ email });
      expect((expectError(res, 422, 'ValidationError').details as { field: string }[]).map((d) => d.field)).toEqual(['password']);
      const typed = await request(t.url).post('/api/v1/auth/login').send({ email, password: 123456789012 });
      expect((expectError(typed, 422, 'ValidationError').details as { field: string }[]).map((d) => d.field)).toEqual(['password']);
    });
  });

  describe('logout', () => {
    it('revokes the calling session only', async () => {
      const a = (await login(t, email, PASSWORD)).body.accessToken as string;
      const b = (await login(t, email, PASSWORD)).body.accessToken as string;
      const res = await request(t.url).post('/api/v1/auth/logout').set(auth(a));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: expect.any(String) });
      expectError(await self(t, a), 401, 'AccessTokenRevoked');
      expectError(await request(t.url).post('/api/v1/auth/logout').set(auth(a)), 401, 'AccessTokenRevoked');
      expect((await self(t, b)).status).toBe(200);
    });

    it('requires a bearer token', async () => {
      expectError(await request(t.url).post('/api/v1/auth/logout'), 401, 'Unauthorized');
    });
  });

  // Last in this app: it changes the password the tests above use.
  describe('password change', () => {
    const NEW_PASSWORD = 'a brand new passphrase';
    let current: string;
    let other: string;

    beforeAll(async () => {
      current = (await login(t, email, PASSWORD)).body.accessToken;
      other = (await login(t, email, PASSWORD)).body.accessToken;
    });

    it('requires a bearer token', async () => {
      expectError(await request(t.url).post('/api/v1/users/me/password').send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }), 401, 'Unauthorized');
    });

    it('a wrong current password answers 401 InvalidCredentials and changes nothing', async () => {
      const res = await request(t.url).post('/api/v1/users/me/password').set(auth(current)).send({ currentPassword: 'wrong password!!', newPassword: NEW_PASSWORD });
      expectError(res, 401, 'InvalidCredentials');
      expect((await login(t, email, PASSWORD)).status).toBe(200);
      expect((await self(t, other)).status).toBe(200);
      expect((await self(t, current)).status).toBe(200);
    });

    it('a new password under 12 characters answers 422', async () => {
      const res = await request(t.url).post('/api/v1/users/me/password').set(auth(current)).send({ currentPassword: PASSWORD, newPassword: 'too short' });
      const body = expectError(res, 422, 'ValidationError');
      expect(body.details).toEqual([{ field: 'newPassword', message: expect.any(String) }]);
      expect((await login(t, email, PASSWORD)).status).toBe(200);
    });

    it('succeeds: the old password fails, the new one works, other sessions are revoked, this one lives', async () => {
      const res = await request(t.url).post('/api/v1/users/me/password').set(auth(current)).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: expect.any(String) });

      expectError(await login(t, email, PASSWORD), 401, 'InvalidCredentials');
      const fresh = await login(t, email, NEW_PASSWORD);
      expect(fresh.status).toBe(200);

      expectError(await self(t, other), 401, 'AccessTokenRevoked');
      expectError(await self(t, bootstrapToken), 401, 'AccessTokenRevoked');
      expect((await self(t, current)).status).toBe(200);
      expect((await self(t, fresh.body.accessToken)).status).toBe(200);
    });
  });
});

describe('bootstrap from the environment', () => {
  const env = { BOOTSTRAP_EMAIL: 'Ops@Example.com', BOOTSTRAP_PASSWORD: 'env bootstrap password', BOOTSTRAP_ORGANIZATION: 'Env Org' };
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('creates the super admin and organization at start: login works', async () => {
    const res = await login(t, 'ops@example.com', env.BOOTSTRAP_PASSWORD);
    expect(res.status).toBe(200);
    const who = await self(t, res.body.accessToken);
    expect(who.body).toMatchObject({ type: 'user', user: { email: 'ops@example.com', superAdmin: true } });
    const orgs = await request(t.url).get('/api/v1/organizations').set(auth(res.body.accessToken));
    expect(orgs.status).toBe(200);
    expect(orgs.body.organizations).toEqual([expect.objectContaining({ name: 'Env Org', role: 'admin' })]);
  });

  it('POST /api/v1/admin/bootstrap then answers 409 AlreadyBootstrapped', async () => {
    const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'other@example.com', password: PASSWORD, organization: 'Other' });
    expectError(res, 409, 'AlreadyBootstrapped');
  });

  it('a restart with the same variables on the same database starts and creates nothing new', async () => {
    const again = await createApp(t.config);
    try {
      const ds = again.get(DataSource);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM users'))[0].n)).toBe(1);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM organizations'))[0].n)).toBe(1);
    } finally {
      await again.close();
    }
    expect((await login(t, 'ops@example.com', env.BOOTSTRAP_PASSWORD)).status).toBe(200);
  });
});
