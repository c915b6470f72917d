import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { auth, bootstrap, type Session } from '../api-client.js';
import { startTestApp, type TestApp } from '../test-app.js';
import { KubeCluster } from './cluster.js';
import { ControlPlane } from './control-plane.js';

/** The namespace, labels and objects every world starts with. */
export const SHOP_LABELS = { team: 'payments', env: 'prod' };

export interface RealKubernetesWorld {
  plane: ControlPlane;
  cluster: KubeCluster;
  t: TestApp;
  admin: Session;
  /** auth/reviewer, bound to system:auth-delegator. */
  reviewerJwt: string;
  /** auth/no-rbac: a valid service account without any binding. */
  unboundReviewerJwt: string;
  checkout: { uid: string };
  pod: { name: string; uid: string };
  close(): Promise<void>;
}

/**
 * Zerokey in-process plus a real kube-apiserver: namespace `shop` (labels SHOP_LABELS) with service
 * account `checkout` and its Pending pod `checkout-7d9f`, reviewers in `auth`, and the in-cluster
 * credentials (service account zerokey/zerokey, bound to system:auth-delegator) mounted as files
 * that KUBERNETES_SA_TOKEN_PATH/KUBERNETES_SA_CA_PATH and KUBERNETES_SERVICE_HOST/PORT point at.
 */
export async function startRealKubernetesWorld(env: Record<string, string> = {}): Promise<RealKubernetesWorld> {
  const plane = await ControlPlane.start();
  const mounts = mkdtempSync(join(tmpdir(), 'zerokey-sa-'));
  let t: TestApp | undefined;
  try {
    const cluster = new KubeCluster(plane);
    await cluster.createNamespace('shop', SHOP_LABELS);
    await cluster.createNamespace('auth');
    await cluster.createNamespace('zerokey');
    const checkout = await cluster.createServiceAccount('shop', 'checkout');
    const podUid = await cluster.createPod('shop', 'checkout-7d9f', 'checkout');
    const reviewerJwt = await cluster.createReviewer('auth', 'reviewer', true);
    const unboundReviewerJwt = await cluster.createReviewer('auth', 'no-rbac', false);
    writeFileSync(join(mounts, 'token'), await cluster.createReviewer('zerokey', 'zerokey', true), { mode: 0o600 });
    writeFileSync(join(mounts, 'ca.crt'), plane.caPem);
    const port = new URL(plane.url).port;
    t = await startTestApp({
      KUBERNETES_TIMEOUT_MS: '5000',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      KUBERNETES_SA_TOKEN_PATH: join(mounts, 'token'),
      KUBERNETES_SA_CA_PATH: join(mounts, 'ca.crt'),
      ...env,
    });
    const app = t;
    const admin = await bootstrap(app);
    return {
      plane,
      cluster,
      t: app,
      admin,
      reviewerJwt,
      unboundReviewerJwt,
      checkout,
      pod: { name: 'checkout-7d9f', uid: podUid.uid },
      async close() {
        await app.close();
        await plane.stop();
        rmSync(mounts, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await t?.close();
    await plane.stop();
    rmSync(mounts, { recursive: true, force: true });
    throw error;
  }
}

let counter = 0;

/** A config against the real server: stored reviewer, its CA, audience zerokey, bound to shop. */
export function realConfig(w: RealKubernetesWorld, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { kubernetesHost: w.plane.url, caCert: w.plane.caPem, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop', allowedAudience: 'zerokey', ...overrides };
}

/** Creates an identity with Kubernetes auth attached; returns the identity id. */
export async function realIdentity(w: RealKubernetesWorld, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await request(w.t.url)
    .post('/api/v1/identities')
    .set(auth(w.admin.token))
    .send({ name: `kube-identity-${++counter}`, organizationId: w.admin.orgId });
  if (created.status !== 201) throw new Error(`create identity: ${created.status} ${JSON.stringify(created.body)}`);
  const identityId = created.body.identity.id as string;
  const config = realConfig(w, overrides);
  for (const [key, value] of Object.entries(config)) if (value === undefined) delete config[key];
  const attached = await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send(config);
  if (attached.status !== 201) throw new Error(`attach: ${attached.status} ${JSON.stringify(attached.body)}`);
  return identityId;
}

export function realLogin(w: RealKubernetesWorld, identityId: string, jwt: string): request.Test {
  return request(w.t.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt });
}

export function connectionCheck(w: RealKubernetesWorld, identityId: string): request.Test {
  return request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${identityId}/check`).set(auth(w.admin.token));
}
