import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdentitiesService } from '../identities/identities.service.js';
import type { ConnectionReportDto } from './dto/connection-report.dto.js';
import { InClusterCredentials } from './in-cluster-credentials.js';
import { JwksVerifier } from './jwks-verifier.js';
import { KubernetesAuthService } from './kubernetes-auth.service.js';
import { KubernetesClustersService } from './kubernetes-clusters.service.js';
import { type LoginConnection, TokenReviewService } from './token-review.service.js';

/** A token no cluster can authenticate: an authorized reviewer gets 201 with status.error for it. */
/**
 * Problem codes only the connection report uses (its others are the API's cluster codes); each
 * has an entry in docs/troubleshooting.md "Connection check" (test/e2e/config-docs.e2e-spec.ts).
 */
export const CHECK_ONLY_CODES = ['ClientReviewerNotCheckable'] as const;

const PROBE_TOKEN = 'zerokey-connection-check.invalid.token';

/** A namespace every cluster has: reading it proves the reviewer may get namespaces. */
const PROBE_NAMESPACE = 'default';

/**
 * `POST …/check`: runs the configured connection like a login would (GET /version, then a
 * TokenReview of a deliberately invalid token, then, for a namespace selector, a namespace read)
 * and says what is wrong and how to fix it.
 */
@Injectable()
export class ConnectionCheckService {
  constructor(
    private readonly configs: KubernetesAuthService,
    private readonly identities: IdentitiesService,
    private readonly reviews: TokenReviewService,
    private readonly inCluster: InClusterCredentials,
    private readonly clusters: KubernetesClustersService,
    private readonly jwks: JwksVerifier,
  ) {}

  /**
   * A config's report: of its own connection, or, when it lists clusters, of each of them in
   * turn, answering the first that has a problem (its messages name the cluster) or else the last.
   */
  async check(principal: Principal, identityId: string): Promise<ConnectionReportDto> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const config = await this.configs.forLogin(identityId);
    const wantsNamespaces = config.namespaceSelector !== null;
    if (config.clusterIds.length === 0) return this.report(this.configs.ownConnection(config), wantsNamespaces);
    let report: ConnectionReportDto | undefined;
    for (const cluster of await this.clusters.ofOrganization(identity.orgId, config.clusterIds)) {
      report = await this.report(this.clusters.connectionOf(cluster), wantsNamespaces);
      for (const error of report.errors) error.message = `cluster "${cluster.name}": ${error.message}`;
      if (report.errors.length) break;
    }
    // Listed clusters cannot be deleted; this only guards against an inconsistent database.
    return report ?? { reachable: false, tls: false, reviewerAuthorized: null, kubernetesVersion: null, keys: null, namespaceReadable: null, errors: [{ code: 'UnknownCluster', message: 'none of the listed clusters exists' }] };
  }

  /** A shared cluster's report; the namespace read is reported, an error only for configs with a selector. */
  async checkCluster(principal: Principal, clusterId: string): Promise<ConnectionReportDto> {
    const cluster = await this.clusters.authorize(principal, clusterId, 'admin');
    const report = await this.report(this.clusters.connectionOf(cluster), true);
    report.errors = report.errors.filter((error) => error.code !== 'NamespaceReadForbidden');
    return report;
  }

  private async report(connection: LoginConnection, wantsNamespaces: boolean): Promise<ConnectionReportDto> {
    const config = connection.endpoint;
    const report: ConnectionReportDto = { reachable: false, tls: false, reviewerAuthorized: null, kubernetesVersion: null, keys: null, namespaceReadable: null, errors: [] };
    try {
      report.kubernetesVersion = await this.reviews.version(config);
      report.reachable = true;
      report.tls = new URL(config.kubernetesHost || 'https://x').protocol === 'https:';
    } catch (error) {
      const failure = asDomainError(error);
      report.reachable = failure.code === 'KubernetesTlsError' || failure.code === 'KubernetesBadResponse' || failure.code === 'TokenReviewerUnauthorized';
      report.errors.push({ code: failure.code, message: advice(failure) });
      return report;
    }
    const bearer = await this.checkReviewer(connection, report);
    if (bearer && wantsNamespaces) await this.checkNamespaceRead(connection, bearer, report);
    return report;
  }

  private async checkNamespaceRead(connection: LoginConnection, bearer: string, report: ConnectionReportDto): Promise<void> {
    try {
      await this.reviews.namespaceLabels(connection.endpoint, PROBE_NAMESPACE, bearer);
      report.namespaceReadable = true;
    } catch (error) {
      const failure = asDomainError(error);
      // No "default" namespace still proves the read was allowed.
      if (failure.code === 'NamespaceNotAllowed') {
        report.namespaceReadable = true;
        return;
      }
      if (failure.code === 'NamespaceReadForbidden') report.namespaceReadable = false;
      report.errors.push({ code: failure.code, message: advice(failure) });
    }
  }

  /** The reviewer's bearer when it could be checked (and so used for the namespace read), else null. */
  private async checkReviewer(connection: LoginConnection, report: ConnectionReportDto): Promise<string | null> {
    const config = connection.endpoint;
    if (config.tokenReviewerSource === 'client') {
      report.errors.push({
        code: CHECK_ONLY_CODES[0],
        message:
          'tokenReviewerSource is "client": each workload’s own token is the reviewer, so it cannot be checked here. Every workload service account needs a ClusterRoleBinding to system:auth-delegator, and tokens with a custom audience are not accepted as bearers by the API server (leave allowedAudience empty, or use "stored"/"in-cluster")',
      });
      return null;
    }
    let bearer: string | null = null;
    try {
      bearer = config.tokenReviewerSource === 'in-cluster' ? await this.inCluster.token() : connection.reviewerJwt();
      if (!bearer) throw new DomainError('TokenReviewerUnauthorized', `no reviewer token is stored for this ${connection.clusterId ? 'cluster' : 'config'}`);
      // JWKS: the reviewer must read the signing keys (no TokenReview is ever sent); else review a bad token.
      if (config.verification === 'jwks') report.keys = await this.jwks.describe(config, bearer);
      else await this.reviews.review(config, PROBE_TOKEN, [], bearer);
      report.reviewerAuthorized = true;
    } catch (error) {
      const failure = asDomainError(error);
      if (failure.code === 'TokenReviewerUnauthorized' || failure.code === 'TokenReviewerForbidden') report.reviewerAuthorized = false;
      report.errors.push({ code: failure.code, message: advice(failure) });
      // A forbidden reviewer may still read namespaces: that is a separate grant.
      return failure.code === 'TokenReviewerForbidden' ? bearer : null;
    }
    return bearer;
  }
}

function asDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  return new DomainError('KubernetesBadResponse', 'unexpected failure while checking the connection');
}

const FIXES: Partial<Record<string, string>> = {
  KubernetesUnreachable: 'check kubernetesHost (scheme, host, port) and that Zerokey can reach the API server through the network',
  KubernetesTimeout: 'the API server did not answer in time: check kubernetesHost, firewalls and KUBERNETES_TIMEOUT_MS',
  KubernetesTlsError: 'set caCert to the cluster CA (kubectl config view --raw --minify -o jsonpath="{.clusters[0].cluster.certificate-authority-data}" | base64 -d) and make sure kubernetesHost matches a name in the server certificate',
  KubernetesBadResponse: 'kubernetesHost answers but not like a Kubernetes API server: check the URL (no path, the API server port)',
  TokenReviewerUnauthorized: 'the reviewer token is invalid or expired: create a new one (kubectl create token <reviewer> -n <namespace>) and PATCH tokenReviewerJwt',
  TokenReviewerForbidden: 'bind the reviewer to the ClusterRole the message names (system:auth-delegator for TokenReviews, system:service-account-issuer-discovery for JWKS verification) with a ClusterRoleBinding',
  NamespaceReadForbidden: 'namespaceSelector needs the reviewer to read namespaces: create a ClusterRole with get on namespaces and bind it to the reviewer (docs/kubernetes-auth.md "Namespace selectors")',
};

function advice(error: DomainError): string {
  const fix = FIXES[error.code];
  return fix ? `${error.message}. Fix: ${fix}` : error.message;
}
