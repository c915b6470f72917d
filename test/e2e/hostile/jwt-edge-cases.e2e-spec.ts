import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokensService } from '../../../src/access-tokens/access-tokens.service.js';
import { SigningKeysService } from '../../../src/access-tokens/signing-keys.service.js';
import { auth, decodeJwt, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/*
 * JWT edge cases against the three places that take one: the bearer guard (every protected route),
 * renew/revoke (public, the token in the body) and the Kubernetes login's `jwt` field. Extends
 * organizations-and-guard.e2e-spec.ts (alg none, HS256 keyed with the JWK JSON, unknown kid,
 * foreign key with the same kid) and kubernetes/login-steps.e2e-spec.ts (garbage, alg none,
 * non-JSON payload). "Signed by the real key" cases prove a defect is refused on its own merit,
 * not because of the signature.
 */

const enc = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const b64 = (value: unknown): string => enc(JSON.stringify(value));

function es256(headerSegment: string, payloadSegment: string, key: KeyObject): string {
  const input = `${headerSegment}.${payloadSegment}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function hmac(alg: 'HS256' | 'HS384' | 'HS512', headerSegment: string, payloadSegment: string, secret: string | Buffer): string {
  const input = `${headerSegment}.${payloadSegment}`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url')}`;
}

/** `[[[…]]]` nested `depth` deep: a JSON bomb for recursive parsers. */
const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

let w: KubernetesWorld;
let realKey: KeyObject;
let kid: string;
let adminClaims: Record<string, unknown>;
let identityId: string;
let everyoneId: string;
let strictId: string;
let identityToken: string;

beforeAll(async () => {
  w = await startKubernetesWorld();
  const current = w.t.app.get(SigningKeysService).current();
  realKey = current.privateKey;
  kid = current.kid;
  adminClaims = decodeJwt(w.admin.token);
  identityId = await identityWithConfig(w);
  everyoneId = await identityWithConfig(w, { allowedNamespaces: '*' });
  strictId = await identityWithConfig(w, { allowedNamespaces: 'shop', allowedNames: 'checkout' });
  const res = await login(w, identityId, checkoutToken(w));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  identityToken = res.body.accessToken;
});

afterAll(async () => {
  await w?.close();
});

const guard = (token: string): request.Test => request(w.t.url).get('/api/v1/auth/token/self').set('Authorization', `Bearer ${token}`);
const renew = (token: string): request.Test => request(w.t.url).post('/api/v1/auth/token/renew').send({ accessToken: token });
const revoke = (token: string): request.Test => request(w.t.url).post('/api/v1/auth/token/revoke').send({ accessToken: token });

/** The same verdict everywhere a Zerokey access token is accepted. */
async function refusedEverywhere(token: string, label: string): Promise<void> {
  for (const [where, call] of [
    ['guard', guard],
    ['renew', renew],
    ['revoke', revoke],
  ] as const) {
    const res = await call(token);
    if (res.status !== 401 || res.body.error !== 'InvalidAccessToken') throw new Error(`${label} at ${where}: ${res.status} ${JSON.stringify(res.body)}`);
    expectError(res, 401, 'InvalidAccessToken');
  }
}

describe('access tokens: forgeries and malformations answer 401 InvalidAccessToken at the guard, renew and revoke', () => {
  it('alg none in any spelling, with or without the original signature', async () => {
    const [, payload, signature] = w.admin.token.split('.');
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await refusedEverywhere(`${b64({ alg, kid, typ: 'JWT' })}.${payload}.`, `alg ${alg}`);
      await refusedEverywhere(`${b64({ alg, kid, typ: 'JWT' })}.${payload}.${signature}`, `alg ${alg} with a signature`);
    }
    await refusedEverywhere(`${b64({ kid })}.${payload}.`, 'no alg at all');
  });

  it('HS256/384/512 keyed with the published public key in every usual encoding', async () => {
    const jwks = (await request(w.t.url).get('/.well-known/jwks.json')).body as { keys: Record<string, string>[] };
    const jwk = jwks.keys.find((k) => k.kid === kid)!;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const x = Buffer.from(jwk.x, 'base64url');
    const y = Buffer.from(jwk.y, 'base64url');
    const secrets: [string, string | Buffer][] = [
      ['JWK JSON', JSON.stringify(jwk)],
      ['x (base64url text)', jwk.x],
      ['y (base64url text)', jwk.y],
      ['x+y text', jwk.x + jwk.y],
      ['x bytes', x],
      ['y bytes', y],
      ['x||y bytes', Buffer.concat([x, y])],
      ['uncompressed point 04||x||y', Buffer.concat([Buffer.from([4]), x, y])],
      ['SPKI PEM', publicKey.export({ format: 'pem', type: 'spki' }).toString()],
      ['SPKI DER', publicKey.export({ format: 'der', type: 'spki' })],
      ['SPKI DER base64', publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
      ['kid', kid],
    ];
    const payload = b64(adminClaims);
    for (const [label, secret] of secrets) {
      for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
        await refusedEverywhere(hmac(alg, b64({ alg, kid, typ: 'JWT' }), payload, secret), `${alg} keyed with ${label}`);
      }
    }
  });

  it('the real key’s signature under another alg name, and an attacker key embedded in the header (jwk, jku, x5u)', async () => {
    const payload = b64(adminClaims);
    for (const alg of ['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'ES256K', 'es256', 'ES256 ', '']) {
      await refusedEverywhere(es256(b64({ alg, kid, typ: 'JWT' }), payload, realKey), `real key, alg ${JSON.stringify(alg)}`);
    }
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
    for (const extra of [{ jwk: attackerJwk }, { jku: 'http://127.0.0.1:1/jwks.json' }, { x5u: 'http://127.0.0.1:1/cert.pem' }, { jwk: attackerJwk, kid: undefined }]) {
      await refusedEverywhere(es256(b64({ alg: 'ES256', kid, ...extra }), payload, attacker.privateKey), `attacker key via ${Object.keys(extra).join(',')}`);
    }
  });

  it('a wrong kid, even on a token the real key signed: unknown, empty, traversal, SQL, NUL, unicode, non-strings', async () => {
    const payload = b64(adminClaims);
    const kids: unknown[] = [
      randomUUID(),
      '',
      'x'.repeat(65),
      '../../../../etc/passwd',
      '/dev/zero',
      '..\\..\\windows\\win.ini',
      "' OR '1'='1",
      `${kid}' --`,
      '"; DROP TABLE signing_keys; --',
      `${kid}\u0000`,
      '\u0000',
      '🔑',
      `${kid} `,
      kid.toUpperCase() === kid ? kid.toLowerCase() : kid.toUpperCase(),
      null,
      42,
      [kid],
      { $ne: null },
      { toString: kid },
    ];
    for (const value of kids) {
      await refusedEverywhere(es256(b64({ alg: 'ES256', kid: value, typ: 'JWT' }), payload, realKey), `kid ${JSON.stringify(value)}`);
    }
    await refusedEverywhere(es256(b64({ alg: 'ES256', typ: 'JWT' }), payload, realKey), 'no kid');
    // The service still answers normally afterwards (no reload storm, no poisoned cache).
    expect((await guard(w.admin.token)).status).toBe(200);
  });

  it('a huge (~7 KB) header, forged or really signed, is refused before any JSON parsing', async () => {
    const payload = b64(adminClaims);
    const header = b64({ alg: 'ES256', kid, typ: 'JWT', pad: 'x'.repeat(5200) });
    const signed = es256(header, payload, realKey);
    expect(signed.length).toBeGreaterThan(7000);
    expect(signed.length).toBeLessThanOrEqual(8192);
    await refusedEverywhere(signed, 'really signed, 7 KB header');
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await refusedEverywhere(es256(header, payload, attacker.privateKey), 'forged, 7 KB header');
  });

  it('nested JSON bombs in the header or the payload', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bombHeader = enc(`{"alg":"ES256","kid":"${kid}","x":${deepArray(2500)}}`);
    await refusedEverywhere(es256(bombHeader, b64(adminClaims), realKey), 'deep array in the header, real key');
    const bombPayload = enc(JSON.stringify(adminClaims).replace(/}$/, `,"x":${deepArray(2600)}}`));
    await refusedEverywhere(es256(b64({ alg: 'ES256', kid }), bombPayload, attacker.privateKey), 'deep array in the payload, attacker key');
    await refusedEverywhere(es256(b64({ alg: 'ES256', kid }), enc(deepArray(3000)), realKey), 'the payload is a deep array, real key');
    // Really signed, valid claims, a bomb beside them: the signature holds, so the only question is
    // that it is handled (it names no live token: 401, never a 5xx).
    const signedBomb = es256(b64({ alg: 'ES256', kid }), enc(JSON.stringify({ ...adminClaims, jti: randomUUID() }).replace(/}$/, `,"x":${deepArray(2600)}}`)), realKey);
    expectError(await guard(signedBomb), 401, 'AccessTokenRevoked');
  });

  it('a payload that is not a JSON object, even really signed', async () => {
    const header = b64({ alg: 'ES256', kid, typ: 'JWT' });
    for (const payload of ['"a string"', '123', '[]', 'null', 'true', `[${JSON.stringify(adminClaims)}]`, '{', 'not json', '']) {
      await refusedEverywhere(es256(header, enc(payload), realKey), `payload ${payload.slice(0, 30)}`);
    }
  });

  it('claims of the wrong type, even really signed', async () => {
    const header = b64({ alg: 'ES256', kid, typ: 'JWT' });
    const variants: Record<string, unknown>[] = [
      { ...adminClaims, jti: 42 },
      { ...adminClaims, jti: null },
      { ...adminClaims, sub: undefined },
      { ...adminClaims, exp: String(adminClaims.exp) },
      { ...adminClaims, exp: undefined },
      { ...adminClaims, iss: undefined },
      { ...adminClaims, iss: ['http://localhost:8080'] },
      { ...adminClaims, nbf: Math.floor(Date.now() / 1000) + 3600 },
    ];
    for (const claims of variants) await refusedEverywhere(es256(header, b64(claims), realKey), `claims ${JSON.stringify(claims).slice(0, 80)}`);
  });

  it('base64 padding, standard-alphabet and segment tricks on a genuine token', async () => {
    const [h, p, s] = w.admin.token.split('.');
    const standard = (segment: string): string => Buffer.from(segment, 'base64url').toString('base64');
    const variants = [
      `${h}=.${p}.${s}`,
      `${h}.${p}==.${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s}==`,
      `${standard(h)}.${standard(p)}.${standard(s)}`,
      `${h}.${p}.${standard(s)}`,
      `${h}.${p}.${s}.`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}`,
      `.${h}.${p}.${s}`,
      `${h}..${p}.${s}`,
      `${h}.${p}.`,
      `${h}.${p}.${s.slice(0, -4)}`,
      `${h}.${p}.${s}AAAA`,
      `${h}.${p}.${Buffer.from(s, 'base64url').toString('hex')}`,
      `${h}.${p}.%${s}`,
    ];
    for (const token of variants) await refusedEverywhere(token, `variant ${token.slice(0, 12)}…${token.slice(-12)}`);
  });

  it('a signature re-encoded with other unused bits in its last base64url character is the same signature: same token, same jti, revoked together', async () => {
    // 64 signature bytes take 85⅓ base64url characters: the last one carries 4 bits nobody reads.
    // Such a string decodes to the very same bytes, so it verifies; it is not a new credential.
    const { accessToken } = await w.t.app.get(AccessTokensService).issue({ userId: w.admin.userId, orgId: null, authConfigId: null, authMethod: 'session', ttl: 600, maxTtl: 600, numUsesLimit: 0, clientIp: null, subject: null, trustedIps: null });
    const [h, p, s] = accessToken.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1)!);
    const twin = `${h}.${p}.${s.slice(0, -1)}${alphabet[(last & 0b110000) | ((last + 1) & 0b001111)]}`;
    expect(twin).not.toBe(accessToken);
    expect(Buffer.from(twin.split('.')[2], 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    const self = await guard(twin);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ type: 'user', user: { id: w.admin.userId } });
    expect((await revoke(accessToken)).status).toBe(200);
    expectError(await guard(twin), 401, 'AccessTokenRevoked');
  });

  it('whitespace and control characters around or inside the bearer', async () => {
    const token = w.admin.token;
    const [h, p, s] = token.split('.');
    // Not one `Bearer <token>` header value: no bearer at all.
    for (const header of [`Bearer ${h}. ${p}.${s}`, `Bearer ${token} extra`, `${token}`, `Bearer: ${token}`, `Bearer ${token},${token}`, `Bearer ${token}\u00ff`]) {
      const res = await request(w.t.url).get('/api/v1/auth/token/self').set('Authorization', header);
      expect([401], header).toContain(res.status);
      expect(['Unauthorized', 'InvalidAccessToken'], header).toContain(res.body.error);
    }
    // In a JSON body there is no header parsing to hide behind: the exact string must verify.
    for (const body of [` ${token}`, `${token} `, `${token}\n`, `${token}\u0000`, `\ufeff${token}`]) {
      expectError(await renew(body), 401, 'InvalidAccessToken');
      expectError(await revoke(body), 401, 'InvalidAccessToken');
    }
    // Surrounding whitespace is allowed by the scheme (RFC 7235) and the token still works.
    expect((await request(w.t.url).get('/api/v1/auth/token/self').set('Authorization', `Bearer   ${token}  `)).status).toBe(200);
    expect((await request(w.t.url).get('/api/v1/auth/token/self').set('Authorization', `bearer\t${token}`)).status).toBe(200);
  });

  it('a token of 8193 characters: 401 InvalidAccessToken at the guard, 422 ValidationError at renew and revoke', async () => {
    const long = `${w.admin.token}.${'x'.repeat(8192 - w.admin.token.length)}`;
    expect(long.length).toBe(8193);
    expectError(await guard(long), 401, 'InvalidAccessToken');
    for (const call of [renew, revoke]) {
      const body = expectError(await call(long), 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['accessToken']);
    }
    const limit = `${w.admin.token}.${'x'.repeat(8191 - w.admin.token.length)}`;
    expect(limit.length).toBe(8192);
    await refusedEverywhere(limit, 'a token of exactly 8192 characters');
  });

  it('after all of it the genuine tokens still work, and an identity token is no admin', async () => {
    expect((await guard(w.admin.token)).status).toBe(200);
    const self = await guard(identityToken);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ type: 'identity', identity: { id: identityId } });
    expectError(await request(w.t.url).post('/api/v1/admin/signing-keys/rotate').set(auth(identityToken)), 403, 'PermissionDenied');
  });
});

describe('Kubernetes login: hostile service-account JWTs', () => {
  const fake = (header: unknown, payload: unknown, signature = 'c2ln'): string => `${typeof header === 'string' ? enc(header) : b64(header)}.${typeof payload === 'string' ? enc(payload) : b64(payload)}.${signature}`;
  const claims = (namespace = 'shop', name = 'checkout', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    aud: ['zerokey'],
    exp: Math.floor(Date.now() / 1000) + 600,
    iss: 'https://kubernetes.default.svc.cluster.local',
    sub: `system:serviceaccount:${namespace}:${name}`,
    'kubernetes.io': { namespace, serviceaccount: { name, uid: randomUUID() } },
    ...extra,
  });

  async function reviewsDuring(fn: () => Promise<unknown>): Promise<number> {
    const before = w.sim.counters.tokenReviews;
    await fn();
    return w.sim.counters.tokenReviews - before;
  }

  /** Refused by the local pre-check: 401 InvalidServiceAccountToken and no TokenReview. */
  async function refusedLocally(jwt: string, label: string, target = identityId): Promise<void> {
    const reviews = await reviewsDuring(async () => {
      const res = await login(w, target, jwt);
      if (res.status !== 401 || res.body.error !== 'InvalidServiceAccountToken') throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
      expectError(res, 401, 'InvalidServiceAccountToken');
    });
    expect(reviews, label).toBe(0);
  }

  /** Well-formed enough for the pre-check; the cluster is the judge and says no. */
  async function rejectedByCluster(jwt: string, label: string, target = identityId): Promise<void> {
    const res = await login(w, target, jwt);
    if (res.status !== 401 || res.body.error !== 'ServiceAccountTokenRejected') throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
    expectError(res, 401, 'ServiceAccountTokenRejected');
  }

  it('headers that are not a JWS header: none, missing or non-string alg, not an object, not JSON', async () => {
    for (const header of [{ alg: 'none' }, {}, { alg: 42 }, { alg: null }, { alg: ['RS256'] }, '[]', '"RS256"', 'null', 'not json', deepArray(2000)]) {
      await refusedLocally(fake(header, claims()), `header ${JSON.stringify(header).slice(0, 40)}`);
    }
  });

  it('payloads that are not an object, or carry no service-account claims', async () => {
    for (const payload of ['"system:serviceaccount:shop:checkout"', '123', 'null', 'true', `[${JSON.stringify(claims())}]`, deepArray(3000), '{', '', JSON.stringify({ sub: 'system:serviceaccount:shop:checkout' })]) {
      await refusedLocally(fake({ alg: 'RS256', kid: 'x' }, payload), `payload ${payload.slice(0, 40)}`);
    }
    for (const bad of [{ namespace: 42 }, { namespace: '' }, { namespace: 'a'.repeat(254) }, { namespace: 'sh op' }, { namespace: 'shop/x' }, { namespace: 'shop\n' }]) {
      await refusedLocally(fake({ alg: 'RS256' }, { 'kubernetes.io': { ...bad, serviceaccount: { name: 'checkout' } } }), `claims ${JSON.stringify(bad)}`);
    }
  });

  it('base64 padding, standard alphabet, whitespace and segment-count tricks on a genuine token', async () => {
    const genuine = checkoutToken(w);
    const [h, p, s] = genuine.split('.');
    const standard = (segment: string): string => Buffer.from(segment, 'base64url').toString('base64');
    for (const variant of [`${h}=.${p}.${s}`, `${h}.${p}==.${s}`, `${h}.${p}.${s}=`, `${standard(h)}.${standard(p)}.${standard(s)}`, `${h}.${p}`, `${h}.${p}.${s}.`, `${h}.${p}.${s}.x`, ` ${genuine}`, `${genuine}\n`, `${h}. ${p}.${s}`, `${genuine}\u0000`]) {
      await refusedLocally(variant, `variant ${JSON.stringify(variant.slice(0, 10))}…${JSON.stringify(variant.slice(-6))}`);
    }
    // The genuine one logs in: the refusals above were about the encoding alone.
    expect((await login(w, identityId, genuine)).status).toBe(200);
  });

  it('8193 characters is 422 ValidationError; 8192 characters of garbage is refused locally', async () => {
    const body = expectError(await login(w, identityId, 'x'.repeat(8193)), 422, 'ValidationError');
    expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['jwt']);
    await refusedLocally('x'.repeat(8192), '8192 x');
    await refusedLocally(`${'a'.repeat(4000)}.${'b'.repeat(4000)}.${'c'.repeat(190)}`, '8192 in three segments');
  });

  it('alg none in any case is refused by the pre-check; other forgeries pass it (it cannot verify) and the cluster rejects them', async () => {
    const genuine = checkoutToken(w);
    const [h, p, s] = genuine.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    await refusedLocally(`${b64({ ...header, alg: 'None' })}.${p}.`, 'alg None');
    await refusedLocally(`${b64({ ...header, alg: 'NONE' })}.${p}.${s}`, 'alg NONE with the old signature');
    for (const secret of [w.sim.caPem, w.reviewerJwt, String(header.kid), '']) {
      await rejectedByCluster(hmac('HS256', b64({ ...header, alg: 'HS256' }), p, secret), `HS256 keyed with ${secret.slice(0, 20)}`);
    }
    for (const kid of ['../../../../etc/passwd', "' OR '1'='1", '\u0000', '🔑', 'x'.repeat(1000), null, 42]) {
      await rejectedByCluster(`${b64({ ...header, kid })}.${p}.${s}`, `kid ${JSON.stringify(kid).slice(0, 20)}`);
    }
    await rejectedByCluster(checkoutToken(w, { foreignKey: true }), 'signed by a key the cluster does not trust');
  });

  it('a huge (~7 KB) header and nested JSON bombs beside valid claims reach the cluster and are rejected, not crashed on', async () => {
    const genuine = checkoutToken(w);
    const [h, p, s] = genuine.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    const huge = `${b64({ ...header, pad: 'x'.repeat(5000) })}.${p}.${s}`;
    expect(huge.length).toBeGreaterThan(7000);
    expect(huge.length).toBeLessThanOrEqual(8192);
    await rejectedByCluster(huge, '7 KB header');
    await rejectedByCluster(`${enc(JSON.stringify(header).replace(/}$/, `,"x":${deepArray(2400)}}`))}.${p}.${s}`, 'deep array in the header');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    await rejectedByCluster(`${h}.${enc(JSON.stringify(payload).replace(/}$/, `,"x":${deepArray(2400)}}`))}.${s}`, 'deep array in the payload');
  });

  it('unicode and NUL in the claimed namespace and name: refused by the bindings, or by the cluster under "*"', async () => {
    const names: [string, string][] = [
      ['shöp', 'checkout'],
      ['shop\u0000', 'checkout'],
      ['shop', 'check\u0000out'],
      ['shop', 'checkout\u202e'],
      ['ѕhop', 'checkout'], // Cyrillic s
      ['shop', '💥'],
    ];
    for (const [namespace, name] of names) {
      const res = await login(w, strictId, fake({ alg: 'RS256', kid: 'x' }, claims(namespace, name)));
      expect([403], JSON.stringify(res.body)).toContain(res.status);
      expect(['NamespaceNotAllowed', 'NameNotAllowed'], JSON.stringify(res.body)).toContain(res.body.error);
      await rejectedByCluster(fake({ alg: 'RS256', kid: 'x' }, claims(namespace, name)), `${namespace}/${name} under "*"`, everyoneId);
    }
  });

  it('the failed attempts are audited with their codes and never with the JWT', async () => {
    const jwt = fake({ alg: 'none' }, claims());
    await refusedLocally(jwt, 'audited one');
    const rows = (await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/audit-logs?identityId=${identityId}&outcome=failure&limit=200`).set(auth(w.admin.token))).body.auditLogs as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(10);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(jwt);
    expect(text).not.toContain(jwt.split('.')[1]);
    const codes = new Set(rows.map((r) => r.errorCode));
    expect(codes).toContain('InvalidServiceAccountToken');
    expect(codes).toContain('ServiceAccountTokenRejected');
    for (const code of codes) expect(['InvalidServiceAccountToken', 'ServiceAccountTokenRejected', 'NamespaceNotAllowed', 'NameNotAllowed', 'AudienceNotAllowed']).toContain(code);
  });
});
