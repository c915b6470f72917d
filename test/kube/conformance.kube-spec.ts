import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceTarget, realTarget, simulatorTarget, type TargetToken } from '../support/kube-apiserver/conformance-targets.js';
import { KUBERNETES_VERSION, kubeRequest, type KubeRequestOptions, type KubeResponse } from '../support/kube-apiserver/index.js';

// The simulator (test/support/kubernetes-simulator) against the real kube-apiserver: the same
// requests to both, answers compared after replacing what differs by nature (UIDs, tokens, the
// server's URL, times). Each difference is fixed in the simulator or documented in its README
// ("Checked against a real kube-apiserver"), where a case below projects it away.

interface World {
  target: ConformanceTarget;
  reviewer: string;
  unbound: string;
  nsReader: string;
  /** value → placeholder, for normalisation. */
  names: Map<string, string>;
}

interface Observation {
  status: number;
  contentType: string;
  body: unknown;
}

type Case = {
  name: string;
  run: (w: World) => Promise<KubeResponse>;
  /** Compare only this view of the body (the rest is a documented difference). */
  project?: (body: any) => unknown;
  /** What the real server must answer, whatever the simulator does. */
  expectReal: (o: Observation) => void;
};

const review = (w: World, bearer: string | undefined, token: string, audiences?: string[]): Promise<KubeResponse> => {
  const spec: Record<string, unknown> = { token };
  if (audiences) spec.audiences = audiences;
  return kubeRequest(w.target.endpoint, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { bearer, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec } });
};

const reviewOf = (options: TargetToken & { sa?: string; specAudiences?: string[] }) => async (w: World) => {
  const token = await w.target.token('shop', options.sa ?? 'checkout', options);
  w.names.set(token, '<token>');
  return review(w, w.reviewer, token, options.specAudiences);
};

const get = (path: string, bearer: (w: World) => string | undefined, options: KubeRequestOptions = {}) => (w: World) => kubeRequest(w.target.endpoint, 'GET', path, { ...options, bearer: bearer(w) });
const postReview = (body: unknown, options: KubeRequestOptions = {}) => (w: World) =>
  kubeRequest(w.target.endpoint, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { ...options, bearer: w.reviewer, body });

const expectStatus = (status: number, reason?: string) => (o: Observation) => {
  expect(o.status).toBe(status);
  if (reason) expect(o.body).toMatchObject({ kind: 'Status', reason, code: status });
};
const expectReviewError = (pattern: RegExp) => (o: Observation) => {
  expect(o.status).toBe(201);
  expect((o.body as any).status.authenticated).toBeUndefined();
  expect((o.body as any).status.error).toMatch(pattern);
};
const expectAuthenticated = (audiences: string[]) => (o: Observation) => {
  expect(o.status).toBe(201);
  expect((o.body as any).status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:shop:checkout' }, audiences });
};

const CASES: Case[] = [
  { name: 'GET /version, anonymous', run: get('/version', () => undefined), project: (b) => ({ keys: Object.keys(b).sort(), major: b.major, minor: b.minor, gitVersion: b.gitVersion }), expectReal: (o) => expect(o.body).toMatchObject({ gitVersion: KUBERNETES_VERSION }) },
  { name: 'GET /version, bad bearer', run: get('/version', () => 'not-a-token'), expectReal: expectStatus(401, 'Unauthorized') },
  { name: 'unknown API group, as the admin', run: get('/apis/zerokey.invalid/v1/things', (w) => w.target.adminToken), expectReal: (o) => expect(o).toMatchObject({ status: 404, body: '404 page not found\n' }) },
  { name: 'unknown core resource, as the admin', run: get('/api/v1/things', (w) => w.target.adminToken), expectReal: expectStatus(404, 'NotFound') },
  { name: 'unknown path, anonymous', run: get('/zerokey-nothing', () => undefined), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'unknown path, a service account', run: get('/zerokey-nothing', (w) => w.unbound), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'TokenReview: no apiVersion and kind (defaulted)', run: postReview({ spec: { token: 'abc' } }), expectReal: (o) => expect(o.status).toBe(201) },
  { name: 'TokenReview: another registered kind', run: postReview({ apiVersion: 'v1', kind: 'Pod', spec: { token: 'abc' } }), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: an unregistered kind', run: postReview({ apiVersion: 'v1', kind: 'ZerokeyThing', spec: { token: 'abc' } }), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: a JSON array', run: postReview('[1]'), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: a syntax error', run: postReview('{"spec": x}'), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: a non-JSON content type', run: postReview('token', { contentType: 'text/plain' }), expectReal: expectStatus(415, 'UnsupportedMediaType') },
  { name: 'TokenReview: the field manager comes from the User-Agent', run: postReview({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'abc' } }, { userAgent: 'Zerokey-Test/1.2 (linux)' }), expectReal: (o) => expect((o.body as any).metadata.managedFields[0].manager).toBe('Zerokey-Test') },
  { name: 'TokenReview: anonymous', run: (w) => review(w, undefined, 'x.y.z'), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'TokenReview: invalid reviewer', run: (w) => review(w, 'not-a-token', 'x.y.z'), expectReal: expectStatus(401, 'Unauthorized') },
  { name: 'TokenReview: reviewer without RBAC', run: (w) => review(w, w.unbound, 'x.y.z'), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'TokenReview: authenticated user without RBAC', run: (w) => review(w, w.target.janeToken, 'x.y.z'), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'TokenReview: empty token', run: (w) => review(w, w.reviewer, ''), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: body is not JSON', run: (w) => kubeRequest(w.target.endpoint, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { bearer: w.reviewer, body: '{"spec":' }), expectReal: expectStatus(400, 'BadRequest') },
  { name: 'TokenReview: pod-bound token, audience zerokey', run: reviewOf({ audiences: ['zerokey'], pod: 'checkout-7d9f', specAudiences: ['zerokey'] }), expectReal: expectAuthenticated(['zerokey']) },
  { name: 'TokenReview: default audience, no spec.audiences', run: reviewOf({}), expectReal: (o) => expectAuthenticated([(o.body as any).status.audiences?.[0] ?? 'missing'])(o) },
  { name: 'TokenReview: two audiences, one requested', run: reviewOf({ audiences: ['vault', 'zerokey'], specAudiences: ['zerokey', 'other'] }), expectReal: expectAuthenticated(['zerokey']) },
  { name: 'TokenReview: audience mismatch', run: reviewOf({ audiences: ['zerokey'], specAudiences: ['vault'] }), expectReal: expectReviewError(/token audiences \["zerokey"\] is invalid for the target audiences \["vault"\]/) },
  { name: 'TokenReview: custom audience, no spec.audiences', run: reviewOf({ audiences: ['zerokey'] }), expectReal: expectReviewError(/is invalid for the target audiences/) },
  { name: 'TokenReview: expired two hours ago', run: reviewOf({ audiences: ['zerokey'], expiredAgoSeconds: 7200, specAudiences: ['zerokey'] }), expectReal: expectReviewError(/service account token has expired/) },
  { name: 'TokenReview: expired 20 s ago (inside the leeway)', run: reviewOf({ audiences: ['zerokey'], expiredAgoSeconds: 20, specAudiences: ['zerokey'] }), expectReal: expectAuthenticated(['zerokey']) },
  { name: 'TokenReview: not valid yet', run: reviewOf({ audiences: ['zerokey'], notYetValid: true, specAudiences: ['zerokey'] }), expectReal: expectReviewError(/not valid yet|issued in the future/) },
  {
    name: 'TokenReview: bad signature',
    run: async (w) => {
      const token = await w.target.token('shop', 'checkout', { audiences: ['zerokey'] });
      const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.alloc(256, 7).toString('base64url')}`;
      w.names.set(forged, '<token>');
      return review(w, w.reviewer, forged, ['zerokey']);
    },
    expectReal: expectReviewError(/invalid bearer token/),
  },
  { name: 'TokenReview: not a JWT', run: async (w) => { w.names.set('definitely-not-a-jwt', '<token>'); return review(w, w.reviewer, 'definitely-not-a-jwt'); }, expectReal: (o) => expect(o.status).toBe(201) },
  {
    name: 'TokenReview: pod deleted',
    run: async (w) => {
      const token = await w.target.token('shop', 'checkout', { audiences: ['zerokey'], pod: 'doomed-pod' });
      w.names.set(token, '<token>');
      await w.target.deletePod('shop', 'doomed-pod');
      return review(w, w.reviewer, token, ['zerokey']);
    },
    expectReal: expectReviewError(/service account token has been invalidated/),
  },
  {
    name: 'TokenReview: service account deleted',
    run: async (w) => {
      const token = await w.target.token('shop', 'doomed', { audiences: ['zerokey'] });
      w.names.set(token, '<token>');
      await w.target.deleteServiceAccount('shop', 'doomed');
      return review(w, w.reviewer, token, ['zerokey']);
    },
    expectReal: expectReviewError(/doomed/),
  },
  { name: 'OIDC discovery: anonymous', run: get('/.well-known/openid-configuration', () => undefined), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'OIDC discovery: a service account', run: get('/.well-known/openid-configuration', (w) => w.unbound), expectReal: (o) => expect(o.body).toMatchObject({ issuer: 'https://kubernetes.default.svc.cluster.local', id_token_signing_alg_values_supported: ['RS256'] }) },
  { name: 'OIDC discovery: an authenticated user that is no service account', run: get('/.well-known/openid-configuration', (w) => w.target.janeToken), expectReal: (o) => expect([200, 403]).toContain(o.status) },
  { name: 'JWKS: asked for as application/json only', run: get('/openid/v1/jwks', (w) => w.unbound, { accept: 'application/json' }), expectReal: expectStatus(406, 'NotAcceptable') },
  { name: 'JWKS: no Accept header', run: get('/openid/v1/jwks', (w) => w.unbound, { accept: null }), project: (b) => b.keys.length, expectReal: (o) => expect(o.status).toBe(200) },
  { name: 'JWKS: anonymous', run: get('/openid/v1/jwks', () => undefined), expectReal: expectStatus(403, 'Forbidden') },
  {
    name: 'JWKS: a service account',
    run: get('/openid/v1/jwks', (w) => w.unbound),
    project: (b) => b.keys.map((k: Record<string, string>) => ({ fields: Object.keys(k).sort(), kty: k.kty, alg: k.alg, use: k.use, e: k.e })),
    expectReal: (o) => expect(o.contentType).toBe('application/jwk-set+json'),
  },
  {
    name: 'namespace read: granted',
    run: get('/api/v1/namespaces/shop', (w) => w.nsReader),
    project: (b) => ({ kind: b.kind, apiVersion: b.apiVersion, metadataFields: Object.keys(b.metadata).sort(), name: b.metadata.name, labels: b.metadata.labels, spec: b.spec, status: b.status }),
    expectReal: (o) => expect(o.body).toMatchObject({ labels: { team: 'payments', 'kubernetes.io/metadata.name': 'shop' } }),
  },
  { name: 'namespace read: missing namespace', run: get('/api/v1/namespaces/nowhere', (w) => w.nsReader), expectReal: expectStatus(404, 'NotFound') },
  { name: 'namespace read: not granted', run: get('/api/v1/namespaces/shop', (w) => w.reviewer), expectReal: expectStatus(403, 'Forbidden') },
  { name: 'namespace read: anonymous', run: get('/api/v1/namespaces/shop', () => undefined), expectReal: expectStatus(403, 'Forbidden') },
];

async function setUp(target: ConformanceTarget): Promise<World> {
  const names = new Map<string, string>();
  await target.createNamespace('shop', { team: 'payments' });
  await target.createNamespace('auth');
  names.set(await target.createServiceAccount('shop', 'checkout'), '<uid:shop/checkout>');
  names.set(await target.createServiceAccount('shop', 'doomed'), '<uid:shop/doomed>');
  names.set(await target.createPod('shop', 'checkout-7d9f', 'checkout'), '<uid:pod/checkout-7d9f>');
  names.set(await target.createPod('shop', 'doomed-pod', 'checkout'), '<uid:pod/doomed-pod>');
  const reviewer = await target.reviewer('auth', 'reviewer', { authDelegator: true });
  const unbound = await target.reviewer('auth', 'no-rbac', {});
  const nsReader = await target.reviewer('auth', 'ns-reader', { authDelegator: true, namespaceReader: true });
  return { target, reviewer, unbound, nsReader, names };
}

function observe(w: World, res: KubeResponse, project?: (body: any) => unknown): Observation {
  let body: unknown = typeof res.body === 'string' ? res.body : normalise(w, res.body);
  if (project && res.status < 300) body = project(body);
  return { status: res.status, contentType: res.contentType.split(';')[0], body };
}

function normalise(w: World, value: unknown): unknown {
  if (typeof value === 'string') {
    let text = w.names.get(value) ?? value;
    for (const [raw, placeholder] of w.names) if (raw.length > 20) text = text.split(raw).join(placeholder);
    return text
      .split(w.target.endpoint.url)
      .join('<server>')
      .replace(/^JTI=[0-9a-f-]{36}$/, 'JTI=<jti>')
      .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '<time>');
  }
  if (Array.isArray(value)) return value.map((item) => normalise(w, item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(w, v)]));
  return value;
}

describe('the simulator answers like kube-apiserver', () => {
  let real: World;
  let sim: World;
  beforeAll(async () => {
    const [r, s] = await Promise.all([realTarget(), simulatorTarget()]);
    try {
      [real, sim] = await Promise.all([setUp(r), setUp(s)]);
    } catch (error) {
      await Promise.all([r.stop(), s.stop()]);
      throw error;
    }
  });
  afterAll(async () => {
    await Promise.all([real?.target.stop(), sim?.target.stop()]);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const realObservation = observe(real, await c.run(real), c.project);
      c.expectReal(realObservation);
      const simObservation = observe(sim, await c.run(sim), c.project);
      expect(simObservation, `simulator vs kube-apiserver ${KUBERNETES_VERSION}`).toEqual(realObservation);
    });
  }

  it('both publish a JWKS key that verifies their own service-account tokens', async () => {
    for (const w of [real, sim]) {
      const jwks = (await kubeRequest(w.target.endpoint, 'GET', '/openid/v1/jwks', { bearer: w.unbound })).body as { keys: Array<Record<string, string>> };
      const token = await w.target.token('shop', 'checkout', { audiences: ['zerokey'] });
      const [header, payload, signature] = token.split('.');
      const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      expect(alg, w.target.name).toBe('RS256');
      const key = jwks.keys.find((k) => k.kid === kid);
      expect(key, `${w.target.name}: kid ${kid} is published`).toBeDefined();
      const publicKey = createPublicKey({ key: key as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
      expect(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')), w.target.name).toBe(true);
    }
  });

  it('both mint service-account tokens with the same header and claim layout', async () => {
    const layout = async (w: World) => {
      const token = await w.target.token('shop', 'checkout', { audiences: ['zerokey'], pod: 'checkout-7d9f' });
      const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
      const k8s = payload['kubernetes.io'];
      return { header: Object.keys(header).sort(), claims: Object.keys(payload).sort(), kubernetes: Object.keys(k8s).sort(), pod: Object.keys(k8s.pod).sort(), lifetime: payload.exp - payload.iat };
    };
    expect(await layout(sim)).toEqual(await layout(real));
  });

  it('both name the JWKS in the discovery document', async () => {
    for (const w of [real, sim]) {
      const doc = (await kubeRequest(w.target.endpoint, 'GET', '/.well-known/openid-configuration', { bearer: w.unbound })).body as { jwks_uri: string };
      expect(new URL(doc.jwks_uri).pathname, w.target.name).toBe('/openid/v1/jwks');
    }
  });
});
