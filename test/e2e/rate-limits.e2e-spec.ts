import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { JwtService } from '@nestjs/jwt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auth, bootstrap, expectError, PASSWORD } from '../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../support/kubernetes-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Limits count in fixed one-minute windows (on the wall clock's minutes): a burst that must land in
 * one window starts no later than 45 s into the current minute, else at the start of the next.
 */
async function insideOneWindow(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
}

/** A random client address, so counters never collide between runs that share a Redis. */
const randomIp = (): string => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

describe('rate limits (in memory)', () => {
  let w: KubernetesWorld;
  let identityId: string;
  beforeAll(async () => {
    w = await startKubernetesWorld({ LOGIN_RATE_LIMIT: '3', TRUST_PROXY: 'true' });
    identityId = await identityWithConfig(w);
  });
  afterAll(async () => w?.close());

  it('login, renew and revoke share one bucket per client IP; the 4th answers 429 with Retry-After, before any TokenReview', async () => {
    await insideOneWindow();
    const ip = randomIp();
    const first = await login(w, identityId, checkoutToken(w), { 'X-Forwarded-For': ip });
    expect(first.status).toBe(200);
    const renew = await request(w.t.url).post('/api/v1/auth/token/renew').set('X-Forwarded-For', ip).send({ accessToken: first.body.accessToken });
    expect(renew.status).toBe(200);
    expect((await request(w.t.url).post('/api/v1/auth/token/revoke').set('X-Forwarded-For', ip).send({ accessToken: first.body.accessToken })).status).toBe(200);
    const reviews = w.sim.counters.tokenReviews;
    const limited = await login(w, identityId, checkoutToken(w), { 'X-Forwarded-For': ip });
    expectError(limited, 429, 'RateLimited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(w.sim.counters.tokenReviews).toBe(reviews);
    expectError(await request(w.t.url).post('/api/v1/auth/token/renew').set('X-Forwarded-For', ip).send({ accessToken: 'x' }), 429, 'RateLimited');
    expect((await login(w, identityId, checkoutToken(w), { 'X-Forwarded-For': randomIp() })).status).toBe(200);
  });

  it('limits each identity too, whatever the address', async () => {
    await insideOneWindow();
    const id = await identityWithConfig(w);
    for (let i = 0; i < 3; i++) expect((await login(w, id, checkoutToken(w), { 'X-Forwarded-For': randomIp() })).status).toBe(200);
    expectError(await login(w, id, checkoutToken(w), { 'X-Forwarded-For': randomIp() }), 429, 'RateLimited');
  });

  it('an identity id in upper case names the same identity and the same bucket (ids are lower-cased at the edge)', async () => {
    await insideOneWindow();
    const id = await identityWithConfig(w);
    const spellings = [id.toUpperCase(), id, id.replace(/[a-f]/, (c) => c.toUpperCase())];
    for (const spelling of spellings) {
      const res = await login(w, spelling, checkoutToken(w), { 'X-Forwarded-For': randomIp() });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString()).sub).toBe(id);
    }
    expectError(await login(w, id.toUpperCase(), checkoutToken(w), { 'X-Forwarded-For': randomIp() }), 429, 'RateLimited');
    // Path parameters too: the identity answers under its upper-case id, as itself.
    const read = await request(w.t.url).get(`/api/v1/identities/${id.toUpperCase()}`).set(auth(w.admin.token));
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.identity.id).toBe(id);
  });

  it('invalid bearers: after LOGIN_RATE_LIMIT of them, an IP gets 429 without any signature check until the minute ends; verified tokens keep working', async () => {
    await insideOneWindow();
    const ip = randomIp();
    const self = (token: string, from = ip): request.Test => request(w.t.url).get('/api/v1/auth/token/self').set('X-Forwarded-For', from).set(auth(token));
    const [h, p] = w.admin.token.split('.');
    const forged = (n: number): string => `${h}.${p}.${Buffer.alloc(64, n + 1).toString('base64url')}`;
    expect((await self(w.admin.token)).status).toBe(200);
    const fresh = await request(w.t.url).post('/api/v1/auth/login').set('X-Forwarded-For', randomIp()).send({ email: 'admin@example.com', password: PASSWORD });
    expect(fresh.status).toBe(200);
    const verify = vi.spyOn(w.t.app.get(JwtService), 'verifyAsync');
    try {
      for (let i = 0; i < 3; i++) expectError(await self(forged(i)), 401, 'InvalidAccessToken');
      expect(verify).toHaveBeenCalledTimes(3);
      const limited = expectError(await self(forged(3)), 429, 'RateLimited');
      expect(limited.message).toContain('invalid access tokens');
      expect(Number((await self(forged(4))).headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // A genuine token this replica has not verified yet waits too; one it has verified does not.
      expectError(await self(fresh.body.accessToken), 429, 'RateLimited');
      expect(verify).toHaveBeenCalledTimes(3);
      expect((await self(w.admin.token)).status).toBe(200);
      // Other addresses are not affected.
      expectError(await self(forged(5), randomIp()), 401, 'InvalidAccessToken');
      expect((await self(fresh.body.accessToken, randomIp())).status).toBe(200);
    } finally {
      verify.mockRestore();
    }
  });

  it('guards session login and bootstrap per IP', async () => {
    await insideOneWindow();
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expectError(await request(w.t.url).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email: `x${i}@example.com`, password: 'whatever-long' }), 401, 'InvalidCredentials');
    expectError(await request(w.t.url).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email: 'admin@example.com', password: PASSWORD }), 429, 'RateLimited');
    expectError(await request(w.t.url).post('/api/v1/admin/bootstrap').set('X-Forwarded-For', ip).send({ email: 'y@example.com', password: PASSWORD, organization: 'Y' }), 429, 'RateLimited');
  });
});

describe('session login back-off per account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
    await bootstrap(t, 'owner@example.com');
  });
  afterAll(async () => t?.close());

  it('after five failures in a row the account waits, even with the right password, then recovers', async () => {
    const attempt = (password: string): request.Test => request(t.url).post('/api/v1/auth/login').set('X-Forwarded-For', randomIp()).send({ email: 'owner@example.com', password });
    for (let i = 0; i < 6; i++) expectError(await attempt('wrong password value'), 401, 'InvalidCredentials');
    const locked = expectError(await attempt(PASSWORD), 429, 'RateLimited');
    expect(locked.message).toContain('failed logins');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await attempt(PASSWORD)).status).toBe(200);
    expectError(await attempt('wrong password value'), 401, 'InvalidCredentials');
  });
});

describe('rate limits shared through Redis by two replicas', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', LOGIN_RATE_LIMIT: '4', TRUST_PROXY: 'true' };
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts requests to either replica in the same bucket', async () => {
    await insideOneWindow();
    const ip = randomIp();
    const hit = (t: TestApp): request.Test => request(t.url).post('/api/v1/auth/token/revoke').set('X-Forwarded-For', ip).send({ accessToken: 'not-a-token' });
    for (const t of [a, b, a, b]) expectError(await hit(t), 401, 'InvalidAccessToken');
    expectError(await hit(a), 429, 'RateLimited');
    expectError(await hit(b), 429, 'RateLimited');
  });
});
