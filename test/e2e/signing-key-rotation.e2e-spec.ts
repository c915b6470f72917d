import request from 'supertest';
import { DataSource } from 'typeorm';
import { SigningKey } from '../../src/access-tokens/signing-key.entity.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bootstrap, expectError, PASSWORD, type Session } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const kidOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid as string;

describe('POST /api/v1/admin/signing-keys/rotate', () => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await bootstrap(t);
  });
  afterAll(async () => t?.close());

  async function jwksKids(): Promise<string[]> {
    const res = await request(t.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    return res.body.keys.map((k: { kid: string }) => k.kid);
  }

  it('signs new tokens with a new key while the old key keeps verifying, then retires it', async () => {
    const oldKid = kidOf(admin.token);
    expect(await jwksKids()).toEqual([oldKid]);
    const res = await request(t.url).post('/api/v1/admin/signing-keys/rotate').set(auth(admin.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kid: expect.any(String), previousKid: oldKid, previousRetiresAt: expect.any(String) });
    expect(res.body.kid).not.toBe(oldKid);
    expect(new Date(res.body.previousRetiresAt).getTime()).toBeGreaterThan(Date.now() + 11 * 3600 * 1000);
    expect((await jwksKids()).sort()).toEqual([oldKid, res.body.kid].sort());

    const fresh = await request(t.url).post('/api/v1/auth/login').send({ email: admin.email, password: PASSWORD });
    expect(kidOf(fresh.body.accessToken)).toBe(res.body.kid);
    expect((await request(t.url).get('/api/v1/auth/token/self').set(auth(admin.token))).status).toBe(200);

    const audit = await request(t.url).get('/api/v1/admin/audit-logs').query({ event: 'signing-key.rotated' }).set(auth(fresh.body.accessToken));
    expect(audit.body.totalCount).toBe(1);

    // Once its retirement time has passed, the old key leaves the JWKS and its tokens stop verifying.
    await t.app.get(DataSource).getRepository(SigningKey).update({ kid: oldKid }, { retiredAt: new Date(Date.now() - 1000) });
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(await jwksKids()).toEqual([res.body.kid]);
    expectError(await request(t.url).get('/api/v1/auth/token/self').set(auth(admin.token)), 401, 'InvalidAccessToken');
    expect((await request(t.url).get('/api/v1/auth/token/self').set(auth(fresh.body.accessToken))).status).toBe(200);
  });

  it('is for super admins only', async () => {
    const session = await request(t.url).post('/api/v1/auth/login').send({ email: admin.email, password: PASSWORD });
    await request(t.url).post(`/api/v1/organizations/${admin.orgId}/memberships`).set(auth(session.body.accessToken)).send({ email: 'member@example.com', password: PASSWORD, role: 'admin' });
    const member = await request(t.url).post('/api/v1/auth/login').send({ email: 'member@example.com', password: PASSWORD });
    expectError(await request(t.url).post('/api/v1/admin/signing-keys/rotate').set(auth(member.body.accessToken)), 403, 'PermissionDenied');
    expectError(await request(t.url).post('/api/v1/admin/signing-keys/rotate'), 401, 'Unauthorized');
  });
});
