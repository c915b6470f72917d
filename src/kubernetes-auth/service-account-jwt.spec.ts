import { describe, expect, it } from 'vitest';
import { decodeServiceAccountJwt } from './service-account-jwt.js';

const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: unknown, header: unknown = { alg: 'RS256', kid: 'k' }): string => `${enc(header)}.${enc(payload)}.c2ln`;

describe('decodeServiceAccountJwt', () => {
  it('reads the projected layout', () => {
    const claims = decodeServiceAccountJwt(
      jwt({ aud: ['zerokey', 'api'], exp: 100, 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'checkout', uid: 'u1' }, pod: { name: 'p', uid: 'pu' } } }),
    );
    expect(claims).toEqual({ namespace: 'shop', name: 'checkout', uid: 'u1', podName: 'p', podUid: 'pu', audiences: ['zerokey', 'api'], exp: 100, legacy: false });
  });

  it('reads the legacy layout (no aud, no exp)', () => {
    const claims = decodeServiceAccountJwt(
      jwt({ 'kubernetes.io/serviceaccount/namespace': 'shop', 'kubernetes.io/serviceaccount/service-account.name': 'checkout', 'kubernetes.io/serviceaccount/service-account.uid': 'u1' }),
    );
    expect(claims).toMatchObject({ namespace: 'shop', name: 'checkout', uid: 'u1', audiences: [], exp: undefined, legacy: true });
  });

  it('a string aud counts as one audience', () => {
    expect(decodeServiceAccountJwt(jwt({ aud: 'zerokey', 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 'b' } } })).audiences).toEqual(['zerokey']);
  });

  it.each([
    ['', 'empty'],
    ['a.b', 'two parts'],
    ['a.b.c.d', 'four parts'],
    [`${enc({ alg: 'none' })}.${enc({ 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 'b' } } })}.`, 'alg none'],
    [jwt({ sub: 'system:serviceaccount:a:b' }), 'no claims'],
    [jwt({ 'kubernetes.io': { namespace: '', serviceaccount: { name: 'b' } } }), 'empty namespace'],
    [jwt({ 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 42 } } }), 'numeric name'],
    [jwt([1, 2]), 'array payload'],
    [`${enc({ alg: 'RS256' })}.%%%.c2ln`, 'not base64url'],
  ])('refuses %s (%s) with InvalidServiceAccountToken', (token) => {
    expect(() => decodeServiceAccountJwt(token)).toThrow(expect.objectContaining({ code: 'InvalidServiceAccountToken' }));
  });
});
