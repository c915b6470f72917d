import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../support/kubernetes-fixture.js';

/** The value of one sample line of the Prometheus text, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

describe('GET /metrics', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => w?.close());

  const scrape = async (): Promise<string> => {
    const res = await request(w.t.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return res.text;
  };

  it('counts logins by method, outcome and code; token validations; HTTP durations; TokenReviews; process metrics', async () => {
    const identityId = await identityWithConfig(w);
    const before = await scrape();
    const ok = await login(w, identityId, checkoutToken(w));
    expect(ok.status).toBe(200);
    expect((await login(w, identityId, checkoutToken(w, { audience: 'other' }))).status).toBe(401);
    expect((await login(w, identityId, checkoutToken(w, { foreignKey: true }))).status).toBe(401);
    expect((await request(w.t.url).get('/api/v1/auth/token/self').set(auth(ok.body.accessToken))).status).toBe(200);
    expect((await request(w.t.url).get('/api/v1/auth/token/self').set(auth('garbage'))).status).toBe(401);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>): number => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('zerokey_login_attempts_total', { method: 'kubernetes', outcome: 'success', code: '' })).toBe(1);
    expect(delta('zerokey_login_attempts_total', { method: 'kubernetes', outcome: 'failure', code: 'AudienceNotAllowed' })).toBe(1);
    expect(delta('zerokey_login_attempts_total', { method: 'kubernetes', outcome: 'failure', code: 'ServiceAccountTokenRejected' })).toBe(1);
    expect(delta('zerokey_access_token_validations_total', { outcome: 'valid' })).toBeGreaterThanOrEqual(1);
    expect(delta('zerokey_access_token_validations_total', { outcome: 'InvalidAccessToken' })).toBe(1);
    expect(delta('zerokey_http_request_duration_seconds_count', { route: '/api/v1/auth/kubernetes-auth/login', status: '200' })).toBe(1);
    expect(delta('zerokey_http_request_duration_seconds_count', { route: '/api/v1/auth/kubernetes-auth/login', status: '401' })).toBe(2);
    expect(delta('zerokey_tokenreview_duration_seconds_count', { result: 'ok' })).toBe(2);
    expect(after).toContain('zerokey_process_cpu_seconds_total');
    expect(after).toContain('zerokey_nodejs_heap_size_used_bytes');
    expect(after).not.toContain(ok.body.accessToken);
  });

  it('counts TokenReview errors by code', async () => {
    const identityId = await identityWithConfig(w, { tokenReviewerJwt: 'bogus-reviewer' });
    const before = await scrape();
    expect((await login(w, identityId, checkoutToken(w))).status).toBe(502);
    const after = await scrape();
    expect(sample(after, 'zerokey_tokenreview_errors_total', { code: 'TokenReviewerUnauthorized' }) - sample(before, 'zerokey_tokenreview_errors_total', { code: 'TokenReviewerUnauthorized' })).toBe(1);
  });
});
