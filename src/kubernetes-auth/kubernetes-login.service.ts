import { Injectable } from '@nestjs/common';
import type { TokenSubject } from '../access-tokens/access-token.entity.js';
import { AccessTokensService, type IssuedToken, type IssueTokenInput } from '../access-tokens/access-tokens.service.js';
import { type AuditEntry, AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdentitiesService } from '../identities/identities.service.js';
import type { Identity } from '../identities/identity.entity.js';
import { OrganizationsService } from '../organizations/organizations.service.js';
import { assertBindings, namespaceNotAllowed } from './bindings.js';
import type { KubernetesLoginDto } from './dto/kubernetes-auth.dto.js';
import { InClusterCredentials } from './in-cluster-credentials.js';
import type { KubernetesAuthConfig } from './kubernetes-auth-config.entity.js';
import { JwksVerifier } from './jwks-verifier.js';
import { KUBERNETES_AUTH_METHOD, KubernetesAuthService } from './kubernetes-auth.service.js';
import { selectorMatches } from './namespace-selector.js';
import { type ClaimedServiceAccount, decodeServiceAccountJwt, EXP_LEEWAY_SECONDS } from './service-account-jwt.js';
import { type LoginConnection, type ReviewedUser, TokenReviewService } from './token-review.service.js';
import { LRUCache } from 'lru-cache';

/** What login steps 1-6 established; step 7 turns it into an access token. */
export interface VerifiedLogin {
  config: KubernetesAuthConfig;
  identity: LoginIdentity;
  subject: TokenSubject;
}

/** What a login needs of its identity; neither changes over the identity's life. */
export type LoginIdentity = Pick<Identity, 'id' | 'orgId'>;

const IDENTITY_CACHE_SIZE = 10_000;

const SERVICE_ACCOUNT_USERNAME = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The Kubernetes login, docs/api.md "The Kubernetes login, step by step". */
@Injectable()
export class KubernetesLoginService {
  /** An identity's fixed id and organization, kept for logins (a found config means a live identity). */
  private readonly loginIdentities = new LRUCache<string, LoginIdentity>({ max: IDENTITY_CACHE_SIZE });
  /** Organization slugs by id (slugs never change), for Infisical's organizationSlug. */
  private readonly orgSlugs = new LRUCache<string, string>({ max: IDENTITY_CACHE_SIZE });

  constructor(
    private readonly configs: KubernetesAuthService,
    private readonly identities: IdentitiesService,
    private readonly reviews: TokenReviewService,
    private readonly inCluster: InClusterCredentials,
    private readonly tokens: AccessTokensService,
    private readonly audit: AuditService,
    private readonly organizations: OrganizationsService,
    private readonly jwks: JwksVerifier,
  ) {}

  /** Steps 1-6. Every failure after the identity is known is audited with its error code. */
  async verify(body: KubernetesLoginDto, client: ClientInfo): Promise<VerifiedLogin> {
    // The config first: deleting an identity deletes its config in the same transaction, so a
    // config found means a live identity, and the identity's fixed id and organization can be kept.
    const config = await this.configs.forLogin(body.identityId);
    const identity = await this.identityOf(body.identityId);
    await this.assertOrganization(identity, body.organizationSlug ?? body.subOrganizationName);
    let claimed: ClaimedServiceAccount | undefined;
    let clusterId: string | null = null;
    try {
      const connection = await this.configs.connectionFor(config, identity.orgId, body.jwt);
      clusterId = connection.clusterId;
      if (!this.configs.ipMatcher(config).contains(client.ip)) {
        throw new DomainError('IpNotTrusted', `client IP ${client.ip} is not in the trusted IPs of this identity`);
      }
      claimed = this.precheck(config, body.jwt);
      const bearer = await this.bearer(connection, body.jwt);
      const user = await this.review(config, connection, body.jwt, bearer);
      const subject = await this.checkReview(config, connection, claimed, user, bearer);
      return { config, identity, subject };
    } catch (error) {
      if (error instanceof DomainError) await this.recordAttempt(identity, client, error, claimed, clusterId);
      throw error;
    }
  }

  /** Step 7: the access token, with TTLs frozen from the config. */
  async issue(login: VerifiedLogin, client: ClientInfo): Promise<IssuedToken> {
    const { config, identity, subject } = login;
    const audit: AuditEntry = { event: 'kubernetes-auth.login', outcome: 'success', orgId: identity.orgId, identityId: identity.id, actor: { kind: 'anonymous' }, client, metadata: { namespace: subject.namespace, serviceAccountName: subject.serviceAccountName, ...(subject.podName ? { podName: subject.podName } : {}), ...(subject.clusterId ? { clusterId: subject.clusterId } : {}) } };
    const token: IssueTokenInput = {
      identityId: identity.id,
      orgId: identity.orgId,
      authConfigId: config.id,
      authMethod: KUBERNETES_AUTH_METHOD,
      ttl: config.accessTokenTTL,
      maxTtl: config.accessTokenMaxTTL,
      numUsesLimit: config.accessTokenNumUsesLimit,
      clientIp: client.ip,
      subject,
      // Replaced by the config's list as of the token's commit (the guard below).
      trustedIps: null,
    };
    // The token row and its audit row share one commit, written only while the verified config still
    // exists, with that config's trusted IPs as of the commit.
    let written: { issued: IssuedToken; alongsideWritten: boolean };
    try {
      written = await this.tokens.issueWith(token, { guard: () => this.configs.currentTrustedIps(config), alongside: () => this.audit.write(audit) });
    } catch (error) {
      if (error instanceof DomainError) await this.audit.record({ ...audit, outcome: 'failure', errorCode: error.code });
      throw error;
    }
    const { issued, alongsideWritten } = written;
    this.identities.recordLogin(identity.id, new Date());
    if (!alongsideWritten) await this.audit.record(audit);
    return issued;
  }

  private async identityOf(id: string): Promise<LoginIdentity> {
    const known = this.loginIdentities.get(id);
    if (known) return known;
    const identity = await this.identities.findById(id);
    if (!identity) throw new DomainError('KubernetesAuthNotConfigured', 'Kubernetes auth is not configured for this identity');
    const kept = { id: identity.id, orgId: identity.orgId };
    this.loginIdentities.set(id, kept);
    return kept;
  }

  /**
   * Step 1, Infisical's `organizationSlug` / `subOrganizationName`: a slug that is not the
   * identity's organization answers like an unknown identity, so it tells nothing about either.
   */
  private async assertOrganization(identity: LoginIdentity, slug: string | undefined): Promise<void> {
    if (slug === undefined) return;
    let known = this.orgSlugs.get(identity.orgId);
    if (known === undefined) {
      known = await this.organizations.slugOf(identity.orgId);
      if (known !== undefined) this.orgSlugs.set(identity.orgId, known);
    }
    if (known !== slug) throw new DomainError('KubernetesAuthNotConfigured', 'Kubernetes auth is not configured for this identity');
  }

  /** Step 3: refuse obviously bad tokens locally, so they never reach the cluster. */
  private precheck(config: KubernetesAuthConfig, jwt: string): ClaimedServiceAccount {
    const claimed = decodeServiceAccountJwt(jwt);
    if (claimed.exp !== undefined && claimed.exp + EXP_LEEWAY_SECONDS < Date.now() / 1000) {
      throw new DomainError('ServiceAccountTokenExpired', 'the service-account token has expired');
    }
    if (config.allowedAudience && !claimed.audiences.includes(config.allowedAudience)) {
      throw new DomainError('AudienceNotAllowed', `the service-account token is not meant for audience "${config.allowedAudience}"`);
    }
    assertBindings(config, { namespace: claimed.namespace, name: claimed.name, podName: claimed.podName });
    return claimed;
  }

  /** Steps 4-5: the TokenReview, with the reviewer bearer of the config's source. */
  private async review(config: KubernetesAuthConfig, connection: LoginConnection, jwt: string, bearer: string): Promise<ReviewedUser> {
    // JWKS verification: the cluster's keys instead of a TokenReview (the same checks follow).
    if (connection.endpoint.verification === 'jwks') return (await this.jwks.verify(connection.endpoint, jwt, bearer, config.allowedAudience)).user;
    const verdict = await this.reviews.review(connection.endpoint, jwt, config.allowedAudience ? [config.allowedAudience] : [], bearer);
    if (!verdict.authenticated) throw new DomainError('ServiceAccountTokenRejected', `the cluster rejected the service-account token: ${verdict.error}`);
    if (config.allowedAudience && !verdict.audiences.includes(config.allowedAudience)) {
      throw new DomainError('AudienceNotAllowed', `the cluster did not confirm audience "${config.allowedAudience}" for the service-account token`);
    }
    return verdict.user;
  }

  /**
   * Step 6: strict username, the review must name the account the JWT claims, bindings again
   * (the pod as the cluster reviewed it), and last, when `allowedNamespaces` did not admit the
   * namespace, the namespace selector against the namespace's labels as the cluster has them.
   */
  private async checkReview(config: KubernetesAuthConfig, connection: LoginConnection, claimed: ClaimedServiceAccount, user: ReviewedUser, bearer: string): Promise<TokenSubject> {
    const match = SERVICE_ACCOUNT_USERNAME.exec(user.username);
    if (!match) throw new DomainError('NotAServiceAccount', `the cluster authenticated "${user.username}", which is not a service account`);
    const [, namespace, name] = match;
    if (namespace !== claimed.namespace || name !== claimed.name || (claimed.uid !== undefined && user.uid !== claimed.uid)) {
      throw new DomainError('ServiceAccountMismatch', `the cluster reviewed service account "${namespace}/${name}" but the token claims "${claimed.namespace}/${claimed.name}"`);
    }
    const podName = first(user.extra['authentication.kubernetes.io/pod-name']) ?? claimed.podName;
    const podUid = first(user.extra['authentication.kubernetes.io/pod-uid']) ?? claimed.podUid;
    const { namespaceBySelector } = assertBindings(config, { namespace, name, podName });
    if (namespaceBySelector && !selectorMatches(config.namespaceSelector!, await this.reviews.namespaceLabels(connection.endpoint, namespace, bearer))) {
      throw namespaceNotAllowed(namespace, ': its labels do not match the namespaceSelector');
    }
    return { namespace, serviceAccountName: name, serviceAccountUid: user.uid, ...(podName ? { podName } : {}), ...(podUid ? { podUid } : {}), ...(connection.clusterId ? { clusterId: connection.clusterId } : {}) };
  }

  private async bearer(connection: LoginConnection, jwt: string): Promise<string> {
    const source = connection.endpoint.tokenReviewerSource;
    if (source === 'client') return jwt;
    if (source === 'in-cluster') return this.inCluster.token();
    const stored = connection.reviewerJwt();
    if (!stored) throw new DomainError('TokenReviewerUnauthorized', `no reviewer token is stored for this ${connection.clusterId ? 'cluster' : 'config'}: set tokenReviewerJwt`);
    return stored;
  }

  private recordAttempt(identity: LoginIdentity, client: ClientInfo, error: DomainError, claimed: ClaimedServiceAccount | undefined, clusterId: string | null): Promise<void> {
    const metadata: Record<string, string> = claimed ? { namespace: claimed.namespace, serviceAccountName: claimed.name } : {};
    if (clusterId) metadata.clusterId = clusterId;
    metadata.reason = error.message.slice(0, 500);
    return this.audit.record({ event: 'kubernetes-auth.login', outcome: 'failure', errorCode: error.code, orgId: identity.orgId, identityId: identity.id, actor: { kind: 'anonymous' }, client, metadata });
  }
}

function first(values: string[] | undefined): string | undefined {
  return Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
}
