import { describe, expect, it } from 'vitest';
import { interpret } from './token-agent.js';

const jwt = (claims: Record<string, unknown>): string => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('interpret', () => {
  it('times a login from expiresIn, bounded by the JWT exp, and its max TTL from iat', () => {
    const sentAt = 1_000_500;
    const r = interpret('login', { status: 200, retryAfter: undefined, body: { accessToken: jwt({ iat: 1000, exp: 1002 }), expiresIn: 2, accessTokenMaxTTL: 5, tokenType: 'Bearer' } }, sentAt, undefined);
    expect(r).toEqual({ kind: 'ok', token: { accessToken: expect.any(String), obtainedAt: sentAt, expiresAt: 1_002_000, maxExpiresAt: 1_005_000 } });
  });

  it('keeps the max expiry of the login across renewals; no max TTL means none', () => {
    const previous = { accessToken: 'a', obtainedAt: 0, expiresAt: 1, maxExpiresAt: 42_000 };
    const renewed = interpret('renew', { status: 200, retryAfter: undefined, body: { accessToken: 'opaque', expiresIn: 10, accessTokenMaxTTL: 0 } }, 5000, previous);
    expect(renewed).toMatchObject({ kind: 'ok', token: { expiresAt: 15_000, maxExpiresAt: 42_000 } });
    const login = interpret('login', { status: 200, retryAfter: undefined, body: { accessToken: 'opaque', expiresIn: 10, accessTokenMaxTTL: 0 } }, 5000, undefined);
    expect(login).toMatchObject({ kind: 'ok', token: { maxExpiresAt: undefined } });
  });

  it('retries 429 (with Retry-After) and 5xx, refuses other 4xx by code', () => {
    expect(interpret('login', { status: 429, retryAfter: '3', body: { error: 'RateLimited' } }, 0, undefined)).toEqual({ kind: 'retry', code: 'RateLimited', retryAfterMs: 3000 });
    expect(interpret('login', { status: 502, retryAfter: undefined, body: undefined }, 0, undefined)).toEqual({ kind: 'retry', code: 'HTTP502', retryAfterMs: undefined });
    expect(interpret('renew', { status: 401, retryAfter: undefined, body: { error: 'AccessTokenMaxTtlReached' } }, 0, undefined)).toEqual({ kind: 'refused', status: 401, code: 'AccessTokenMaxTtlReached' });
  });

  it('treats a 200 without a usable token as a transient failure', () => {
    expect(interpret('login', { status: 200, retryAfter: undefined, body: { accessToken: '', expiresIn: 5 } }, 0, undefined)).toEqual({ kind: 'retry', code: 'MalformedResponse' });
    expect(interpret('login', { status: 200, retryAfter: undefined, body: undefined }, 0, undefined)).toEqual({ kind: 'retry', code: 'MalformedResponse' });
  });
});
