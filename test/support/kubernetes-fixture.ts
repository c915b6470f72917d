import request from 'supertest';
import { KubernetesSimulator } from './kubernetes-simulator/index.js';
import { auth, bootstrap, type Session } from './api-client.js';
import { startTestApp, type TestApp } from './test-app.js';

/** A service (anywhere: in this process or spawned) with a bootstrapped admin, and a simulated cluster ready for logins. */
export interface ClusterWorld {
  t: { url: string };
  sim: KubernetesSimulator;
  admin: Session;
  reviewerJwt: string;
}

export interface KubernetesWorld extends ClusterWorld {
  t: TestApp;
  close(): Promise<void>;
}

/**
 * Bootstraps the service at `t.url` and gives `sim` namespace `shop` (service account
 * `checkout`, pod `checkout-7d9f`) and a reviewer bound to system:auth-delegator.
 */
export async function populateClusterWorld<T extends { url: string }>(t: T, sim: KubernetesSimulator): Promise<ClusterWorld & { t: T }> {
  const admin = await bootstrap(t);
  const reviewerJwt = sim.createReviewer();
  sim.createServiceAccount('shop', 'checkout');
  sim.createPod('shop', 'checkout-7d9f', 'checkout');
  return { t, sim, admin, reviewerJwt };
}

/**
 * The real app plus a Kubernetes simulator over HTTPS, a bootstrapped admin, and a cluster with
 * namespace `shop` (service account `checkout`, pod `checkout-7d9f`) and a reviewer bound to
 * system:auth-delegator.
 */
export async function startKubernetesWorld(env: Record<string, string> | ((sim: KubernetesSimulator) => Record<string, string>) = {}): Promise<KubernetesWorld> {
  const sim = await KubernetesSimulator.start();
  const t = await startTestApp({ KUBERNETES_TIMEOUT_MS: '1500', ...(typeof env === 'function' ? env(sim) : env) });
  return {
    ...(await populateClusterWorld(t, sim)),
    async close() {
      await t.close();
      await sim.stop();
    },
  };
}

let counter = 0;

/** Creates an identity in the admin's organization and returns its id. */
export async function createIdentity(w: ClusterWorld, body: Record<string, unknown> = {}): Promise<string> {
  const res = await request(w.t.url)
    .post('/api/v1/identities')
    .set(auth(w.admin.token))
    .send({ name: `identity-${Date.now()}-${++counter}`, organizationId: w.admin.orgId, ...body });
  if (res.status !== 201) throw new Error(`create identity: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.identity.id as string;
}

/** A config that works against the simulator: stored reviewer, its CA, audience zerokey, bound to shop. */
export function workingConfig(w: ClusterWorld, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kubernetesHost: w.sim.url,
    caCert: w.sim.caPem,
    tokenReviewerJwt: w.reviewerJwt,
    allowedNamespaces: 'shop',
    allowedAudience: 'zerokey',
    ...overrides,
  };
}

/** Creates an identity with Kubernetes auth attached; returns the identity id. */
export async function identityWithConfig(w: ClusterWorld, overrides: Record<string, unknown> = {}, identity: Record<string, unknown> = {}): Promise<string> {
  const identityId = await createIdentity(w, identity);
  const res = await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send(workingConfig(w, overrides));
  if (res.status !== 201) throw new Error(`attach: ${res.status} ${JSON.stringify(res.body)}`);
  return identityId;
}

export function login(w: ClusterWorld, identityId: string, jwt: string, headers: Record<string, string> = {}): request.Test {
  return request(w.t.url).post('/api/v1/auth/kubernetes-auth/login').set(headers).send({ identityId, jwt });
}

/** A projected token for shop/checkout bound to its pod, audience zerokey (override anything). */
export function checkoutToken(w: ClusterWorld, options: Partial<Parameters<KubernetesSimulator['mint']>[0]> = {}): string {
  return w.sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey', ...options });
}
