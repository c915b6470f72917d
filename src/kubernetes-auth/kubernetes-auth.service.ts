import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IpMatcher } from '../common/net/cidr.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { IdentitiesService } from '../identities/identities.service.js';
import { IdentityHooks } from '../identities/identity-hooks.js';
import type { KubernetesAuthDto, KubernetesAuthFieldsDto } from './dto/kubernetes-auth.dto.js';
import type { KubernetesAuthConfig } from './kubernetes-auth-config.entity.js';
import { KubernetesAuthConfigRepository } from './kubernetes-auth-config.repository.js';
import { assertHostAllowed } from './host-policy.js';
import { KubernetesClustersService } from './kubernetes-clusters.service.js';
import { unverifiedIssuer } from './service-account-jwt.js';
import { type LoginConnection, TokenReviewService } from './token-review.service.js';
import type { ConfigWarning } from './config-warnings.js';
import { type ConfigSettings, resolveSettings } from './kubernetes-auth-config.rules.js';

export const KUBERNETES_AUTH_METHOD = 'kubernetes';

/** Configs kept for logins, by identity; each login still reads the row's version. */
const LOGIN_CONFIG_CACHE_SIZE = 1000;

/** The trusted IPs of a config as the plain list its tokens carry. */
const trustedIpList = (config: Pick<KubernetesAuthConfig, 'accessTokenTrustedIps'>): string[] => config.accessTokenTrustedIps.map((ip) => ip.ipAddress);

const notConfigured = (): DomainError => new DomainError('KubernetesAuthNotConfigured', 'Kubernetes auth is not configured for this identity');

/** Attach/read/patch/delete the Kubernetes auth config of an identity; owns its rules and secrets. */
@Injectable()
export class KubernetesAuthService implements OnModuleInit {
  private readonly loginConfigs = new LRUCache<string, KubernetesAuthConfig>({ max: LOGIN_CONFIG_CACHE_SIZE });
  /** Decrypted reviewer JWTs, per config object: a new version is a new object. */
  private readonly reviewerJwts = new WeakMap<KubernetesAuthConfig, string | null>();

  constructor(
    private readonly repo: KubernetesAuthConfigRepository,
    private readonly uow: UnitOfWork,
    private readonly identities: IdentitiesService,
    private readonly hooks: IdentityHooks,
    private readonly tokens: AccessTokensService,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditService,
    private readonly reviews: TokenReviewService,
    private readonly clusters: KubernetesClustersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.hooks.registerAuthMethod({ name: KUBERNETES_AUTH_METHOD, attachedTo: (identityIds) => this.repo.attachedTo(identityIds) });
    // Runs inside the identity's deletion unit of work.
    this.hooks.registerDeleteHook(async (identityId) => {
      const config = await this.repo.versionOfIdentity(identityId);
      await this.repo.deleteOfIdentity(identityId);
      if (config) this.reviews.forget(config.id);
    });
  }

  async attach(principal: Principal, identityId: string, dto: KubernetesAuthFieldsDto, client: ClientInfo): Promise<{ identityKubernetesAuth: KubernetesAuthDto; warnings: ConfigWarning[] }> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    if (await this.repo.existsForIdentity(identityId)) throw alreadyConfigured();
    const { settings, jwtStored, warnings } = resolveSettings(null, dto, false);
    await assertHostAllowed(settings.kubernetesHost, this.config.allowPrivateKubernetesHosts);
    const now = new Date();
    const id = randomUUID();
    const row: KubernetesAuthConfig = { id, identityId, ...settings, tokenReviewerJwtEncrypted: jwtStored ? this.sealJwt(id, dto.tokenReviewerJwt) : null, version: 1, createdAt: now, updatedAt: now };
    try {
      await this.uow.transaction(async () => {
        await this.clusters.assertOfOrganization(identity.orgId, settings.clusterIds, settings.allowedAudience);
        await this.repo.insert(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyConfigured();
      throw error;
    }
    await this.audit.record({ event: 'kubernetes-auth.created', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { fields: changedFields(dto) } });
    return { identityKubernetesAuth: toDto(row), warnings };
  }

  async get(principal: Principal, identityId: string): Promise<KubernetesAuthDto> {
    await this.identities.authorize(principal, identityId, 'viewer');
    return toDto(await this.load(identityId));
  }

  async update(principal: Principal, identityId: string, dto: KubernetesAuthFieldsDto, client: ClientInfo): Promise<{ identityKubernetesAuth: KubernetesAuthDto; warnings: ConfigWarning[] }> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const current = await this.load(identityId);
    const { settings, jwtStored, warnings } = resolveSettings(settingsOf(current), dto, current.tokenReviewerJwtEncrypted !== null);
    if (dto.kubernetesHost !== undefined) await assertHostAllowed(settings.kubernetesHost, this.config.allowPrivateKubernetesHosts);
    const encrypted = !jwtStored ? null : dto.tokenReviewerJwt === undefined ? current.tokenReviewerJwtEncrypted : this.sealJwt(current.id, dto.tokenReviewerJwt);
    const updatedAt = new Date();
    // Tokens carry their config's current trusted IPs: a new list reaches them in the same commit.
    await this.uow.transaction(async () => {
      await this.clusters.assertOfOrganization(identity.orgId, settings.clusterIds, settings.allowedAudience);
      await this.repo.update(current.id, { ...settings, tokenReviewerJwtEncrypted: encrypted, updatedAt });
      if (dto.accessTokenTrustedIps !== undefined) await this.tokens.setTrustedIps(current.id, trustedIpList(settings));
    });
    // Its own connection is no longer used: release its cluster client now, not at eviction.
    if (settings.clusterIds.length > 0) this.reviews.forget(current.id);
    await this.audit.record({ event: 'kubernetes-auth.updated', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { fields: changedFields(dto) } });
    return { identityKubernetesAuth: toDto({ ...current, ...settings, tokenReviewerJwtEncrypted: encrypted, updatedAt }), warnings };
  }

  /** Removes the config and revokes every token issued through it, atomically. */
  async remove(principal: Principal, identityId: string, client: ClientInfo): Promise<KubernetesAuthDto> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const current = await this.load(identityId);
    let revokedCount = 0;
    await this.uow.transaction(async () => {
      revokedCount = await this.tokens.revokeWhere({ authConfigId: current.id });
      await this.repo.deleteById(current.id);
    });
    this.reviews.forget(current.id);
    await this.audit.record({ event: 'kubernetes-auth.deleted', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { revokedCount } });
    return toDto(current);
  }

  /**
   * The config used by a login (read-only: it is shared); unknown identity and no config answer
   * alike. Every call reads the row's id and version; the whole row only when they changed.
   */
  async forLogin(identityId: string): Promise<KubernetesAuthConfig> {
    const current = await this.repo.versionOfIdentity(identityId);
    const cached = this.loginConfigs.get(identityId);
    if (!current) {
      // Deleted, maybe on another replica: release this replica's cluster client too.
      if (cached) this.reviews.forget(cached.id);
      this.loginConfigs.delete(identityId);
      throw notConfigured();
    }
    if (cached && cached.id === current.id && cached.version === current.version) return cached;
    const config = await this.load(identityId);
    this.loginConfigs.set(identityId, config);
    return config;
  }

  /**
   * Login step 7's condition, inside the unit of work that writes the token: the verified config
   * still exists (a login racing the deletion of its config or identity gets 404, not a token).
   */
  async currentTrustedIps(config: KubernetesAuthConfig): Promise<{ trustedIps: string[] }> {
    const current = await this.repo.holdIfExists(config.id);
    if (!current) throw notConfigured();
    return { trustedIps: trustedIpList(current) };
  }

  /**
   * Login step 1's choice of connection: the config's own, or, when it lists clusters, the one
   * the token's (unverified) issuer picks (401 UnknownCluster); the token is only read for that.
   */
  async connectionFor(config: KubernetesAuthConfig, orgId: string, jwt: string): Promise<LoginConnection> {
    if (config.clusterIds.length === 0) return this.ownConnection(config);
    return this.clusters.connectionOf(await this.clusters.forLogin(orgId, config.clusterIds, unverifiedIssuer(jwt)));
  }

  /** The config's own connection (a config without clusterIds). */
  ownConnection(config: KubernetesAuthConfig): LoginConnection {
    return { endpoint: config, clusterId: null, reviewerJwt: () => this.reviewerJwt(config) };
  }

  /** The stored reviewer JWT, decrypted once per config version, only for the TokenReview call. */
  reviewerJwt(config: KubernetesAuthConfig): string | null {
    let jwt = this.reviewerJwts.get(config);
    if (jwt === undefined) {
      jwt = config.tokenReviewerJwtEncrypted ? this.secretBox.decrypt(config.tokenReviewerJwtEncrypted, aad(config.id)) : null;
      this.reviewerJwts.set(config, jwt);
    }
    return jwt;
  }

  ipMatcher(config: Pick<KubernetesAuthConfig, 'accessTokenTrustedIps'>): IpMatcher {
    return IpMatcher.of(trustedIpList(config));
  }

  private async load(identityId: string): Promise<KubernetesAuthConfig> {
    const row = await this.repo.findByIdentity(identityId);
    if (!row) throw notConfigured();
    return row;
  }

  private sealJwt(configId: string, jwt: string | null | undefined): string | null {
    return jwt ? this.secretBox.encrypt(jwt, aad(configId)) : null;
  }
}

/** Binds a reviewer JWT ciphertext to its config row (a ciphertext moved to another row fails). */
export const reviewerJwtAad = (configId: string): string => `kubernetes-auth:${configId}:tokenReviewerJwt`;
const aad = reviewerJwtAad;

function alreadyConfigured(): DomainError {
  return new DomainError('KubernetesAuthAlreadyConfigured', 'Kubernetes auth is already configured for this identity: use PATCH to change it');
}

function settingsOf(row: KubernetesAuthConfig): ConfigSettings {
  const { id: _id, identityId: _identity, tokenReviewerJwtEncrypted: _jwt, version: _v, createdAt: _c, updatedAt: _u, ...settings } = row;
  return settings;
}

/** Names of the fields a write touched; never their values (the reviewer JWT is a secret). */
function changedFields(dto: KubernetesAuthFieldsDto): string[] {
  return Object.keys(dto).filter((key) => dto[key as keyof KubernetesAuthFieldsDto] !== undefined);
}

export function toDto(row: KubernetesAuthConfig): KubernetesAuthDto {
  return {
    id: row.id,
    identityId: row.identityId,
    ...settingsOf(row),
    tokenReviewerJwtSet: row.tokenReviewerJwtEncrypted !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
