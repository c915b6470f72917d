import { randomBytes } from 'node:crypto';
import { KubernetesSimulator } from '../kubernetes-simulator/index.js';
import { KUBERNETES_VERSION } from './binaries.js';
import { KubeCluster } from './cluster.js';
import { ControlPlane } from './control-plane.js';
import { KubeEndpoint, kubeRequest } from './http.js';

export interface TargetToken {
  audiences?: string[];
  /** Bind to this pod (created through the target). */
  pod?: string;
  /** exp this many seconds in the past (iat an hour before it). */
  expiredAgoSeconds?: number;
  /** iat and nbf ten minutes ahead. */
  notYetValid?: boolean;
}

/**
 * One API server under conformance test: the same operations on the real kube-apiserver and on the
 * simulator, so that the same cases can run against both and their answers be compared.
 */
export interface ConformanceTarget {
  readonly name: 'kube-apiserver' | 'simulator';
  readonly endpoint: KubeEndpoint;
  readonly issuer: string;
  /** Static token of system:masters. */
  readonly adminToken: string;
  /** Static token of user `jane`, authenticated, with no RBAC at all. */
  readonly janeToken: string;
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  createServiceAccount(namespace: string, name: string): Promise<string>;
  deleteServiceAccount(namespace: string, name: string): Promise<void>;
  /** A pod that is not scheduled (no node claims). */
  createPod(namespace: string, name: string, serviceAccount: string): Promise<string>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** A reviewer token (API audiences) for a new service account. */
  reviewer(namespace: string, name: string, grants: { authDelegator?: boolean; namespaceReader?: boolean }): Promise<string>;
  token(namespace: string, serviceAccount: string, options?: TargetToken): Promise<string>;
  stop(): Promise<void>;
}

const JANE = { username: 'jane', uid: 'jane-uid' };
const NAMESPACE_READER_RULES = [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }];

export async function realTarget(): Promise<ConformanceTarget> {
  const janeToken = randomBytes(18).toString('base64url');
  const plane = await ControlPlane.start({ staticTokens: [{ token: janeToken, ...JANE }] });
  const cluster = new KubeCluster(plane);
  const pods = new Map<string, { uid: string; serviceAccount: string }>();
  try {
    await cluster.createClusterRole('zerokey-namespace-reader', NAMESPACE_READER_RULES);
  } catch (error) {
    await plane.stop();
    throw error;
  }
  const probeReviewer = cluster.createReviewer('kube-system', 'conformance-probe', true);
  // A token never reviewed before tells when the authenticator's caches have seen a deletion
  // (the server also caches successful reviews for 10 s, so the token under test stays unreviewed).
  const awaitRejected = async (what: string, probe: string): Promise<void> => {
    const bearer = await probeReviewer;
    await cluster.waitUntil(what, async () => !(await cluster.review(bearer, probe)).text.includes('"authenticated":true'));
  };
  return {
    name: 'kube-apiserver',
    endpoint: plane,
    issuer: plane.issuer,
    adminToken: plane.adminToken,
    janeToken,
    createNamespace: (name, labels) => cluster.createNamespace(name, labels),
    createServiceAccount: async (namespace, name) => (await cluster.createServiceAccount(namespace, name)).uid,
    async deleteServiceAccount(namespace, name) {
      const probe = await cluster.requestToken(namespace, name);
      await cluster.deleteServiceAccount(namespace, name);
      await awaitRejected(`deletion of ${namespace}/${name}`, probe);
    },
    async createPod(namespace, name, serviceAccount) {
      const { uid } = await cluster.createPod(namespace, name, serviceAccount);
      pods.set(`${namespace}/${name}`, { uid, serviceAccount });
      return uid;
    },
    async deletePod(namespace, name) {
      const pod = pods.get(`${namespace}/${name}`);
      if (!pod) throw new Error(`no pod ${namespace}/${name}`);
      const probe = await cluster.requestToken(namespace, pod.serviceAccount, { pod: { name, uid: pod.uid } });
      await cluster.deletePod(namespace, name);
      await awaitRejected(`deletion of pod ${namespace}/${name}`, probe);
    },
    async reviewer(namespace, name, grants) {
      const token = await cluster.createReviewer(namespace, name, grants.authDelegator ?? false);
      if (grants.namespaceReader) {
        await cluster.bindClusterRole(`${namespace}-${name}-namespace-reader`, 'zerokey-namespace-reader', { kind: 'ServiceAccount', namespace, name });
        await cluster.waitUntil('the namespace-reader binding', async () => (await kubeRequest(plane, 'GET', '/api/v1/namespaces/default', { bearer: token })).status === 200);
      }
      return token;
    },
    async token(namespace, serviceAccount, options = {}) {
      const pod = options.pod === undefined ? undefined : { name: options.pod, uid: pods.get(`${namespace}/${options.pod}`)?.uid ?? '' };
      const token = await cluster.requestToken(namespace, serviceAccount, { audiences: options.audiences, pod });
      const now = Math.floor(Date.now() / 1000);
      if (options.expiredAgoSeconds !== undefined) {
        const exp = now - options.expiredAgoSeconds;
        return cluster.resign(token, (claims) => Object.assign(claims, { iat: exp - 3600, nbf: exp - 3600, exp }));
      }
      if (options.notYetValid) return cluster.resign(token, (claims) => Object.assign(claims, { iat: now + 600, nbf: now + 600, exp: now + 4200 }));
      return token;
    },
    stop: () => plane.stop(),
  };
}

export async function simulatorTarget(): Promise<ConformanceTarget> {
  const sim = await KubernetesSimulator.start({ gitVersion: KUBERNETES_VERSION });
  const adminToken = randomBytes(18).toString('base64url');
  const janeToken = randomBytes(18).toString('base64url');
  sim.addStaticToken(adminToken, { username: 'zerokey-admin', uid: 'zerokey-admin-uid', groups: ['system:masters'] });
  sim.addStaticToken(janeToken, JANE);
  return {
    name: 'simulator',
    endpoint: sim,
    issuer: sim.issuer,
    adminToken,
    janeToken,
    createNamespace: async (name, labels) => sim.createNamespace(name, labels),
    createServiceAccount: async (namespace, name) => sim.createServiceAccount(namespace, name).uid,
    deleteServiceAccount: async (namespace, name) => sim.deleteServiceAccount(namespace, name),
    createPod: async (namespace, name, serviceAccount) => sim.createPod(namespace, name, serviceAccount, '').uid,
    deletePod: async (namespace, name) => sim.deletePod(namespace, name),
    async reviewer(namespace, name, grants) {
      sim.createServiceAccount(namespace, name);
      const subject = `system:serviceaccount:${namespace}:${name}`;
      if (grants.authDelegator) sim.bindAuthDelegator(subject);
      if (grants.namespaceReader) sim.grantNamespaceRead(subject);
      return sim.mint({ namespace, serviceAccount: name, lifetimeSeconds: 24 * 3600 });
    },
    async token(namespace, serviceAccount, options = {}) {
      return sim.mint({
        namespace,
        serviceAccount,
        audience: options.audiences,
        pod: options.pod,
        expiredBySeconds: options.expiredAgoSeconds,
        notYetValid: options.notYetValid,
      });
    },
    stop: () => sim.stop(),
  };
}
