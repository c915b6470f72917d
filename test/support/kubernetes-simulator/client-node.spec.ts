import { ApiException, AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';

/** Proves the simulator speaks well enough for the real client the service uses. */
describe('KubernetesSimulator with @kubernetes/client-node', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;

  const apiFor = (bearer: string, caPem = sim.caPem): AuthenticationV1Api => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'simulator', server: sim.url, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false },
      { name: 'reviewer', token: bearer },
    );
    return kc.makeApiClient(AuthenticationV1Api);
  };

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewer = sim.createReviewer();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('creates a TokenReview and decodes the authenticated status', async () => {
    const { uid } = sim.createServiceAccount('shop', 'checkout');
    const pod = sim.createPod('shop', 'checkout-7d9f', 'checkout');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' });

    const review = await apiFor(reviewer).createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: ['zerokey'] } },
    });

    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.audiences).toEqual(['zerokey']);
    expect(review.status?.user).toMatchObject({
      username: 'system:serviceaccount:shop:checkout',
      uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-uid': [pod.uid] },
    });
  });

  it('decodes a rejected review: error set, authenticated absent', async () => {
    sim.createServiceAccount('shop', 'stale');
    const token = sim.mint({ namespace: 'shop', serviceAccount: 'stale', expired: true });

    const review = await apiFor(reviewer).createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });

    expect(review.status?.authenticated).toBeUndefined();
    expect(review.status?.error).toBe('[invalid bearer token, service account token has expired]');
  });

  it('surfaces a reviewer without auth-delegator as ApiException 403 with the Status as a string', async () => {
    sim.createServiceAccount('auth', 'unbound');
    const unbound = sim.mint({ namespace: 'auth', serviceAccount: 'unbound' });

    const failure = await apiFor(unbound)
      .createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: unbound } } })
      .then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(ApiException);
    const apiError = failure as ApiException<unknown>;
    expect(apiError.code).toBe(403);
    expect(typeof apiError.body).toBe('string');
    expect(JSON.parse(apiError.body as string)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: expect.stringContaining('User "system:serviceaccount:auth:unbound" cannot create resource "tokenreviews"'),
      code: 403,
    });
  });

  it('surfaces a bad reviewer as ApiException 401', async () => {
    const failure = await apiFor('bogus')
      .createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } } })
      .then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(ApiException);
    expect((failure as ApiException<unknown>).code).toBe(401);
  });

  it('fails TLS when the client trusts another CA', async () => {
    const failure = await apiFor(reviewer, sim.otherCaPem)
      .createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } } })
      .then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(ApiException);
    // client-node 2 sends through undici: a TypeError "fetch failed" whose cause is the TLS error.
    const cause = (failure as Error & { cause?: { code?: string; message?: string } }).cause;
    expect(`${(failure as Error).message} ${cause?.code} ${cause?.message}`).toMatch(/certificate|self.signed|verify/i);
  });
});
