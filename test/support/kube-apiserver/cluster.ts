import { sign } from 'node:crypto';
import { ControlPlane } from './control-plane.js';
import { kubeRequest, KubeResponse } from './http.js';

export interface TokenOptions {
  /** Default: the API audiences (TokenRequest's own default). */
  audiences?: string[];
  /** Default 3600; the API server refuses less than 600. */
  expirationSeconds?: number;
  /** Bind the token to this pod (it must exist and run as the service account). */
  pod?: { name: string; uid: string };
}

export type Subject = { kind: 'ServiceAccount'; namespace: string; name: string } | { kind: 'User' | 'Group'; name: string };

const POLL_MS = 100;
const POLL_LIMIT_MS = 10_000;

/**
 * Admin operations on a real API server (as `zerokey-admin`, system:masters): namespaces, service
 * accounts, Pending pods, RBAC and tokens from the TokenRequest API.
 */
export class KubeCluster {
  constructor(readonly plane: ControlPlane) {}

  /** An admin call; throws unless the status is the expected one. */
  async call(method: string, path: string, body?: unknown, expected: number[] = [200, 201]): Promise<KubeResponse> {
    const res = await kubeRequest(this.plane, method, path, { bearer: this.plane.adminToken, body });
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 500)}`);
    return res;
  }

  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }

  async createServiceAccount(namespace: string, name: string): Promise<{ uid: string }> {
    const res = await this.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
    return { uid: uidOf(res) };
  }

  async deleteServiceAccount(namespace: string, name: string): Promise<void> {
    await this.call('DELETE', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`);
    await this.waitGone(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`);
  }

  /** A pod that stays Pending (no scheduler, no kubelet): enough to bind tokens to. */
  async createPod(namespace: string, name: string, serviceAccount: string): Promise<{ uid: string }> {
    const res = await this.call('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { serviceAccountName: serviceAccount, containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
    });
    return { uid: uidOf(res) };
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    await this.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    await this.waitGone(`/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  async createClusterRole(name: string, rules: Array<Record<string, unknown>>): Promise<void> {
    await this.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
  }

  async bindClusterRole(bindingName: string, clusterRole: string, subject: Subject): Promise<void> {
    const subjects = [subject.kind === 'ServiceAccount' ? subject : { ...subject, apiGroup: 'rbac.authorization.k8s.io' }];
    await this.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: bindingName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects,
    });
  }

  async deleteClusterRoleBinding(name: string): Promise<void> {
    await this.call('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`);
  }

  /** A token from the TokenRequest API (`kubectl create token`). */
  async requestToken(namespace: string, serviceAccount: string, options: TokenOptions = {}): Promise<string> {
    const spec: Record<string, unknown> = { expirationSeconds: options.expirationSeconds ?? 3600 };
    if (options.audiences) spec.audiences = options.audiences;
    if (options.pod) spec.boundObjectRef = { kind: 'Pod', apiVersion: 'v1', name: options.pod.name, uid: options.pod.uid };
    const res = await this.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec,
    });
    return (res.body as { status: { token: string } }).status.token;
  }

  /**
   * The service account `namespace/name`, optionally bound to system:auth-delegator, and a token for
   * it with the API audiences. Returns once the server's RBAC cache has the binding.
   */
  async createReviewer(namespace: string, name: string, authDelegator: boolean): Promise<string> {
    await this.createServiceAccount(namespace, name);
    if (authDelegator) {
      await this.bindClusterRole(`${namespace}-${name}-auth-delegator`, 'system:auth-delegator', { kind: 'ServiceAccount', namespace, name });
    }
    const token = await this.requestToken(namespace, name, { expirationSeconds: 24 * 3600 });
    if (authDelegator) await this.waitUntil(`RBAC for ${namespace}/${name}`, async () => (await this.review(token, 'probe.invalid.token')).status === 201);
    return token;
  }

  /** POST a TokenReview of `token` with `reviewer` as the bearer (undefined: anonymous). */
  review(reviewer: string | undefined, token: string, audiences?: string[]): Promise<KubeResponse> {
    const spec: Record<string, unknown> = { token };
    if (audiences) spec.audiences = audiences;
    return kubeRequest(this.plane, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      bearer: reviewer,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec },
    });
  }

  /**
   * The same token with changed claims, re-signed with the cluster's own key and kid: the server's
   * validator (not its signature check) then judges times and claims the TokenRequest API never issues.
   */
  resign(token: string, change: (claims: Record<string, unknown>) => void): string {
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    change(claims);
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), this.plane.signingKey).toString('base64url')}`;
  }

  /** Polls until `check` holds (the API server's caches follow writes within milliseconds). */
  async waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + POLL_LIMIT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not in effect within ${POLL_LIMIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async waitGone(path: string): Promise<void> {
    await this.waitUntil(`deletion of ${path}`, async () => (await this.call('GET', path, undefined, [200, 404])).status === 404);
  }
}

function uidOf(res: KubeResponse): string {
  return (res.body as { metadata: { uid: string } }).metadata.uid;
}
