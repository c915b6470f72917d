import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../support/api-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('security headers, CORS and content types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://dashboard.example.com' });
  });
  afterAll(async () => t?.close());

  it('sends security headers on API answers and on errors', async () => {
    for (const res of [await request(t.url).get('/api/status'), await request(t.url).get('/api/nope')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('serves the Swagger UI with its scripts from the same origin', async () => {
    const res = await request(t.url).get('/api/docs');
    expect(res.status).toBe(200);
    const scripts = [...res.text.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(src.startsWith('http')).toBe(false);
  });

  it('allows CORS only for the configured origins', async () => {
    const allowed = await request(t.url).options('/api/v1/auth/login').set('Origin', 'https://dashboard.example.com').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dashboard.example.com');
    const other = await request(t.url).get('/api/status').set('Origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await request(t.url).get('/api/status').set('Origin', 'https://dashboard.example.com');
    expect(simple.headers['access-control-allow-origin']).toBe('https://dashboard.example.com');
    expect(simple.headers['access-control-expose-headers']).toContain('X-Request-Id');
  });

  it.each([
    ['application/x-www-form-urlencoded', 'email=a%40b.co&password=x'],
    ['text/plain', '{"email":"a@b.co","password":"x"}'],
    ['application/xml', '<login/>'],
  ])('refuses a %s body with 415', async (type, body) => {
    expectError(await request(t.url).post('/api/v1/auth/login').set('Content-Type', type).send(body), 415, 'UnsupportedMediaType');
  });

  it('still takes JSON, also with a charset', async () => {
    const res = await request(t.url).post('/api/v1/auth/login').set('Content-Type', 'application/json; charset=utf-8').send('{"email":"nobody@example.com","password":"whatever-long"}');
    expectError(res, 401, 'InvalidCredentials');
  });
});

describe('CORS off by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('answers no CORS headers without CORS_ORIGINS', async () => {
    const res = await request(t.url).get('/api/status').set('Origin', 'https://dashboard.example.com');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('TRUST_PROXY as a hop count', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(async () => t?.close());

  it('takes the address the trusted proxy appended, not one the client wrote', async () => {
    const admin = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'ops@example.com', password: 'correct horse battery staple', organization: 'Ops' });
    await request(t.url).post('/api/v1/auth/login').set('X-Forwarded-For', '6.6.6.6, 10.1.2.3').send({ email: 'ops@example.com', password: 'not the password' });
    const logs = await request(t.url).get('/api/v1/admin/audit-logs').query({ event: 'auth.login', outcome: 'failure' }).set('Authorization', `Bearer ${admin.body.accessToken}`);
    expect(logs.body.auditLogs.map((l: { ip: string }) => l.ip)).toEqual(['10.1.2.3']);
  });
});
