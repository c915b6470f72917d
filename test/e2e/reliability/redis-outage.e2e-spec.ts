import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../support/api-client.js';
import { freePort } from '../../support/ports.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * Issue 14, "Redis down": rate limits and the session back-off used to turn off silently while
 * readiness said ready. Now, with Redis gone, each replica counts in memory (limits still hold),
 * readiness says `rateLimits: "memory-fallback"`, /metrics shows it, and once Redis is back the
 * shared counters are used again. A private redis-server of our own is stopped and started.
 */

const REDIS = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

let port: number;
let redis: ChildProcess | undefined;
let app: TestApp;

async function startRedis(): Promise<void> {
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', reject);
  });
  redis = child;
}

async function stopRedis(): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const exited = new Promise((resolve) => redis!.once('exit', resolve));
  redis.kill('SIGKILL');
  await exited;
}

const ready = async (): Promise<Record<string, unknown>> => {
  const res = await request(app.url).get('/api/status/ready');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const metric = async (name: string): Promise<number> => {
  const text = (await request(app.url).get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
};
const randomIp = (): string => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
/** Four revokes from one address; with LOGIN_RATE_LIMIT=3 the fourth must be limited. */
async function fourthIsLimited(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
  const ip = randomIp();
  const hit = (): request.Test => request(app.url).post('/api/v1/auth/token/revoke').set('X-Forwarded-For', ip).send({ accessToken: 'not-a-token' });
  for (let i = 0; i < 3; i++) expectError(await hit(), 401, 'InvalidAccessToken');
  expectError(await hit(), 429, 'RateLimited');
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
  app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, LOGIN_RATE_LIMIT: '3', TRUST_PROXY: 'true' });
}, 30_000);

afterAll(async () => {
  await app?.close();
  await stopRedis();
});

describe('Redis outage', () => {
  it('with Redis up, the counters are shared (readiness says redis)', async () => {
    expect(await ready()).toMatchObject({ status: 'ready', database: 'up', rateLimits: 'redis' });
    await fourthIsLimited();
    expect(await metric('zerokey_rate_limit_degraded')).toBe(0);
  });

  it('with Redis gone, limits still hold per replica, readiness and /metrics say so', async () => {
    await stopRedis();
    await fourthIsLimited();
    expect(await ready()).toMatchObject({ status: 'ready', rateLimits: 'memory-fallback' });
    expect(await metric('zerokey_rate_limit_degraded')).toBe(1);
    expect(await metric('zerokey_rate_limit_fallbacks_total')).toBeGreaterThanOrEqual(4);
  });

  it('once Redis is back, the shared counters are used again', async () => {
    await startRedis();
    // ioredis reconnects on its own; the store tries Redis again a few seconds after a failure.
    const deadline = Date.now() + 20_000;
    let state = '';
    while (Date.now() < deadline) {
      await request(app.url).post('/api/v1/auth/token/revoke').set('X-Forwarded-For', randomIp()).send({ accessToken: 'x' });
      state = String((await ready()).rateLimits);
      if (state === 'redis') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(state).toBe('redis');
    await fourthIsLimited();
    expect(await metric('zerokey_rate_limit_degraded')).toBe(0);
  }, 30_000);
});
