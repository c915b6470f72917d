import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';
import { call, claimsOf, headerOf, tokenReviewBody } from './test-client.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function reviewWith(sim: KubernetesSimulator, reviewer: string, token: string, audiences?: string[]) {
  const res = await call(sim.url, sim.caPem, { bearer: reviewer, body: tokenReviewBody(token, audiences) });
  expect(res.status).toBe(201);
  expect(res.headers['content-type']).toBe('application/json');
  return JSON.parse(res.text) as Record<string, any>;
}

describe('KubernetesSimulator TokenReview (RS256)', () => {
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

  it('answers a pod-bound token with the exact TokenReview body', async () => {
    const { uid } = sim.createServiceAccount('shop', 'checkout');
    const pod = sim.createPod('shop', 'checkout-7d9f', 'checkout', 'node-a');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' });

    const body = await review(token, ['zerokey']);

    expect(body).toEqual({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {
        managedFields: [
          {
            manager: 'unknown',
            operation: 'Update',
            apiVersion: 'authentication.k8s.io/v1',
            time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:audiences': {}, 'f:token': {} } },
          },
        ],
      },
      spec: { token, audiences: ['zerokey'] },
      status: {
        authenticated: true,
        user: {
          username: 'system:serviceaccount:shop:checkout',
          uid,
          groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
          extra: {
            'authentication.kubernetes.io/pod-name': ['checkout-7d9f'],
            'authentication.kubernetes.io/pod-uid': [pod.uid],
            'authentication.kubernetes.io/node-name': ['node-a'],
            'authentication.kubernetes.io/credential-id': [`JTI=${claimsOf(token)['jti']}`],
          },
        },
        audiences: ['zerokey'],
      },
    });
  });

  it('mints projected tokens with the real claim layout and a typ-less header', async () => {
    const { uid } = sim.createServiceAccount('layout', 'app');
    const pod = sim.createPod('layout', 'app-1', 'app', 'node-b');
    const token = sim.mint({ namespace: 'layout', serviceAccount: 'app', pod: 'app-1', audience: ['zerokey'], lifetimeSeconds: 600 });

    const header = headerOf(token);
    const claims = claimsOf(token);
    expect(header).toEqual({ alg: 'RS256', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(claims).toMatchObject({ aud: ['zerokey'], iss: ISSUER, sub: 'system:serviceaccount:layout:app' });
    expect(claims['exp'] - claims['iat']).toBe(600);
    expect(claims['nbf']).toBe(claims['iat']);
    expect(claims['jti']).toMatch(UUID);
    expect(claims['kubernetes.io']).toEqual({
      namespace: 'layout',
      serviceaccount: { name: 'app', uid },
      pod: { name: 'app-1', uid: pod.uid },
      node: { name: 'node-b', uid: expect.stringMatching(UUID) },
    });
  });

  it('reports only credential-id in extra for a token bound to no pod', async () => {
    sim.createServiceAccount('plain', 'worker');
    const token = sim.mint({ namespace: 'plain', serviceAccount: 'worker', audience: 'zerokey' });

    const body = await review(token, ['zerokey']);

    expect(body['status']['authenticated']).toBe(true);
    expect(body['status']['user']['extra']).toEqual({
      'authentication.kubernetes.io/credential-id': [`JTI=${claimsOf(token)['jti']}`],
    });
  });

  describe('audiences', () => {
    beforeAll(() => {
      sim.createServiceAccount('aud', 'app');
    });

    it('answers the intersection of the token audiences and spec.audiences, in spec order', async () => {
      const token = sim.mint({ namespace: 'aud', serviceAccount: 'app', audience: ['zerokey', 'vault'] });

      const body = await review(token, ['other', 'vault', 'zerokey']);

      expect(body['status']['authenticated']).toBe(true);
      expect(body['status']['audiences']).toEqual(['vault', 'zerokey']);
    });

    it('rejects a token whose audiences miss spec.audiences, with Go %q list formatting', async () => {
      const token = sim.mint({ namespace: 'aud', serviceAccount: 'app', audience: ['a', 'c'] });

      const body = await review(token, ['b']);

      expect(body['spec']).toEqual({ token, audiences: ['b'] });
      expect(body['status']).toEqual({
        user: {},
        error: '[invalid bearer token, token audiences ["a" "c"] is invalid for the target audiences ["b"]]',
      });
      expect(body['status']).not.toHaveProperty('authenticated');
    });

    it('checks against the API audiences when spec.audiences is empty', async () => {
      const apiToken = sim.mint({ namespace: 'aud', serviceAccount: 'app' });
      const customToken = sim.mint({ namespace: 'aud', serviceAccount: 'app', audience: 'zerokey' });

      const accepted = await review(apiToken, []);
      const refused = await review(customToken);

      expect(accepted['spec']).toEqual({ token: apiToken });
      expect(accepted['status']['audiences']).toEqual([ISSUER]);
      expect(refused['status']['error']).toBe(
        `[invalid bearer token, token audiences ["zerokey"] is invalid for the target audiences ["${ISSUER}"]]`,
      );
    });
  });

  describe('time claims (60 s leeway)', () => {
    beforeAll(() => {
      sim.createServiceAccount('time', 'app');
    });

    it('accepts a token expired by less than the leeway', async () => {
      const token = sim.mint({ namespace: 'time', serviceAccount: 'app', expiredBySeconds: 30 });
      const body = await review(token);
      expect(body['status']['authenticated']).toBe(true);
    });

    it('rejects a token expired beyond the leeway', async () => {
      await expectRejected(
        sim.mint({ namespace: 'time', serviceAccount: 'app', expiredBySeconds: 120 }),
        '[invalid bearer token, service account token has expired]',
      );
      await expectRejected(
        sim.mint({ namespace: 'time', serviceAccount: 'app', expired: true }),
        '[invalid bearer token, service account token has expired]',
      );
    });

    it('rejects a token that is not valid yet', async () => {
      await expectRejected(
        sim.mint({ namespace: 'time', serviceAccount: 'app', notYetValid: true }),
        '[invalid bearer token, service account token is not valid yet]',
      );
    });
  });

  describe('live objects', () => {
    it('invalidates a token whose pod was deleted', async () => {
      sim.createServiceAccount('live', 'pod-deleted');
      sim.createPod('live', 'gone', 'pod-deleted');
      const token = sim.mint({ namespace: 'live', serviceAccount: 'pod-deleted', pod: 'gone' });
      sim.deletePod('live', 'gone');

      await expectRejected(token, '[invalid bearer token, service account token has been invalidated]');
    });

    it('rejects a token whose pod was recreated under the same name', async () => {
      sim.createServiceAccount('live', 'pod-recreated');
      const first = sim.createPod('live', 'again', 'pod-recreated');
      const token = sim.mint({ namespace: 'live', serviceAccount: 'pod-recreated', pod: 'again' });
      sim.deletePod('live', 'again');
      const second = sim.createPod('live', 'again', 'pod-recreated');

      await expectRejected(
        token,
        `[invalid bearer token, pod UID (${second.uid}) does not match service account pod ref claim (${first.uid})]`,
      );
    });

    it('rejects a token whose service account was deleted', async () => {
      sim.createServiceAccount('live', 'sa-deleted');
      const token = sim.mint({ namespace: 'live', serviceAccount: 'sa-deleted' });
      sim.deleteServiceAccount('live', 'sa-deleted');

      await expectRejected(token, '[invalid bearer token, serviceaccounts "sa-deleted" not found]');
    });

    it('rejects a token whose service account was recreated', async () => {
      const first = sim.createServiceAccount('live', 'sa-recreated');
      const token = sim.mint({ namespace: 'live', serviceAccount: 'sa-recreated' });
      sim.deleteServiceAccount('live', 'sa-recreated');
      const second = sim.createServiceAccount('live', 'sa-recreated');

      await expectRejected(
        token,
        `[invalid bearer token, service account UID (${second.uid}) does not match claim (${first.uid})]`,
      );
    });

    it('refuses to mint for a missing service account or pod', () => {
      expect(() => sim.mint({ namespace: 'live', serviceAccount: 'nobody' })).toThrow(/not found/);
      sim.createServiceAccount('live', 'podless');
      expect(() => sim.mint({ namespace: 'live', serviceAccount: 'podless', pod: 'nowhere' })).toThrow(/not found/);
    });
  });

  it('rejects a token signed by a key the cluster does not trust', async () => {
    sim.createServiceAccount('keys', 'app');
    const trusted = sim.mint({ namespace: 'keys', serviceAccount: 'app' });
    const foreign = sim.mint({ namespace: 'keys', serviceAccount: 'app', foreignKey: true });

    expect(headerOf(foreign)['kid']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(headerOf(foreign)['kid']).not.toBe(headerOf(trusted)['kid']);
    await expectRejected(foreign, '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]');
  });

  it('rejects a token that is not a JWT with the bare message', async () => {
    await expectRejected('not-a-jwt', 'invalid bearer token');
  });
});
