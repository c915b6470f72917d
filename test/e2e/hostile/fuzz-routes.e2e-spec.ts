import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokensService } from '../../../src/access-tokens/access-tokens.service.js';
import { ERROR_STATUS } from '../../../src/common/errors/error-codes.js';
import { auth, decodeJwt, PASSWORD } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/*
 * Property-based hostile input over every route of the API (docs/api.md "Conventions": no request may produce a
 * 500 except a real server fault"). Every answer must be the documented 2xx or a 4xx in the error
 * shape with a known code; never a 5xx, never a hang. The app runs with TRUST_PROXY=true, the most
 * exposed setting: X-Forwarded-For is then attacker-controlled input too.
 *
 * Each property has a fixed seed (derived from its name): a failure prints the seed and the
 * counterexample path, and `fc.assert(..., { seed, path })` replays it.
 */

const RESPONSE_TIMEOUT_MS = 5000;
const AUTHENTICATED_RUNS = 40;
const ANONYMOUS_RUNS = 25;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type FieldKind =
  | 'email'
  | 'password'
  | 'name'
  | 'orgId'
  | 'identityRole'
  | 'orgRole'
  | 'metadata'
  | 'host'
  | 'pem'
  | 'bool'
  | 'source'
  | 'reviewer'
  | 'list'
  | 'pairs'
  | 'audience'
  | 'int'
  | 'trustedIps'
  | 'selector'
  | 'clusterIds'
  | 'issuer'
  | 'verification'
  | 'identityId'
  | 'workloadJwt'
  | 'accessToken';
type QueryKind = 'offset' | 'limit' | 'search' | 'identityRole' | 'sort' | 'order' | 'event' | 'uuid' | 'outcome' | 'date';
type ParamKind = 'identityId' | 'victimIdentityId' | 'configVictimId' | 'orgId' | 'membershipId' | 'tokenId' | 'clusterId' | 'clusterVictimId';

interface RouteSpec {
  name: string;
  method: Method;
  /** Fastify-style path with :params. */
  path: string;
  params?: Record<string, ParamKind>;
  body?: Record<string, FieldKind>;
  query?: Record<string, QueryKind>;
  public?: boolean;
  /** The documented success statuses. */
  ok: number[];
  /** Which bearer an authenticated run sends (default: the super admin's session). */
  bearer?: 'admin' | 'fresh-session';
  /** Fewer runs for costly routes (each run of rotate makes a signing key). */
  runs?: number;
  /** Not JSON on success. */
  text?: boolean;
}

const PAGINATION: Record<string, QueryKind> = { offset: 'offset', limit: 'limit' };
const AUDIT_QUERY: Record<string, QueryKind> = { ...PAGINATION, event: 'event', identityId: 'uuid', actorId: 'uuid', outcome: 'outcome', startDate: 'date', endDate: 'date' };
const KUBERNETES_FIELDS: Record<string, FieldKind> = {
  kubernetesHost: 'host',
  caCert: 'pem',
  verifyTlsCertificate: 'bool',
  tokenReviewerSource: 'source',
  tokenReviewerJwt: 'reviewer',
  allowedNamespaces: 'list',
  allowedNames: 'list',
  allowedServiceAccounts: 'pairs',
  allowedAudience: 'audience',
  accessTokenTTL: 'int',
  accessTokenMaxTTL: 'int',
  accessTokenNumUsesLimit: 'int',
  accessTokenTrustedIps: 'trustedIps',
  allowedPodNames: 'list',
  namespaceSelector: 'selector',
  clusterIds: 'clusterIds',
  verification: 'verification',
  issuer: 'issuer',
};
const K8S_CONFIG = '/api/v1/auth/kubernetes-auth/identities/:identityId';
const CLUSTER_FIELDS: Record<string, FieldKind> = {
  name: 'name',
  kubernetesHost: 'host',
  caCert: 'pem',
  verifyTlsCertificate: 'bool',
  tokenReviewerSource: 'source',
  tokenReviewerJwt: 'reviewer',
  issuer: 'issuer',
  verification: 'verification',
};
const CLUSTER = '/api/v1/kubernetes-clusters/:clusterId';

/** Every route of the controllers. Destructive routes come last and get their own victims. */
const ROUTES: RouteSpec[] = [
  { name: 'status', method: 'GET', path: '/api/status', public: true, ok: [200] },
  { name: 'status ready', method: 'GET', path: '/api/status/ready', public: true, ok: [200] },
  { name: 'metrics', method: 'GET', path: '/metrics', public: true, ok: [200], text: true },
  { name: 'jwks', method: 'GET', path: '/.well-known/jwks.json', public: true, ok: [200] },
  { name: 'bootstrap', method: 'POST', path: '/api/v1/admin/bootstrap', public: true, body: { email: 'email', password: 'password', organization: 'name' }, ok: [200] },
  { name: 'bootstrap status', method: 'GET', path: '/api/v1/admin/bootstrap', public: true, ok: [200] },
  { name: 'session login', method: 'POST', path: '/api/v1/auth/login', public: true, body: { email: 'email', password: 'password' }, ok: [200] },
  { name: 'kubernetes login', method: 'POST', path: '/api/v1/auth/kubernetes-auth/login', public: true, body: { identityId: 'identityId', jwt: 'workloadJwt' }, ok: [200] },
  { name: 'token renew', method: 'POST', path: '/api/v1/auth/token/renew', public: true, body: { accessToken: 'accessToken' }, ok: [200] },
  { name: 'token self', method: 'GET', path: '/api/v1/auth/token/self', ok: [200] },
  { name: 'organizations create', method: 'POST', path: '/api/v1/organizations', body: { name: 'name' }, ok: [201] },
  { name: 'organizations list', method: 'GET', path: '/api/v1/organizations', ok: [200] },
  { name: 'memberships list', method: 'GET', path: '/api/v1/organizations/:orgId/memberships', params: { orgId: 'orgId' }, query: PAGINATION, ok: [200] },
  { name: 'memberships add', method: 'POST', path: '/api/v1/organizations/:orgId/memberships', params: { orgId: 'orgId' }, body: { email: 'email', password: 'password', role: 'orgRole' }, ok: [201] },
  { name: 'memberships patch', method: 'PATCH', path: '/api/v1/organizations/:orgId/memberships/:membershipId', params: { orgId: 'orgId', membershipId: 'membershipId' }, body: { role: 'orgRole' }, ok: [200] },
  { name: 'identities create', method: 'POST', path: '/api/v1/identities', body: { name: 'name', organizationId: 'orgId', role: 'identityRole', metadata: 'metadata' }, ok: [201] },
  { name: 'identities get', method: 'GET', path: '/api/v1/identities/:identityId', params: { identityId: 'identityId' }, ok: [200] },
  { name: 'identities patch', method: 'PATCH', path: '/api/v1/identities/:identityId', params: { identityId: 'identityId' }, body: { name: 'name', role: 'identityRole', metadata: 'metadata' }, ok: [200] },
  {
    name: 'identities list',
    method: 'GET',
    path: '/api/v1/organizations/:orgId/identities',
    params: { orgId: 'orgId' },
    query: { ...PAGINATION, search: 'search', role: 'identityRole', sort: 'sort', order: 'order' },
    ok: [200],
  },
  { name: 'kubernetes-auth attach', method: 'POST', path: K8S_CONFIG, params: { identityId: 'identityId' }, body: KUBERNETES_FIELDS, ok: [201] },
  { name: 'kubernetes-auth get', method: 'GET', path: K8S_CONFIG, params: { identityId: 'identityId' }, ok: [200] },
  { name: 'kubernetes-auth patch', method: 'PATCH', path: K8S_CONFIG, params: { identityId: 'identityId' }, body: KUBERNETES_FIELDS, ok: [200] },
  { name: 'kubernetes-auth check', method: 'POST', path: `${K8S_CONFIG}/check`, params: { identityId: 'identityId' }, ok: [200] },
  { name: 'clusters create', method: 'POST', path: '/api/v1/organizations/:orgId/kubernetes-clusters', params: { orgId: 'orgId' }, body: CLUSTER_FIELDS, ok: [201] },
  { name: 'clusters list', method: 'GET', path: '/api/v1/organizations/:orgId/kubernetes-clusters', params: { orgId: 'orgId' }, query: { ...PAGINATION, search: 'search' }, ok: [200] },
  { name: 'clusters get', method: 'GET', path: CLUSTER, params: { clusterId: 'clusterId' }, ok: [200] },
  { name: 'clusters patch', method: 'PATCH', path: CLUSTER, params: { clusterId: 'clusterId' }, body: CLUSTER_FIELDS, ok: [200] },
  { name: 'clusters check', method: 'POST', path: `${CLUSTER}/check`, params: { clusterId: 'clusterId' }, ok: [200] },
  { name: 'access-tokens list', method: 'GET', path: '/api/v1/identities/:identityId/access-tokens', params: { identityId: 'identityId' }, query: PAGINATION, ok: [200] },
  { name: 'audit-logs (organization)', method: 'GET', path: '/api/v1/organizations/:orgId/audit-logs', params: { orgId: 'orgId' }, query: AUDIT_QUERY, ok: [200] },
  { name: 'audit-logs (admin)', method: 'GET', path: '/api/v1/admin/audit-logs', query: AUDIT_QUERY, ok: [200] },
  { name: 'signing-keys rotate', method: 'POST', path: '/api/v1/admin/signing-keys/rotate', ok: [200], runs: 8 },
  { name: 'users me password', method: 'POST', path: '/api/v1/users/me/password', body: { currentPassword: 'password', newPassword: 'password' }, ok: [200] },
  // Destructive: last, on victims.
  { name: 'token revoke', method: 'POST', path: '/api/v1/auth/token/revoke', public: true, body: { accessToken: 'accessToken' }, ok: [200] },
  { name: 'access-tokens revoke one', method: 'DELETE', path: '/api/v1/identities/:identityId/access-tokens/:tokenId', params: { identityId: 'identityId', tokenId: 'tokenId' }, ok: [200] },
  { name: 'access-tokens revoke-all', method: 'POST', path: '/api/v1/identities/:identityId/access-tokens/revoke-all', params: { identityId: 'identityId' }, ok: [200] },
  { name: 'kubernetes-auth delete', method: 'DELETE', path: K8S_CONFIG, params: { identityId: 'configVictimId' }, ok: [200] },
  { name: 'clusters delete', method: 'DELETE', path: CLUSTER, params: { clusterId: 'clusterVictimId' }, ok: [200] },
  { name: 'identities delete', method: 'DELETE', path: '/api/v1/identities/:identityId', params: { identityId: 'victimIdentityId' }, ok: [200] },
  { name: 'memberships delete', method: 'DELETE', path: '/api/v1/organizations/:orgId/memberships/:membershipId', params: { orgId: 'orgId', membershipId: 'membershipId' }, ok: [200] },
  { name: 'logout', method: 'POST', path: '/api/v1/auth/logout', ok: [200], bearer: 'fresh-session' },
];

// ---------------------------------------------------------------------------------------------
// A raw HTTP client: exact bytes, exact headers (none added), a hard timeout.

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function exchange(base: string, method: Method, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Exchange> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(RESPONSE_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${RESPONSE_TIMEOUT_MS} ms (hang) to ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The property every answer must have. */
function assertAnswer(route: RouteSpec, res: Exchange, allowSuccess: boolean, label: string): void {
  const where = `${route.name} ${label}: ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${where}`);
  if (res.status >= 200 && res.status < 300) {
    if (!allowSuccess || !route.ok.includes(res.status)) throw new Error(`unexpected success: ${where}`);
    if (!route.text) JSON.parse(res.text);
    return;
  }
  if (res.status < 400) throw new Error(`unexpected status: ${where}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    throw new Error(`error answer is not JSON: ${where}`);
  }
  const code = body.error as keyof typeof ERROR_STATUS;
  if (typeof code !== 'string' || ERROR_STATUS[code] !== res.status) throw new Error(`unknown error code or wrong status for it: ${where}`);
  if (body.statusCode !== res.status || typeof body.message !== 'string' || typeof body.reqId !== 'string' || body.reqId !== res.headers['x-request-id']) {
    throw new Error(`not the error shape: ${where}`);
  }
  const extra = Object.keys(body).filter((k) => !['statusCode', 'error', 'message', 'reqId', 'details'].includes(k));
  if (extra.length) throw new Error(`error body has extra keys ${extra.join(',')}: ${where}`);
  if (body.details !== undefined && (code !== 'ValidationError' || !Array.isArray(body.details))) throw new Error(`details only on ValidationError: ${where}`);
}

function seedOf(name: string): number {
  let h = 0x2e0c;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  '\ufeffbom',
  '💥',
  'e\u0301',
  'Ω≈ç√',
  '中文名字',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '../../etc/passwd',
  '..%2f..%2f',
  '%00',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  'true',
  '[]',
  '{}',
  '\ud800',
  '\udfff',
  '\r\n\r\nHTTP/1.1 200 OK',
  'a'.repeat(256),
  'x'.repeat(8193),
];
const nastyString = fc.constantFrom(...NASTY_STRINGS);
/** Huge strings, up to ~60 KiB of characters (some over the body limit once encoded: 413 is an answer too). */
const hugeString = fc
  .tuple(fc.constantFrom('a', 'é', '中', '💥', '\u0000', '"', '\\'), fc.integer({ min: 1024, max: 61_440 }))
  .map(([c, n]) => c.repeat(Math.max(1, Math.floor(n / c.length))));
const deepValue = fc.integer({ min: 5, max: 400 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
});
const hostileScalar = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -1e308, 2 ** 31, 2 ** 53 + 2, -0, 0.5)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: hugeString },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), hostileScalar, { maxKeys: 5 }) },
  { weight: 1, arbitrary: deepValue },
);

/** JSON texts a JSON.stringify would never write. */
const RAW_BODIES = [
  '{',
  '{"a":',
  '[',
  '"',
  'nul',
  '{}garbage',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"email":"a@b.co","password":"x"}\u0000',
  '1e99999',
  '-',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '\u0000',
  '{' + '"a":{'.repeat(2000) + '}'.repeat(2001),
  '['.repeat(20_000) + ']'.repeat(20_000),
  '{"a":' + '1'.repeat(10_000) + '}',
  '   ',
];

/** Values that are nearly right for a field: they get past the type checks and reach the services. */
function fieldArbitrary(kind: FieldKind, fx: Fixtures): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'email':
      return fc.oneof(fc.emailAddress(), fc.constantFrom('admin@example.com', 'ADMIN@EXAMPLE.COM ', 'new-user@example.com', 'ünïcode@exämple.com', '"quoted"@example.com', 'a\u0000b@example.com', `${'a'.repeat(320)}@x.co`, '@', 'a@b'));
    case 'password':
      return fc.oneof(fc.string({ minLength: 10, maxLength: 40 }), fc.constantFrom(PASSWORD, 'short', 'x'.repeat(256), 'x'.repeat(257), '\u0000'.repeat(12), '🔑'.repeat(12), '            '));
    case 'name':
      return fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }), fc.constantFrom('fuzz-name', '  padded  ', 'x'.repeat(255), 'x'.repeat(256), 'tab\there', 'nul\u0000byte', '🚀🚀🚀', 'Zerokey'));
    case 'orgId':
      return fc.oneof(fc.constantFrom(fx.orgId, fx.foreignOrgId, randomUUID(), fx.orgId.toUpperCase(), `{${fx.orgId}}`, 'not-a-uuid'), fc.uuid());
    case 'identityRole':
      return fc.constantFrom('admin', 'viewer', 'no-access', 'ADMIN', 'root', '', 'no_access');
    case 'orgRole':
      return fc.constantFrom('admin', 'viewer', 'Admin', 'owner', '', 'no-access');
    case 'metadata':
      return fc.oneof(
        fc.dictionary(fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 40 }),
        fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', '', 'k'), fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxKeys: 3 }),
        fc.constantFrom({ team: 'shop', nul: 'a\u0000b', rtl: '\u202e', emoji: '💥' }, { long: 'x'.repeat(1025) }, { nested: { a: 'b' } }, [['a', 'b']]),
      );
    case 'host':
      return fc.constantFrom(
        fx.simUrl,
        'https://127.0.0.1:1',
        'http://127.0.0.1:1',
        'https://user:pw@127.0.0.1:6443',
        'https://127.0.0.1:6443/?q=1',
        'https://127.0.0.1:6443/#frag',
        'ftp://127.0.0.1',
        'javascript:alert(1)',
        'file:///etc/passwd',
        'https://[::1]:1',
        'https://169.254.169.254',
        'https://zerokey-fuzz.invalid',
        'https://',
        'not a url',
        ' https://127.0.0.1:1 ',
        `https://${'a'.repeat(2040)}`,
      );
    case 'pem':
      return fc.constantFrom(fx.caPem, '', 'garbage', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', `${fx.caPem}trailing`, `${fx.caPem}\n${fx.caPem}`, '-----BEGIN CERTIFICATE-----');
    case 'bool':
      return fc.constantFrom(true, false, 'true', 0, 1);
    case 'source':
      return fc.constantFrom('stored', 'client', 'in-cluster', 'STORED', '');
    case 'reviewer':
      return fc.oneof(fc.constantFrom(fx.reviewerJwt, 'static-reviewer-token', 'with space', 'line\nbreak', '', 'x'.repeat(16_385)), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }));
    case 'list':
      return fc.constantFrom('shop', '*', '', ' , ,', 'sh*', 'a,b,c', '**', 'x'.repeat(4097), 'shop\u0000', '中文');
    case 'pairs':
      return fc.constantFrom('shop/checkout', '*/*', 'shop', 'a/b/c', '/', '', ' / ', 'shop/*,web/x');
    case 'audience':
      return fc.constantFrom('zerokey', '', 'x'.repeat(256), 'aud with space');
    case 'int':
      return fc.oneof(fc.integer({ min: -5, max: 400_000 }), fc.constantFrom(0, 1, 3600, 86_400, 315_360_000, 315_360_001, 2 ** 31, 2 ** 53 + 2, 1.5, -1, '3600', 1e308));
    case 'trustedIps':
      return fc.oneof(
        fc.array(fc.record({ ipAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('0.0.0.0/0', '::/0', '10.0.0.0/33', '::ffff:10.0.0.0/104', 'fe80::1%eth0', '1.2.3.4/', '/8', 'x', '', '999.1.1.1')) }), { maxLength: 4 }),
        fc.constantFrom([], [{}], [{ ipAddress: null }], [null], ['1.2.3.4'], Array.from({ length: 101 }, () => ({ ipAddress: '1.2.3.4' }))),
      );
    case 'selector':
      return fc.oneof(
        fc.record({ matchLabels: fc.dictionary(fc.constantFrom('team', 'tier', 'kubernetes.io/metadata.name', 'bad key', '__proto__', ''), fc.constantFrom('shop', '', 'x'.repeat(64), 'a b')) }, { requiredKeys: [] }),
        fc.record({ matchExpressions: fc.array(fc.record({ key: fc.constantFrom('team', 'bad key', ''), operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'in', 'Gt'), values: fc.oneof(fc.array(fc.constantFrom('a', '', 'x'.repeat(70)), { maxLength: 3 }), hostileScalar) }, { requiredKeys: ['key'] }), { maxLength: 3 }) }),
        fc.constantFrom(null, {}, [], 'team=shop', { matchLabels: [] }, { matchExpressions: {} }, { matchLabels: { team: { nested: 1 } } }),
      );
    case 'clusterIds':
      return fc.oneof(fc.constant([fx.clusterId]), fc.constantFrom([], [fx.clusterId, fx.clusterId], [fx.clusterId.toUpperCase()], [randomUUID()], ['not-a-uuid'], [null], fx.clusterId), fc.array(fc.uuid(), { maxLength: 22 }));
    case 'verification':
      return fc.constantFrom('token-review', 'jwks', 'JWKS', '', 'tokenreview');
    case 'issuer':
      return fc.constantFrom('', 'https://kubernetes.default.svc.cluster.local', 'kubernetes/serviceaccount', 'with space', 'x'.repeat(2049));
    case 'identityId':
      return fc.oneof({ weight: 4, arbitrary: fc.constant(fx.identityId) }, { weight: 1, arbitrary: fc.constantFrom(fx.foreignIdentityId, randomUUID(), 'not-a-uuid') }, { weight: 1, arbitrary: fc.uuid() });
    case 'workloadJwt':
      return fc.oneof(fc.constantFrom(fx.workloadJwt, fx.expiredWorkloadJwt, fx.reviewerJwt), jwtLike);
    case 'accessToken':
      return fc.oneof(fc.constantFrom(fx.identityToken, fx.spareSession), jwtLike);
  }
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value) ?? 'null').toString('base64url');
/** Compact JWS lookalikes with hostile headers and payloads. */
const jwtLike = fc
  .tuple(
    fc.oneof(fc.constant({ alg: 'RS256', kid: 'x' }), fc.constant({ alg: 'none' }), fc.record({ alg: hostileScalar, kid: hostileScalar }, { requiredKeys: [] }), hostileValue),
    fc.oneof(fc.constant({ 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'checkout' } }, aud: ['zerokey'] }), hostileValue),
    fc.constantFrom('', 'c2ln', '=', 'a+b/c', 'x'.repeat(600)),
    fc.constantFrom('.', '..', ''),
  )
  .map(([header, payload, signature, sep]) => (sep === '.' ? `${b64(header)}.${b64(payload)}.${signature}` : `${b64(header)}${sep}${b64(payload)}`));

function bodyArbitrary(route: RouteSpec, fx: Fixtures): fc.Arbitrary<string | undefined> {
  const fields = route.body ?? {};
  const model = Object.fromEntries(Object.entries(fields).map(([key, kind]) => [key, fc.oneof({ weight: 5, arbitrary: fieldArbitrary(kind, fx) }, { weight: 1, arbitrary: hostileValue })]));
  // Every field present (mostly nearly-right values: they reach the services), or any subset.
  const complete = fc.record(model);
  const partial = fc.record(model, { requiredKeys: [] });
  const withExtras = fc.tuple(partial, fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('isAdmin', 'superAdmin', 'orgId', 'role', 'id')), hostileValue, { maxKeys: 3 })).map(([known, extra]) => ({ ...extra, ...known }));
  const stringify = (value: unknown): string | undefined => JSON.stringify(value);
  const hasFields = Object.keys(fields).length > 0;
  return fc.oneof(
    { weight: hasFields ? 6 : 1, arbitrary: complete.map(stringify) },
    { weight: hasFields ? 3 : 1, arbitrary: partial.map(stringify) },
    { weight: 2, arbitrary: withExtras.map(stringify) },
    { weight: 2, arbitrary: hostileValue.map(stringify) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

function queryValue(kind: QueryKind, fx: Fixtures): fc.Arbitrary<string> {
  const odd = fc.constantFrom('', ' ', '1e20', '99999999999999999999', '9007199254740993', '-0', '0x10', '1.5', 'NaN', 'Infinity', '-1', '201', '%', "' OR 1=1 --", '\u0000', '中');
  const typed: Record<QueryKind, fc.Arbitrary<string>> = {
    offset: fc.integer({ min: -2, max: 1_000_000 }).map(String),
    limit: fc.integer({ min: -2, max: 250 }).map(String),
    search: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('%', '_', '!', '\\', 'x'.repeat(256))),
    identityRole: fc.constantFrom('admin', 'viewer', 'no-access', 'x'),
    sort: fc.constantFrom('name', 'createdAt', 'id', 'name; DROP TABLE identities'),
    order: fc.constantFrom('asc', 'desc', 'ASC', 'sideways'),
    event: fc.constantFrom('kubernetes-auth.login', 'auth.login', 'x'.repeat(65), "'; --"),
    uuid: fc.oneof(fc.uuid(), fc.constantFrom(fx.identityId, 'nope')),
    outcome: fc.constantFrom('success', 'failure', 'maybe'),
    date: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2024-02-30', '0000-01-01', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-01-01T00:00:00+14:00', '+275760-09-13T00:00:00Z', '2024-13-01', 'yesterday', '2024-01-01T24:00:00Z'),
    ),
  };
  return fc.oneof({ weight: 3, arbitrary: typed[kind] }, { weight: 1, arbitrary: odd });
}

const RAW_QUERIES = ['?', '?&&&', '?=', '?a', '?offset[]=1', '?offset[$gt]=0', '?limit=1&limit=2', '?%', '?%zz=1', '?__proto__[x]=1', '?constructor[prototype][x]=1', '?offset=1;limit=2', `?search=${'a'.repeat(5000)}`];

function queryArbitrary(route: RouteSpec, fx: Fixtures): fc.Arbitrary<string> {
  const keys = Object.entries(route.query ?? {});
  const known = keys.length
    ? fc.array(
        fc.constantFrom(...keys).chain(([key, kind]) => queryValue(kind, fx).map((value) => [key, value] as const)),
        { maxLength: 4 },
      )
    : fc.constant([] as (readonly [string, string])[]);
  const unknown = fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 2 });
  const encoded = fc.tuple(known, unknown).map(([a, b]) => {
    const pairs = [...a, ...b].map(([k, v]) => `${safeEncode(k)}=${safeEncode(v)}`);
    return pairs.length ? `?${pairs.join('&')}` : '';
  });
  return fc.oneof({ weight: 4, arbitrary: encoded }, { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES) });
}

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80'; // a lone surrogate as UTF-8 bytes: not valid UTF-8
  }
}

/** Raw path segments: only bytes Node's client lets through (0x21-0xff). */
const RAW_PARAMS = ['..', '.', '%2e%2e', '%2e%2e%2f%2e%2e', '%00', '%', '%zz', '%FF', '%C0%AE', ';jsessionid=1', '*', '~', 'a,b', '$', "'", '(', ')', '%20', 'é', '\u00ff', 'null', 'undefined', 'a'.repeat(300)];

function paramArbitrary(kind: ParamKind, fx: Fixtures): fc.Arbitrary<string> {
  const pool: Record<ParamKind, string[]> = {
    identityId: [fx.identityId, fx.foreignIdentityId],
    victimIdentityId: fx.victimIdentityIds,
    configVictimId: fx.configVictimIds,
    orgId: [fx.orgId, fx.foreignOrgId],
    membershipId: [fx.victimMembershipId, fx.adminMembershipId],
    tokenId: [fx.identityTokenId],
    clusterId: [fx.clusterId, fx.foreignClusterId],
    clusterVictimId: fx.clusterVictimIds,
  };
  const near = pool[kind].flatMap((id) => [id, id.toUpperCase(), `${id} `, id.slice(0, -1)]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pool[kind]) },
    { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.constantFrom(...near)).map(safeEncode) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(safeEncode) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(safeEncode) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_PARAMS) },
  );
}

/** Header values Node's client can send: tab, printable ASCII and latin-1. */
const headerText = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c)),
  maxLength: 120,
});
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;',
  'application/json ; charset="utf-8"',
  'application/jsonx',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '*/*',
  '',
];
const contentType = fc.oneof({ weight: 14, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerText }, { weight: 1, arbitrary: fc.constant(undefined) });
const requestId = fc.option(fc.oneof(fc.constantFrom('client-42', 'x'.repeat(129), '../../x', '<script>', ''), headerText), { freq: 2 });
const forwardedFor = fc.option(
  fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('garbage', 'x'.repeat(200), '10.0.0.1, 127.0.0.1', ', , ,', 'unknown', '[::1]:8080', '::ffff:10.0.0.1', '1.2.3.4.5', `${'1.2.3.4, '.repeat(200)}1.2.3.4`), headerText),
  { freq: 2 },
);

function authorizationVariants(fx: Fixtures): fc.Arbitrary<string | undefined> {
  const [h, p] = fx.adminToken.split('.');
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', 'bearer x', 'Bearer null', 'Bearer a.b.c', 'Bearer ..', 'Bearer eyJ', 'Token abc', 'Bearer\tabc', `Bearer ${'x'.repeat(8193)}`),
    fc.constantFrom(`Bearer ${h}.${p}.`, `Bearer ${h}.${p}`, `Bearer ${b64({ alg: 'none' })}.${p}.`, `Basic ${fx.adminToken}`, `Bearer ${fx.adminToken}x`, `Bearer ${fx.adminToken}.${fx.adminToken}`),
    headerText.map((s) => `Bearer ${s}`),
    headerText,
  );
}

// ---------------------------------------------------------------------------------------------

interface Fixtures {
  adminToken: string;
  orgId: string;
  foreignOrgId: string;
  identityId: string;
  foreignIdentityId: string;
  victimIdentityIds: string[];
  configVictimIds: string[];
  adminMembershipId: string;
  victimMembershipId: string;
  identityToken: string;
  identityTokenId: string;
  spareSession: string;
  workloadJwt: string;
  expiredWorkloadJwt: string;
  reviewerJwt: string;
  simUrl: string;
  caPem: string;
  clusterId: string;
  foreignClusterId: string;
  clusterVictimIds: string[];
}

let w: KubernetesWorld;
let fx: Fixtures;
/** Answers seen, by route and status: printed at the end, to show the fuzzing got past the guards. */
const seen = new Map<string, Map<string, number>>();

async function freshSession(userId: string): Promise<string> {
  const issued = await w.t.app.get(AccessTokensService).issue({ userId, orgId: null, authConfigId: null, authMethod: 'session', ttl: 3600, maxTtl: 3600, numUsesLimit: 0, clientIp: '127.0.0.1', subject: null, trustedIps: null });
  return issued.accessToken;
}

beforeAll(async () => {
  w = await startKubernetesWorld({ TRUST_PROXY: 'true' });
  const { t, admin } = w;
  const identityId = await identityWithConfig(w, { allowedNamespaces: 'shop' });
  const victimIdentityIds = [await identityWithConfig(w), await identityWithConfig(w)];
  const configVictimIds = [await identityWithConfig(w), await identityWithConfig(w)];
  const member = await request(t.url).post(`/api/v1/organizations/${admin.orgId}/memberships`).set(auth(admin.token)).send({ email: 'member@example.com', password: PASSWORD, role: 'viewer' });
  expect(member.status).toBe(201);
  const memberships = await request(t.url).get(`/api/v1/organizations/${admin.orgId}/memberships`).set(auth(admin.token));
  const adminMembershipId = (memberships.body.memberships as { id: string; userId: string }[]).find((m) => m.userId === admin.userId)!.id;
  // A tenant the admin does not belong to: another user's organization and identity.
  const stranger = await freshSession(member.body.membership.userId);
  const foreignOrg = await request(t.url).post('/api/v1/organizations').set(auth(stranger)).send({ name: 'Elsewhere' });
  const foreignIdentity = await request(t.url).post('/api/v1/identities').set(auth(stranger)).send({ name: 'theirs', organizationId: foreignOrg.body.organization.id });
  expect(foreignIdentity.status).toBe(201);
  const cluster = async (token: string, orgId: string, name: string): Promise<string> => {
    const res = await request(t.url).post(`/api/v1/organizations/${orgId}/kubernetes-clusters`).set(auth(token)).send({ name, kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.kubernetesCluster.id as string;
  };
  const clusterId = await cluster(admin.token, admin.orgId, 'fuzzed');
  const foreignClusterId = await cluster(stranger, foreignOrg.body.organization.id, 'theirs');
  const clusterVictimIds = [await cluster(admin.token, admin.orgId, 'victim-1'), await cluster(admin.token, admin.orgId, 'victim-2')];
  const workloadJwt = checkoutToken(w);
  const loggedIn = await login(w, identityId, workloadJwt);
  expect(loggedIn.status, JSON.stringify(loggedIn.body)).toBe(200);
  fx = {
    adminToken: admin.token,
    orgId: admin.orgId,
    foreignOrgId: foreignOrg.body.organization.id,
    identityId,
    foreignIdentityId: foreignIdentity.body.identity.id,
    victimIdentityIds,
    configVictimIds,
    adminMembershipId,
    victimMembershipId: member.body.membership.id,
    identityToken: loggedIn.body.accessToken,
    identityTokenId: decodeJwt(loggedIn.body.accessToken).jti as string,
    spareSession: await freshSession(admin.userId),
    workloadJwt,
    expiredWorkloadJwt: checkoutToken(w, { expired: true }),
    reviewerJwt: w.reviewerJwt,
    simUrl: w.sim.url,
    caPem: w.sim.caPem,
    clusterId,
    foreignClusterId,
    clusterVictimIds,
  };
}, 120_000);

afterAll(async () => {
  agent.destroy();
  if (process.env.FUZZ_SUMMARY) {
    for (const [route, statuses] of seen) console.log(route.padEnd(45), [...statuses].map(([k, n]) => `${k}×${n}`).join(' '));
  }
  await w?.close();
});

function note(route: string, res: Exchange): void {
  const statuses = seen.get(route) ?? new Map<string, number>();
  let code = String(res.status);
  try {
    code += ` ${(JSON.parse(res.text) as { error?: string }).error ?? ''}`.trimEnd();
  } catch {
    // not JSON
  }
  statuses.set(code, (statuses.get(code) ?? 0) + 1);
  seen.set(route, statuses);
}

interface Generated {
  path: string;
  query: string;
  body: string | undefined;
  contentType: string | undefined;
  requestId: string | null;
  forwardedFor: string | null;
  authorization: string | undefined;
  sendBody: boolean;
}

function requestArbitrary(route: RouteSpec, authenticated: boolean): fc.Arbitrary<Generated> {
  const params = Object.entries(route.params ?? {});
  const path = params.length
    ? fc.tuple(...params.map(([name, kind]) => paramArbitrary(kind, fx).map((value) => [name, value] as const))).map((pairs) => pairs.reduce((p, [name, value]) => p.replace(`:${name}`, value), route.path))
    : fc.constant(route.path);
  return fc.record({
    path,
    query: queryArbitrary(route, fx),
    body: bodyArbitrary(route, fx),
    contentType,
    requestId,
    forwardedFor,
    // Authenticated runs keep the bearer most of the time, to get past the guard.
    authorization: authenticated ? fc.oneof({ weight: 9, arbitrary: fc.constant('keep') }, { weight: 1, arbitrary: authorizationVariants(fx) }) : authorizationVariants(fx),
    sendBody: route.method === 'GET' ? fc.constant(false) : fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }) as fc.Arbitrary<Generated>;
}

async function run(route: RouteSpec, g: Generated, authenticated: boolean): Promise<Exchange> {
  const headers: Record<string, string> = {};
  if (g.contentType !== undefined && g.sendBody && g.body !== undefined) headers['content-type'] = g.contentType;
  if (g.requestId !== null) headers['x-request-id'] = g.requestId;
  if (g.forwardedFor !== null) headers['x-forwarded-for'] = g.forwardedFor;
  let keptBearer = false;
  if (g.authorization === 'keep') {
    headers.authorization = `Bearer ${route.bearer === 'fresh-session' ? await freshSession(w.admin.userId) : fx.adminToken}`;
    keptBearer = true;
  } else if (g.authorization !== undefined) {
    headers.authorization = g.authorization;
  }
  const body = g.sendBody && g.body !== undefined ? Buffer.from(g.body, 'utf8') : undefined;
  const res = await exchange(w.t.url, route.method, g.path + g.query, headers, body);
  note(`${authenticated ? 'auth' : 'anon'} ${route.name}`, res);
  // A success is legitimate for public routes, and for protected ones only with the real bearer
  // (`Bearer <token>x` and friends must never pass).
  assertAnswer(route, res, route.public === true || keptBearer, JSON.stringify({ ...g, body: g.body?.slice(0, 200) }));
  return res;
}

describe('hostile input: every route answers a documented 2xx or a 4xx in the error shape, never a 5xx or a hang', () => {
  it('the route table covers every operation of the OpenAPI document', async () => {
    const doc = (await request(w.t.url).get('/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const covered = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(documented.filter((op) => !covered.has(op))).toEqual([]);
  });

  describe.each(ROUTES.map((route) => [route.name, route] as const))('%s', (_name, route) => {
    it(
      'with the super admin’s bearer',
      async () => {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(route, true), async (g) => {
            await run(route, g, true);
          }),
          { numRuns: route.runs ?? AUTHENTICATED_RUNS, seed: seedOf(`auth ${route.name}`) },
        );
        expect((await request(w.t.url).get('/api/status').timeout(RESPONSE_TIMEOUT_MS)).status).toBe(200);
      },
      90_000,
    );

    it(
      'anonymously or with forged bearers',
      async () => {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(route, false), async (g) => {
            const res = await run(route, g, false);
            if (!route.public && res.status >= 200 && res.status < 300) throw new Error('a protected route answered 2xx without the bearer');
          }),
          { numRuns: route.runs ?? ANONYMOUS_RUNS, seed: seedOf(`anon ${route.name}`) },
        );
      },
      90_000,
    );
  });

  it('the fuzzing reached past the guard: protected routes answered more than 401s', () => {
    for (const route of ROUTES.filter((r) => !r.public && r.name !== 'logout')) {
      const statuses = [...(seen.get(`auth ${route.name}`)?.keys() ?? [])];
      expect(
        statuses.some((s) => !s.startsWith('401')),
        `${route.name}: ${statuses.join(', ')}`,
      ).toBe(true);
    }
  });

  it('the service is still healthy and the admin’s bearer still works', async () => {
    expect((await request(w.t.url).get('/api/status/ready')).status).toBe(200);
    expect((await request(w.t.url).get('/api/v1/organizations').set(auth(fx.adminToken))).status).toBe(200);
  });
});
