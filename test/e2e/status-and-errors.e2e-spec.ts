import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bootstrap, expectError, type Session } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await startTestApp();
  admin = await bootstrap(t);
});

afterAll(async () => {
  await t?.close();
});

describe('status and docs', () => {
  it('GET /api/status answers 200 with a request id', async () => {
    const res = await request(t.url).get('/api/status');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('GET /api/status/ready answers 200 ready while the database answers', async () => {
    const res = await request(t.url).get('/api/status/ready');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready' });
  });

  it('GET /api/docs serves the Swagger UI as HTML', async () => {
    const res = await request(t.url).get('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(/swagger/i);
  });

  it('GET /api/docs-json is an OpenAPI 3 document of the API with bearer security', async () => {
    const res = await request(t.url).get('/api/docs-json');
    expect(res.status).toBe(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses?: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/api/v1/admin/bootstrap',
      '/api/v1/auth/login',
      '/api/v1/auth/logout',
      '/api/v1/users/me/password',
      '/api/v1/organizations',
      '/api/v1/identities',
      '/api/v1/identities/{identityId}',
      '/api/v1/organizations/{orgId}/identities',
      '/api/status',
      '/api/status/ready',
      '/.well-known/jwks.json',
    ]) {
      expect(paths, path).toContain(path);
    }
    const [schemeName, scheme] = Object.entries(doc.components.securitySchemes).find(([, s]) => s.type === 'http' && s.scheme === 'bearer') ?? [];
    expect(scheme, 'a bearer security scheme').toBeDefined();
    expect(doc.paths['/api/v1/organizations'].get.security).toEqual([{ [schemeName!]: [] }]);
    expect(doc.paths['/api/v1/identities'].post.security).toEqual([{ [schemeName!]: [] }]);
    for (const dto of ['BootstrapDto', 'LoginDto', 'SessionDto', 'ChangePasswordDto', 'CreateOrganizationDto', 'OrganizationDto', 'CreateIdentityDto', 'IdentityDto']) {
      expect(Object.keys(doc.components.schemas), dto).toContain(dto);
    }
    expect(doc.paths['/api/v1/auth/login'].post.responses).toHaveProperty('401');
  });
});

describe('error shape', () => {
  it('an unknown route answers 404 NotFound', async () => {
    const get = await request(t.url).get('/api/v1/no-such-route');
    expectError(get, 404, 'NotFound');
    const post = await request(t.url).post('/api/nothing/here').send({ a: 1 });
    expectError(post, 404, 'NotFound');
  });

  it('malformed JSON answers 400 BadRequest', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').set('content-type', 'application/json').send('{"email": "a@b.c", "password": ');
    expectError(res, 400, 'BadRequest');
  });

  it('an empty body declared as JSON answers 400 BadRequest', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').set('content-type', 'application/json').send('');
    expectError(res, 400, 'BadRequest');
  });

  it('a body over 64 KiB answers 413 PayloadTooLarge', async () => {
    const res = await request(t.url)
      .post('/api/v1/auth/login')
      .send({ email: 'admin@example.com', password: 'x'.repeat(65 * 1024) });
    expectError(res, 413, 'PayloadTooLarge');
  });

  it('a body just under 64 KiB is parsed (and then validated)', async () => {
    const res = await request(t.url)
      .post('/api/v1/auth/login')
      .send({ email: 'admin@example.com', password: 'x'.repeat(60 * 1024) });
    const body = expectError(res, 422, 'ValidationError');
    expect(body.details).toEqual([{ field: 'password', message: expect.any(String) }]);
  });

  it('unknown body fields answer 422 ValidationError with one detail per field', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').send({ email: 'admin@example.com', password: 'long enough password', isAdmin: true, role: 'admin' });
    const body = expectError(res, 422, 'ValidationError');
    const details = body.details as { field: string; message: string }[];
    expect(details).toHaveLength(2);
    expect(details.map((d) => d.field).sort()).toEqual(['isAdmin', 'role']);
    for (const detail of details) expect(detail.message).toEqual(expect.any(String));
  });

  it('wrong types answer 422 ValidationError with details naming the fields', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').send({ email: 12345, password: ['a'] });
    const body = expectError(res, 422, 'ValidationError');
    const details = body.details as { field: string; message: string }[];
    expect(details.map((d) => d.field).sort()).toEqual(['email', 'password']);
    expect(details.find((d) => d.field === 'email')?.message).toMatch(/string/);
  });

  it('a JSON body that is not an object answers 422, not 500', async () => {
    for (const raw of ['null', '[]', '"text"', '42']) {
      const res = await request(t.url).post('/api/v1/auth/login').set('content-type', 'application/json').send(raw);
      const body = expectError(res, 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field).sort(), raw).toEqual(['email', 'password']);
    }
  });

  it('a deeply nested JSON body answers 422, not 500', async () => {
    const deepArray = '['.repeat(5000) + ']'.repeat(5000);
    expectError(await request(t.url).post('/api/v1/auth/login').set('content-type', 'application/json').send(deepArray), 422, 'ValidationError');
    const deepObject = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    expectError(await request(t.url).post('/api/v1/organizations').set(auth(admin.token)).set('content-type', 'application/json').send(deepObject), 422, 'ValidationError');
  });

  it('a malformed UUID path parameter answers 400 BadRequest', async () => {
    const res = await request(t.url).get('/api/v1/identities/not-a-uuid').set(auth(admin.token));
    expectError(res, 400, 'BadRequest');
    const list = await request(t.url).get('/api/v1/organizations/123/identities').set(auth(admin.token));
    expectError(list, 400, 'BadRequest');
  });

  it('a badly percent-encoded or over-long path answers 400 BadRequest in the error shape', async () => {
    expectError(await request(t.url).get('/api/v1/identities/%FF').set(auth(admin.token)), 400, 'BadRequest');
    expectError(await request(t.url).get('/api/%'), 400, 'BadRequest');
    expectError(await request(t.url).get(`/api/v1/identities/${'a'.repeat(300)}`).set(auth(admin.token)), 400, 'BadRequest');
  });

  it('a well-formed but unknown identity id answers 404 IdentityNotFound', async () => {
    const res = await request(t.url).get(`/api/v1/identities/${randomUUID()}`).set(auth(admin.token));
    expectError(res, 404, 'IdentityNotFound');
  });

  it('bad list parameters answer 422 with details', async () => {
    const res = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/identities?offset=-1&limit=201`).set(auth(admin.token));
    const body = expectError(res, 422, 'ValidationError');
    expect((body.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['limit', 'offset']);
  });
});

describe('request ids', () => {
  it('a sane X-Request-Id is echoed in the header and the error body', async () => {
    const given = 'client-req.42:abc_DEF';
    const res = await request(t.url).get('/api/v1/nope').set('X-Request-Id', given);
    expect(res.headers['x-request-id']).toBe(given);
    expect(expectError(res, 404, 'NotFound').reqId).toBe(given);
    const ok = await request(t.url).get('/api/status').set('X-Request-Id', given);
    expect(ok.headers['x-request-id']).toBe(given);
  });

  it('an insane X-Request-Id is replaced by a fresh one', async () => {
    for (const given of ['x'.repeat(300), 'has spaces in it', 'new\tline', '<script>']) {
      const res = await request(t.url).get('/api/v1/nope').set('X-Request-Id', given);
      const body = expectError(res, 404, 'NotFound');
      expect(res.headers['x-request-id'], given).not.toBe(given);
      expect(body.reqId, given).toMatch(UUID);
    }
  });

  it('every response gets a distinct request id', async () => {
    const [a, b] = await Promise.all([request(t.url).get('/api/status'), request(t.url).get('/api/status')]);
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});

// Last: it takes the database away from this file's app.
describe('readiness without a database', () => {
  it('GET /api/status/ready answers 503 DatabaseUnavailable and liveness stays 200', async () => {
    await t.app.get(DataSource).destroy();
    const ready = await request(t.url).get('/api/status/ready');
    expectError(ready, 503, 'DatabaseUnavailable');
    const live = await request(t.url).get('/api/status');
    expect(live.status).toBe(200);
  });
});
