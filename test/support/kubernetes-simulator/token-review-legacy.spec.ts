import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';
import { call, claimsOf, headerOf, tokenReviewBody } from './test-client.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

async function reviewWith(sim: KubernetesSimulator, reviewer: string, token: string, audiences?: string[]) {
  const res = await call(sim.url, sim.caPem, { bearer: reviewer, body: tokenReviewBody(token, audiences) });
  expect(res.status).toBe(201);
  expect(res.headers['content-type']).toBe('application/json');
  return JSON.parse(res.text) as Record<string, any>;
}

describe('KubernetesSimulator TokenReview: legacy tokens and malformed requests', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;
  const review = (token: string, audiences?: string[]) => reviewWith(sim, reviewer, token, audiences);
  const expectRejected = async (token: string, error: string, audiences?: string[]) => {
    const body = await review(token, audiences);
    expect(body['status']).toEqual({ user: {}, error });
  };

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewer = sim.createReviewer();
  });
  afterAll(async () => {
    await sim.stop();
  });

  describe('legacy secret-based tokens', () => {
    it('uses the legacy claim layout', () => {
      const { uid } = sim.createServiceAccount('legacy', 'layout');
      const claims = claimsOf(sim.mint({ namespace: 'legacy', serviceAccount: 'layout', legacy: true }));

      expect(claims).toEqual({
        iss: 'kubernetes/serviceaccount',
        sub: 'system:serviceaccount:legacy:layout',
        'kubernetes.io/serviceaccount/namespace': 'legacy',
        'kubernetes.io/serviceaccount/secret.name': expect.stringMatching(/^layout-token-[a-z0-9]{5}$/),
        'kubernetes.io/serviceaccount/service-account.name': 'layout',
        'kubernetes.io/serviceaccount/service-account.uid': uid,
      });
    });

    it('passes with the API audiences and fails any custom audience', async () => {
      const { uid } = sim.createServiceAccount('legacy', 'app');
      const token = sim.mint({ namespace: 'legacy', serviceAccount: 'app', legacy: true });

      const accepted = await review(token);
      const refused = await review(token, ['zerokey']);

      expect(accepted['status']).toEqual({
        authenticated: true,
        user: {
          username: 'system:serviceaccount:legacy:app',
          uid,
          groups: ['system:serviceaccounts', 'system:serviceaccounts:legacy', 'system:authenticated'],
        },
        audiences: [ISSUER],
      });
      expect(refused['status']).toEqual({
        user: {},
        error: `[invalid bearer token, token audiences ["${ISSUER}"] is invalid for the target audiences ["zerokey"]]`,
      });
    });

    it('refuses options a legacy token cannot carry', () => {
      sim.createServiceAccount('legacy', 'strict');
      expect(() => sim.mint({ namespace: 'legacy', serviceAccount: 'strict', legacy: true, audience: 'zerokey' })).toThrow(/audience/);
    });

    it('is invalidated when its service account is deleted', async () => {
      sim.createServiceAccount('legacy', 'doomed');
      const token = sim.mint({ namespace: 'legacy', serviceAccount: 'doomed', legacy: true });
      sim.deleteServiceAccount('legacy', 'doomed');
      sim.createServiceAccount('legacy', 'doomed');

      await expectRejected(token, '[invalid bearer token, service account token has been invalidated]');
    });
  });

  describe('malformed requests', () => {
    const post = (body: unknown) => call(sim.url, sim.caPem, { bearer: reviewer, body });

    it('answers 400 BadRequest to a body that is not JSON', async () => {
      const res = await post('{"apiVersion":');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
      expect(JSON.parse(res.text)['message']).toBe(
        'the object provided is unrecognized (must be of type TokenReview): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"apiVersion":)',
      );
    });

    it('answers 400 BadRequest to another kind', async () => {
      const res = await post({ apiVersion: 'v1', kind: 'Pod', spec: { token: 'x' } });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Pod in version "v1" cannot be handled as a TokenReview: converting (v1.Pod) to (authentication.TokenReview): unknown conversion',
        reason: 'BadRequest',
        code: 400,
      });
    });

    it('answers 400 BadRequest to a TokenReview without a token', async () => {
      const res = await post(tokenReviewBody(''));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)['message']).toBe('token is required for TokenReview in authentication');
    });
  });
});


describe('KubernetesSimulator TokenReview (ES256, custom issuer and audiences)', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start({ signingAlgorithm: 'ES256', issuer: 'https://oidc.example.test', apiAudiences: ['api', 'k8s'] });
    reviewer = sim.createReviewer('ops', 'tokenreviewer');
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('signs ES256 tokens and reviews them', async () => {
    sim.createServiceAccount('shop', 'checkout');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' });

    const body = await reviewWith(sim, reviewer, token, ['zerokey']);

    expect(headerOf(token)['alg']).toBe('ES256');
    expect(Buffer.from(token.split('.')[2], 'base64url')).toHaveLength(64);
    expect(claimsOf(token)['iss']).toBe('https://oidc.example.test');
    expect(body['status']['authenticated']).toBe(true);
    expect(body['status']['user']['username']).toBe('system:serviceaccount:shop:checkout');
  });

  it('answers all matching API audiences when spec.audiences is empty', async () => {
    sim.createServiceAccount('shop', 'cart');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'cart' });

    const body = await reviewWith(sim, reviewer, token);

    expect(claimsOf(token)['aud']).toEqual(['api', 'k8s']);
    expect(body['status']['audiences']).toEqual(['api', 'k8s']);
  });

  it('rejects ES256 tokens signed by a foreign P-256 key', async () => {
    sim.createServiceAccount('shop', 'rogue');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'rogue', foreignKey: true });

    const body = await reviewWith(sim, reviewer, token);

    expect(headerOf(token)['alg']).toBe('ES256');
    expect(body['status']).toEqual({ user: {}, error: '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]' });
  });
});
