import { Agent } from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuthenticationV1Api, type ConfigurationOptions, KubeConfig, type V1TokenReview, VersionApi } from '@kubernetes/client-node';
// The object-parameter APIs take observable middleware; this wrapper adapts a promise-based one.
import { PromiseMiddlewareWrapper } from '@kubernetes/client-node/dist/gen/middleware.js';
import { DomainError } from '../common/errors/domain-error';
import { isPrivateAddress, publicOnlyLookup } from '../common/net/private-address';
import { MetricsService } from '../health/metrics.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { mapClusterError } from './cluster-errors';
import { InClusterCredentials } from './in-cluster-credentials';
import type { KubernetesAuthConfig } from './kubernetes-auth-config.entity';

/** Sockets kept per cluster config; the TLS sessions to one cluster never exceed it. */
export const CLUSTER_POOL_SIZE = 16;

export interface ReviewedUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type ReviewVerdict = { authenticated: true; user: ReviewedUser; audiences: string[] } | { authenticated: false; error: string };

interface ClusterClient {
  version: number;
  agent: Agent;
  authentication: AuthenticationV1Api;
  versions: VersionApi;
}

/**
 * The only code that talks to a cluster. One client per (config id, version) with a keep-alive
 * agent that carries the config's CA, and a timeout on every call, both injected with per-call
 * middleware. Never logs a TokenReview: its body echoes the reviewed token.
 */
@Injectable()
export class TokenReviewService implements OnModuleDestroy {
  private readonly clients = new Map<string, ClusterClient>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inCluster: InClusterCredentials,
    private readonly metrics: MetricsService,
  ) {}

  onModuleDestroy(): void {
    for (const client of this.clients.values()) client.agent.destroy();
    this.clients.clear();
  }

  /** POST a TokenReview of `token` with `bearer` as the reviewer; cluster faults become DomainErrors. */
  async review(config: KubernetesAuthConfig, token: string, audiences: string[], bearer: string): Promise<ReviewVerdict> {
    const client = await this.client(config);
    const body: V1TokenReview = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length ? { audiences } : {}) } };
    const started = performance.now();
    try {
      const verdict = verdictOf(await client.authentication.createTokenReview({ body }, this.callOptions(client.agent, bearer)));
      this.metrics.observeTokenReview((performance.now() - started) / 1000, null);
      return verdict;
    } catch (error) {
      const mapped = mapClusterError(error, this.config.kubernetesTimeoutMs);
      this.metrics.observeTokenReview((performance.now() - started) / 1000, mapped.code);
      throw mapped;
    }
  }

  /** GET /version (any caller may ask; proves reachability and TLS, not the reviewer's rights). */
  async version(config: KubernetesAuthConfig): Promise<string> {
    const client = await this.client(config);
    try {
      const info = await client.versions.getCode({}, this.callOptions(client.agent, null));
      if (typeof info?.gitVersion !== 'string') throw new Error('no gitVersion');
      return info.gitVersion;
    } catch (error) {
      throw mapClusterError(error, this.config.kubernetesTimeoutMs);
    }
  }

  private callOptions(agent: Agent, bearer: string | null): ConfigurationOptions {
    const timeoutMs = this.config.kubernetesTimeoutMs;
    const middleware = new PromiseMiddlewareWrapper({
      pre: async (context) => {
        context.setAgent(agent);
        context.setSignal(AbortSignal.timeout(timeoutMs));
        if (bearer) context.setHeaderParam('Authorization', `Bearer ${bearer}`);
        return context;
      },
      post: async (context) => context,
    });
    // 'append' keeps the library's own middleware; the default 'replace' would drop it.
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  private async client(config: KubernetesAuthConfig): Promise<ClusterClient> {
    const cached = this.clients.get(config.id);
    if (cached && cached.version === config.version) return cached;
    cached?.agent.destroy();
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
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'cluster', server, skipTLSVerify: !config.verifyTlsCertificate, ...(ca ? { caData: Buffer.from(ca).toString('base64') } : {}) },
      { name: 'reviewer' },
    );
    // An empty CA means Node's system trust store, never "no verification".
    const agent = new Agent({ keepAlive: true, maxSockets: CLUSTER_POOL_SIZE, maxFreeSockets: CLUSTER_POOL_SIZE, scheduling: 'lifo', rejectUnauthorized: config.verifyTlsCertificate, ...(ca ? { ca } : {}), ...(publicOnly ? { lookup: publicOnlyLookup } : {}) });
    const client: ClusterClient = { version: config.version, agent, authentication: kc.makeApiClient(AuthenticationV1Api), versions: kc.makeApiClient(VersionApi) };
    this.clients.set(config.id, client);
    return client;
  }

  /** Drops the client of a deleted config. */
  forget(configId: string): void {
    this.clients.get(configId)?.agent.destroy();
    this.clients.delete(configId);
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
