import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AuthenticationV1Api, CoreV1Api, createConfiguration, OpenidApi, ServerConfiguration, type V1TokenReview, VersionApi, WellKnownApi } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../common/errors/domain-error.js';
import { isPrivateAddress } from '../common/net/private-address.js';
import { MetricsService } from '../health/metrics.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { mapClusterError, mapKeyFetchError, mapNamespaceReadError } from './cluster-errors.js';
import { ClusterTransport } from './cluster-transport.js';
import { InClusterCredentials } from './in-cluster-credentials.js';
import type { KubernetesAuthConfig } from './kubernetes-auth-config.entity.js';

export { CLUSTER_POOL_SIZE } from './cluster-transport.js';

/** Cluster clients kept (one per config); the least recently used beyond this is retired. */
export const CLUSTER_CLIENTS_KEPT = 256;
/** Namespaces whose labels are kept (KUBERNETES_NAMESPACE_CACHE_S), across configs. */
const NAMESPACES_KEPT = 10_000;

export interface ReviewedUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/**
 * What a cluster client is made from: a config's own connection, or a shared cluster's (both are
 * rows with a UUID and a version, so one cache holds both).
 */
export type ClusterConnection = Pick<KubernetesAuthConfig, 'id' | 'version' | 'kubernetesHost' | 'caCert' | 'verifyTlsCertificate' | 'tokenReviewerSource' | 'verification' | 'issuer'>;

/** The connection a login uses: a config's own, or the cluster its token's issuer picked. */
export interface LoginConnection {
  endpoint: ClusterConnection;
  /** The shared cluster's id; null for the config's own connection. */
  clusterId: string | null;
  /** The stored reviewer JWT of that connection (decrypted once per version), or null. */
  reviewerJwt(): string | null;
}

/** What the API server publishes for verifying its service-account tokens. */
export interface PublishedKeys {
  /** The issuer of its OIDC discovery document. */
  issuer: string;
  /** The `keys` of its JWKS, as sent (parsed by the caller). */
  keys: unknown[];
}

export type ReviewVerdict = { authenticated: true; user: ReviewedUser; audiences: string[] } | { authenticated: false; error: string };

interface ClusterClient {
  version: number;
  transport: ClusterTransport;
  authentication: AuthenticationV1Api;
  versions: VersionApi;
  core: CoreV1Api;
  discovery: WellKnownApi;
  openid: OpenidApi;
  /** Calls running on it now: a retired client closes its sockets once they are done. */
  inFlight: number;
  retired: boolean;
}

/**
 * The only code that talks to a cluster. One client per connection (config or cluster id, version): client-node's
 * generated APIs over a ClusterTransport (keep-alive pool with the config's CA, a timeout on every
 * call, the call's bearer). Never logs a TokenReview: its body echoes the reviewed token.
 *
 * A client replaced by a newer version of its config, forgotten (config deleted) or pushed out of
 * the bounded cache is retired: it takes no new calls and closes its sockets when the calls it
 * is running have finished, so a PATCH never cuts a login short. Shutdown closes them all after
 * the HTTP server has drained (onApplicationShutdown).
 */
@Injectable()
export class TokenReviewService implements OnApplicationShutdown {
  private readonly clients = new LRUCache<string, ClusterClient>({ max: CLUSTER_CLIENTS_KEPT, dispose: (client) => retire(client) });
  /** Namespace labels by config id, version and namespace: a changed config (host, reviewer) reads afresh. */
  private readonly namespaceLabelsKept: LRUCache<string, Record<string, string>> | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inCluster: InClusterCredentials,
    private readonly metrics: MetricsService,
  ) {
    const ttl = config.kubernetesNamespaceCacheS * 1000;
    this.namespaceLabelsKept = ttl > 0 ? new LRUCache({ max: NAMESPACES_KEPT, ttl }) : null;
  }

  onApplicationShutdown(): void {
    this.clients.clear();
  }


  /** POST a TokenReview of `token` with `bearer` as the reviewer; cluster faults become DomainErrors. */
  async review(config: ClusterConnection, token: string, audiences: string[], bearer: string): Promise<ReviewVerdict> {
    const client = await this.client(config);
    const body: V1TokenReview = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length ? { audiences } : {}) } };
    const started = performance.now();
    try {
      const verdict = verdictOf(await running(client, () => client.authentication.createTokenReview({ body }, { httpApi: client.transport.library(bearer) })));
      this.metrics.observeTokenReview((performance.now() - started) / 1000, null);
      return verdict;
    } catch (error) {
      const mapped = mapClusterError(error, this.config.kubernetesTimeoutMs);
      this.metrics.observeTokenReview((performance.now() - started) / 1000, mapped.code);
      throw mapped;
    }
  }

  /** GET /version (any caller may ask; proves reachability and TLS, not the reviewer's rights). */
  async version(config: ClusterConnection): Promise<string> {
    const client = await this.client(config);
    try {
      const info = await running(client, () => client.versions.getCode({}, { httpApi: client.transport.library(null) }));
      if (typeof info?.gitVersion !== 'string') throw new Error('no gitVersion');
      return info.gitVersion;
    } catch (error) {
      throw mapClusterError(error, this.config.kubernetesTimeoutMs);
    }
  }

  /**
   * The labels of a namespace (login step 6, namespace selectors), read with the reviewer's
   * bearer and kept for KUBERNETES_NAMESPACE_CACHE_S. 403 → NamespaceReadForbidden, 404 →
   * NamespaceNotAllowed; other faults as for a TokenReview.
   */
  async namespaceLabels(config: ClusterConnection, namespace: string, bearer: string): Promise<Record<string, string>> {
    const key = `${config.id}:${config.version}:${namespace}`;
    const kept = this.namespaceLabelsKept?.get(key);
    if (kept) return kept;
    const client = await this.client(config);
    let labels: Record<string, string>;
    try {
      const answer = await running(client, () => client.core.readNamespace({ name: namespace }, { httpApi: client.transport.library(bearer) }));
      if (!answer || typeof answer !== 'object' || (answer.kind !== undefined && answer.kind !== 'Namespace') || answer.metadata?.name !== namespace) {
        throw new DomainError('KubernetesBadResponse', 'the Kubernetes API server sent an answer that is not the Namespace asked for');
      }
      labels = stringLabels(answer.metadata.labels);
    } catch (error) {
      throw mapNamespaceReadError(error, namespace, this.config.kubernetesTimeoutMs);
    }
    this.namespaceLabelsKept?.set(key, labels);
    return labels;
  }

  /**
   * The cluster's OIDC discovery document and JWKS (JWKS verification), read with the reviewer's
   * bearer: Kubernetes serves them to system:service-account-issuer-discovery. Never cached here.
   */
  async publishedKeys(connection: ClusterConnection, bearer: string): Promise<PublishedKeys> {
    const client = await this.client(connection);
    try {
      return await running(client, async () => {
        const discovery = asObject(await client.discovery.getServiceAccountIssuerOpenIDConfiguration({}, { httpApi: client.transport.library(bearer) }));
        const jwks = asObject(await client.openid.getServiceAccountIssuerOpenIDKeyset({}, { httpApi: client.transport.library(bearer, 'application/jwk-set+json, application/json') }));
        if (typeof discovery?.issuer !== 'string' || !Array.isArray(jwks?.keys)) throw new SyntaxError('not a discovery document and a key set');
        return { issuer: discovery.issuer, keys: jwks.keys as unknown[] };
      });
    } catch (error) {
      throw mapKeyFetchError(error, this.config.kubernetesTimeoutMs);
    }
  }

  private async client(config: ClusterConnection): Promise<ClusterClient> {
    const cached = this.clients.get(config.id);
    if (cached && cached.version === config.version) return cached;
    const ca = config.caCert || (config.tokenReviewerSource === 'in-cluster' ? await this.inCluster.caCert() : '');
    // in-cluster: the cluster Zerokey runs in, as Kubernetes tells every pod (never a tenant's host).
    const inCluster = config.tokenReviewerSource === 'in-cluster';
    const server = inCluster ? this.config.kubernetesInClusterUrl : config.kubernetesHost;
    // The SSRF guard is for hosts tenants write; the in-cluster API server is the operator's own.
    const publicOnly = !this.config.allowPrivateKubernetesHosts && !inCluster;
    const hostname = new URL(server).hostname.replace(/^\[|\]$/g, '');
    // Names are checked on every connect (publicOnlyLookup); an IP literal is never looked up, so check it here.
    if (publicOnly && isIP(hostname) && isPrivateAddress(hostname)) {
      throw new DomainError('KubernetesUnreachable', `kubernetesHost ${hostname} is a private address, refused by ALLOW_PRIVATE_KUBERNETES_HOSTS=false`);
    }
    const transport = new ClusterTransport({ server, ca, verifyTls: config.verifyTlsCertificate, publicOnly }, this.config.kubernetesTimeoutMs);
    const configuration = createConfiguration({ baseServer: new ServerConfiguration(server.replace(/\/+$/, ''), {}), httpApi: transport.library(null) });
    const client: ClusterClient = { version: config.version, transport, authentication: new AuthenticationV1Api(configuration), versions: new VersionApi(configuration), core: new CoreV1Api(configuration), discovery: new WellKnownApi(configuration), openid: new OpenidApi(configuration), inFlight: 0, retired: false };
    // Replacing the stale version retires it (the cache's dispose).
    this.clients.set(config.id, client);
    return client;
  }

  /** Releases the client of a deleted config or cluster (once its running calls are done). */
  forget(connectionId: string): void {
    this.clients.delete(connectionId);
  }
}

/** client-node hands these documents over parsed, or as text when the media type is not JSON-like. */
function asObject(value: unknown): Record<string, unknown> | undefined {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** Only string values count as labels (a malformed answer must not match a selector by accident). */
function stringLabels(labels: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (labels && typeof labels === 'object') for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') result[key] = value;
  return result;
}

function retire(client: ClusterClient): void {
  client.retired = true;
  if (client.inFlight === 0) client.transport.close();
}

async function running<T>(client: ClusterClient, call: () => Promise<T>): Promise<T> {
  client.inFlight++;
  try {
    return await call();
  } finally {
    client.inFlight--;
    if (client.retired && client.inFlight === 0) client.transport.close();
  }
}

function verdictOf(answer: V1TokenReview | undefined): ReviewVerdict {
  const status = answer?.status;
  if (!answer || answer.kind !== undefined && answer.kind !== 'TokenReview' || !status || typeof status !== 'object') {
    throw new DomainError('KubernetesBadResponse', 'the Kubernetes API server sent an answer that is not a TokenReview');
  }
  if (status.error || status.authenticated !== true) {
    return { authenticated: false, error: status.error || 'the token was not authenticated' };
  }
  const user = status.user;
  if (!user || typeof user.username !== 'string') {
    throw new DomainError('KubernetesBadResponse', 'the Kubernetes API server authenticated the token but named no user');
  }
  return {
    authenticated: true,
    user: { username: user.username, uid: user.uid ?? '', groups: user.groups ?? [], extra: (user.extra as Record<string, string[]>) ?? {} },
    audiences: status.audiences ?? [],
  };
}
