import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';
import { call, CallOptions, headerOf, tokenReviewBody } from './test-client.js';

const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

const forbidden = (user: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `tokenreviews.authentication.k8s.io is forbidden: User "${user}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
  reason: 'Forbidden',
  details: { group: 'authentication.k8s.io', kind: 'tokenreviews' },
  code: 403,
});

describe('KubernetesSimulator reviewer credentials and other endpoints', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;
  let reviewed: string;
  const send = async (options: CallOptions) => {
    const res = await call(sim.url, sim.caPem, options);
    expect(res.headers['content-type']).toMatch(/^application\/(jwk-set\+)?json$/);
    return { status: res.status, body: JSON.parse(res.text) as Record<string, any> };
  };
  const reviewAs = (bearer: string | undefined) => send({ bearer, body: tokenReviewBody(reviewed) });

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewer = sim.createReviewer();
    sim.createServiceAccount('shop', 'checkout');
    reviewed = sim.mint({ namespace: 'shop', serviceAccount: 'checkout' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('serves a bound reviewer', async () => {
    const res = await reviewAs(reviewer);
    expect(res.status).toBe(201);
    expect(res.body['status']['authenticated']).toBe(true);
  });

  it('answers 401 to an unknown bearer', async () => {
    await expect(reviewAs('definitely-not-a-token')).resolves.toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('answers 401 to an expired reviewer, a foreign-key reviewer and a custom-audience reviewer', async () => {
    const expired = sim.mint({ namespace: 'auth', serviceAccount: 'reviewer', expired: true });
    const foreign = sim.mint({ namespace: 'auth', serviceAccount: 'reviewer', foreignKey: true });
    const wrongAudience = sim.mint({ namespace: 'auth', serviceAccount: 'reviewer', audience: 'zerokey' });

    await expect(reviewAs(expired)).resolves.toEqual({ status: 401, body: UNAUTHORIZED });
    await expect(reviewAs(foreign)).resolves.toEqual({ status: 401, body: UNAUTHORIZED });
    await expect(reviewAs(wrongAudience)).resolves.toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('answers 403 with the exact Status to a valid service account without auth-delegator', async () => {
    sim.createServiceAccount('auth', 'unbound');
    const unbound = sim.mint({ namespace: 'auth', serviceAccount: 'unbound' });

    await expect(reviewAs(unbound)).resolves.toEqual({ status: 403, body: forbidden('system:serviceaccount:auth:unbound') });
  });

  it('follows bindings: unbinding refuses, a group binding allows', async () => {
    sim.createServiceAccount('team', 'bot');
    const bot = sim.mint({ namespace: 'team', serviceAccount: 'bot' });
    sim.bindAuthDelegator('system:serviceaccount:team:bot');
    sim.unbindAuthDelegator('system:serviceaccount:team:bot');
    await expect(reviewAs(bot)).resolves.toMatchObject({ status: 403 });

    sim.bindAuthDelegator('system:serviceaccounts:team');
    await expect(reviewAs(bot)).resolves.toMatchObject({ status: 201 });
  });

  it('authenticates static tokens, adding system:authenticated', async () => {
    sim.addStaticToken('static-reviewer', { username: 'reviewer@example.com', groups: ['reviewers'] });
    sim.addStaticToken('static-admin', { username: 'admin', groups: ['system:masters'] });
    await expect(reviewAs('static-reviewer')).resolves.toEqual({ status: 403, body: forbidden('reviewer@example.com') });
    await expect(reviewAs('static-admin')).resolves.toMatchObject({ status: 201 });

    sim.bindAuthDelegator('reviewers');
    const res = await send({ bearer: reviewer, body: tokenReviewBody('static-reviewer') });
    expect(res.body['status']).toEqual({
      authenticated: true,
      user: { username: 'reviewer@example.com', groups: ['reviewers', 'system:authenticated'] },
      audiences: ['https://kubernetes.default.svc.cluster.local'],
    });
  });

  it('treats a request without a bearer as system:anonymous (403)', async () => {
    await expect(reviewAs(undefined)).resolves.toEqual({ status: 403, body: forbidden('system:anonymous') });
    await expect(send({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, body: tokenReviewBody(reviewed) })).resolves.toMatchObject({
      status: 403,
    });
  });

  it('answers /version to anonymous callers and 401 to a bad bearer', async () => {
    await expect(send({ path: '/version' })).resolves.toEqual({
      status: 200,
      body: {
        major: '1',
        minor: '31',
        gitVersion: 'v1.31.0',
        gitCommit: expect.stringMatching(/^[0-9a-f]{40}$/),
        gitTreeState: 'clean',
        buildDate: expect.any(String),
        goVersion: expect.stringMatching(/^go1\./),
        compiler: 'gc',
        platform: 'linux/amd64',
      },
    });
    await expect(send({ path: '/version', bearer: reviewer })).resolves.toMatchObject({ status: 200 });
    await expect(send({ path: '/version', bearer: 'bad' })).resolves.toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('authorizes before routing: 403 to a reviewer on other resources, 404 Status only to system:masters', async () => {
    await expect(send({ path: '/api/v1/namespaces', bearer: reviewer })).resolves.toEqual({
      status: 403,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'namespaces is forbidden: User "system:serviceaccount:auth:reviewer" cannot list resource "namespaces" in API group "" at the cluster scope',
        reason: 'Forbidden',
        details: { kind: 'namespaces' },
        code: 403,
      },
    });
    sim.addStaticToken('master-token', { username: 'root', groups: ['system:masters'] });
    await expect(send({ path: '/api/v1/things', bearer: 'master-token' })).resolves.toEqual({
      status: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        details: {},
        code: 404,
      },
    });
  });

  it('answers 405 to other methods on tokenreviews', async () => {
    await expect(send({ bearer: reviewer, method: 'GET' })).resolves.toMatchObject({
      status: 405,
      body: { kind: 'Status', reason: 'MethodNotAllowed', code: 405 },
    });
  });

  it('serves issuer discovery whose JWKS verifies minted tokens', async () => {
    const config = await send({ path: '/.well-known/openid-configuration', bearer: reviewer });
    const jwks = await send({ path: '/openid/v1/jwks', bearer: reviewer });
    const anonymous = await send({ path: '/openid/v1/jwks' });

    expect(config).toEqual({
      status: 200,
      body: {
        issuer: sim.issuer,
        jwks_uri: `${sim.url}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      },
    });
    expect(anonymous.status).toBe(403);
    const [key] = jwks.body['keys'] as Array<Record<string, any>>;
    expect(key).toMatchObject({ use: 'sig', kty: 'RSA', alg: 'RS256', kid: headerOf(reviewed)['kid'] });
    const [header, payload, signature] = reviewed.split('.');
    const publicKey = createPublicKey({ key: key as any, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });
});

describe('KubernetesSimulator with anonymous auth off', () => {
  let sim: KubernetesSimulator;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start({ anonymousAuth: false, gitVersion: 'v1.29.4' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('answers 401 without a bearer, on tokenreviews and /version alike', async () => {
    const review = await call(sim.url, sim.caPem, { body: tokenReviewBody('x') });
    const version = await call(sim.url, sim.caPem, { path: '/version' });

    expect(review.status).toBe(401);
    expect(JSON.parse(review.text)).toEqual(UNAUTHORIZED);
    expect(version.status).toBe(401);
  });

  it('reports the configured version to an authenticated caller', async () => {
    const res = await call(sim.url, sim.caPem, { path: '/version', bearer: sim.createReviewer() });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ major: '1', minor: '29', gitVersion: 'v1.29.4' });
  });
});
