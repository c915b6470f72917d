import { generateKeyPairSync, sign as signWith } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, decodeJwt, expectError } from '../../support/api-client.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';

/**
 * docs/api.md "JWKS verification": with `verification: "jwks"` service-account tokens are checked
 * with the cluster's own signing keys (OIDC discovery and JWKS, read with the reviewer's bearer),
 * and no TokenReview is sent (the simulator counts them). RS256 and ES256 only, signature, issuer,
 * audience (required), exp and nbf with 60 s leeway; keys cached and fetched again on an unknown
 * kid at most once per 10 s; key fetch failures map like TokenReview failures; writes warn
 * NoRevocationCheck.
 */
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWKS verification', () => {
  let w: KubernetesWorld;
  const configPath = (identityId: string): string => `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
  const jwksConfig = (extra: Record<string, unknown> = {}): Promise<string> => identityWithConfig(w, { verification: 'jwks', ...extra });

  beforeAll(async () => {
    w = await startKubernetesWorld({ KUBERNETES_KEYS_CACHE_S: '600' });
  });
  afterAll(async () => w?.close());

  it('logs in without a TokenReview: keys fetched once, then from the cache; pod and uid from the verified claims', async () => {
    const before = w.sim.counters;
    const identityId = await jwksConfig();
    for (let i = 0; i < 3; i++) {
      const res = await login(w, identityId, checkoutToken(w));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(decodeJwt(res.body.accessToken)).toMatchObject({ kubernetes: { namespace: 'shop', serviceAccountName: 'checkout', podName: 'checkout-7d9f' } });
    }
    const after = w.sim.counters;
    expect(after.tokenReviews - before.tokenReviews).toBe(0);
    expect(after.jwksFetches - before.jwksFetches).toBe(1);
  });

  it('the write warns NoRevocationCheck and needs allowedAudience (422)', async () => {
    const identityId = await createIdentity(w);
    const refused = expectError(await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop', verification: 'jwks' }), 422, 'ValidationError');
    expect(refused.details).toEqual([expect.objectContaining({ field: 'allowedAudience' })]);
    const created = await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop', allowedAudience: 'zerokey', verification: 'jwks' });
    expect(created.status).toBe(201);
    expect(created.body.warnings.map((x: { code: string }) => x.code)).toEqual(['NoRevocationCheck']);
    expect(created.body.identityKubernetesAuth).toMatchObject({ verification: 'jwks', issuer: '' });
  });

  it('refuses forged, foreign, other-issuer, other-audience, expired, not-yet-valid and exp-less tokens (401), and the bindings still apply', async () => {
    const identityId = await jwksConfig();
    const rejected = async (jwt: string, code = 'ServiceAccountTokenRejected'): Promise<string> => expectError(await login(w, identityId, jwt), 401, code).message as string;
    const good = checkoutToken(w);
    const [h, p] = good.split('.');
    expect(await rejected(`${h}.${p}.${'A'.repeat(342)}`)).toMatch(/invalid signature/);
    expect(await rejected(checkoutToken(w, { foreignKey: true }))).toMatch(/does not publish/);
    // alg none and HMAC never (a public key used as an HMAC secret is the classic confusion).
    expect(await rejected(`${b64({ alg: 'none' })}.${p}.`, 'InvalidServiceAccountToken')).toBeDefined();
    expect(await rejected(`${b64({ alg: 'HS256', kid: JSON.parse(Buffer.from(h!, 'base64url').toString()).kid })}.${p}.c2ln`)).toMatch(/only RS256 and ES256/);
    expectError(await login(w, identityId, checkoutToken(w, { audience: 'vault' })), 401, 'AudienceNotAllowed');
    expect(await rejected(checkoutToken(w, { notYetValid: true }))).toMatch(/not active/);
    expectError(await login(w, identityId, checkoutToken(w, { expiredBySeconds: 120 })), 401, 'ServiceAccountTokenExpired');
    // Within the leeway: accepted, as the API server would.
    expect((await login(w, identityId, checkoutToken(w, { expiredBySeconds: 30 }))).status).toBe(200);
    // A config that names another issuer refuses the cluster's own tokens.
    const otherIssuer = await jwksConfig({ issuer: 'https://elsewhere.example.com' });
    expect(expectError(await login(w, otherIssuer, checkoutToken(w)), 401, 'ServiceAccountTokenRejected').message).toMatch(/jwt issuer invalid/);
    const bound = await jwksConfig({ allowedNames: 'cart' });
    expectError(await login(w, bound, checkoutToken(w)), 403, 'NameNotAllowed');
  });

  it('ES256 keys work end to end; a token signed with a key the cluster does not publish is refused whatever it claims', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sim = await KubernetesSimulator.start({ signingAlgorithm: 'ES256', issuer: 'https://es.example.com' });
    try {
      const reviewer = sim.createReviewer();
      sim.createServiceAccount('shop', 'checkout');
      const identityId = await identityWithConfig({ ...w, sim, reviewerJwt: reviewer }, { verification: 'jwks' });
      // ES256 works end to end.
      expect((await login(w, identityId, sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' }))).status).toBe(200);
      // A token we sign ourselves with a key the cluster does not publish is refused whatever it claims.
      const payload = { iss: 'https://es.example.com', aud: ['zerokey'], sub: 'system:serviceaccount:shop:checkout', 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'checkout', uid: 'x' } } };
      const input = `${b64({ alg: 'ES256', kid: 'ours' })}.${b64(payload)}`;
      const forged = `${input}.${signWith('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      expectError(await login(w, identityId, forged), 401, 'ServiceAccountTokenRejected');
    } finally {
      await sim.stop();
    }
  });

  it('a rotated signing key: the unknown kid fetches the keys again, at most once per 10 s', async () => {
    const sim = await KubernetesSimulator.start({ issuer: 'https://rotating.example.com' });
    try {
      const reviewer = sim.createReviewer();
      sim.createServiceAccount('shop', 'checkout');
      const world = { ...w, sim, reviewerJwt: reviewer };
      const identityId = await identityWithConfig(world, { verification: 'jwks' });
      const mint = (): string => sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' });
      expect((await login(w, identityId, mint())).status).toBe(200);
      expect(sim.counters.jwksFetches).toBe(1);
      sim.rotateSigningKey();
      // Right after a fetch the unknown kid is refused without asking again (a flood of made-up kids costs the cluster nothing).
      expectError(await login(w, identityId, mint()), 401, 'ServiceAccountTokenRejected');
      expect(sim.counters.jwksFetches).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 10_200));
      expect((await login(w, identityId, mint())).status).toBe(200);
      expect(sim.counters.jwksFetches).toBe(2);
      expect(sim.counters.tokenReviews).toBe(0);
    } finally {
      await sim.stop();
    }
  }, 30_000);

  it('key fetch failures map like TokenReview failures, and /check reports the keys', async () => {
    const identityId = await jwksConfig();
    const report = await request(w.t.url).post(`${configPath(identityId)}/check`).set(auth(w.admin.token));
    expect(report.body).toEqual({ reachable: true, tls: true, reviewerAuthorized: true, kubernetesVersion: 'v1.31.0', keys: { count: 1, issuer: w.sim.issuer }, namespaceReadable: null, errors: [] });

    const invalid = await jwksConfig({ tokenReviewerJwt: 'not-a-valid-reviewer' });
    expectError(await login(w, invalid, checkoutToken(w)), 502, 'TokenReviewerUnauthorized');
    // A user outside system:serviceaccounts may not read the issuer documents.
    w.sim.addStaticToken('static-operator-token', { username: 'operator' });
    const forbidden = await jwksConfig({ tokenReviewerJwt: 'static-operator-token' });
    expect(expectError(await login(w, forbidden, checkoutToken(w)), 502, 'TokenReviewerForbidden').message).toContain('system:service-account-issuer-discovery');
    const forbiddenReport = await request(w.t.url).post(`${configPath(forbidden)}/check`).set(auth(w.admin.token));
    expect(forbiddenReport.body).toMatchObject({ reviewerAuthorized: false, keys: null, errors: [{ code: 'TokenReviewerForbidden' }] });
    w.sim.setFault({ kind: 'status500' });
    try {
      const down = await jwksConfig();
      expectError(await login(w, down, checkoutToken(w)), 502, 'KubernetesBadResponse');
    } finally {
      w.sim.setFault(null);
    }
  });

  it('a shared cluster with jwks: configs listing it need an audience, on both sides of the list', async () => {
    const created = await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/kubernetes-clusters`).set(auth(w.admin.token)).send({ name: `jwks-${Date.now()}`, kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt, issuer: w.sim.issuer, verification: 'jwks' });
    expect(created.status).toBe(201);
    expect(created.body.warnings.map((x: { code: string }) => x.code)).toEqual(['NoRevocationCheck']);
    const clusterId = created.body.kubernetesCluster.id as string;
    const blind = await createIdentity(w);
    expectError(await request(w.t.url).post(configPath(blind)).set(auth(w.admin.token)).send({ clusterIds: [clusterId], allowedNamespaces: 'shop' }), 422, 'ValidationError');
    const identityId = await createIdentity(w);
    expect((await request(w.t.url).post(configPath(identityId)).set(auth(w.admin.token)).send({ clusterIds: [clusterId], allowedNamespaces: 'shop', allowedAudience: 'zerokey' })).status).toBe(201);
    const reviews = w.sim.counters.tokenReviews;
    const res = await login(w, identityId, checkoutToken(w));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ kubernetes: { clusterId } });
    expect(w.sim.counters.tokenReviews).toBe(reviews);
    // Dropping the audience of a config listing a jwks cluster is refused too.
    expectError(await request(w.t.url).patch(configPath(identityId)).set(auth(w.admin.token)).send({ allowedAudience: '' }), 422, 'ValidationError');

    // A token-review cluster listed by a config without audience cannot switch to jwks.
    const plain = await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/kubernetes-clusters`).set(auth(w.admin.token)).send({ name: `plain-${Date.now()}`, kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: w.reviewerJwt });
    const lister = await createIdentity(w);
    expect((await request(w.t.url).post(configPath(lister)).set(auth(w.admin.token)).send({ clusterIds: [plain.body.kubernetesCluster.id], allowedNamespaces: 'shop' })).status).toBe(201);
    const switched = expectError(await request(w.t.url).patch(`/api/v1/kubernetes-clusters/${plain.body.kubernetesCluster.id}`).set(auth(w.admin.token)).send({ verification: 'jwks' }), 422, 'ValidationError');
    expect(switched.details).toEqual([expect.objectContaining({ field: 'verification' })]);
  });
});
