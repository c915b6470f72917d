import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { AccessTokensService } from '../access-tokens/access-tokens.service';
import { AuthMethodRegistry } from '../access-tokens/auth-method-registry';
import type { AccessToken } from '../access-tokens/access-token.entity';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/auth/decorators';
import type { Principal } from '../common/auth/principal';
import { SecretBox } from '../common/crypto/secret-box';
import { isUniqueViolation } from '../common/errors/database-errors';
import { DomainError, validationError } from '../common/errors/domain-error';
import { IpMatcher } from '../common/net/cidr';
import { privateAddressesOf } from '../common/net/private-address';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IdentitiesService } from '../identities/identities.service';
import { IdentityHooks } from '../identities/identity-hooks';
import type { KubernetesAuthDto, KubernetesAuthFieldsDto } from './dto/kubernetes-auth.dto';
import { KubernetesAuthConfig } from './kubernetes-auth-config.entity';
import { type ConfigSettings, type ConfigWarning, resolveSettings } from './kubernetes-auth-config.rules';

export const KUBERNETES_AUTH_METHOD = 'kubernetes';

const notConfigured = (): DomainError => new DomainError('KubernetesAuthNotConfigured', 'Kubernetes auth is not configured for this identity');

/** Attach/read/patch/delete the Kubernetes auth config of an identity; owns its rules and secrets. */
@Injectable()
export class KubernetesAuthService implements OnModuleInit {
  private readonly ipMatchers = new Map<string, { version: number; matcher: IpMatcher }>();

  constructor(
    @InjectRepository(KubernetesAuthConfig) private readonly repo: Repository<KubernetesAuthConfig>,
    private readonly identities: IdentitiesService,
    private readonly hooks: IdentityHooks,
    private readonly tokens: AccessTokensService,
    private readonly registry: AuthMethodRegistry,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.hooks.registerAuthMethod({
      name: KUBERNETES_AUTH_METHOD,
      attachedTo: async (identityIds) => {
        const rows = await this.repo.find({ where: { identityId: In(identityIds) }, select: { id: true, identityId: true } });
        return new Set(rows.map((r) => r.identityId));
      },
    });
    this.hooks.registerDeleteHook(async (manager, identityId) => {
      await manager.delete(KubernetesAuthConfig, { identityId });
    });
    this.registry.register(KUBERNETES_AUTH_METHOD, { trustedIps: (token) => this.trustedIpsOf(token) });
  }

  async attach(principal: Principal, identityId: string, dto: KubernetesAuthFieldsDto, client: ClientInfo): Promise<{ identityKubernetesAuth: KubernetesAuthDto; warnings: ConfigWarning[] }> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    if (await this.repo.existsBy({ identityId })) throw alreadyConfigured();
    const { settings, warnings } = resolveSettings(null, dto, false);
    await this.assertHostAllowed(settings.kubernetesHost);
    const now = new Date();
    const id = randomUUID();
    const row: KubernetesAuthConfig = { id, identityId, ...settings, tokenReviewerJwtEncrypted: this.sealJwt(id, dto.tokenReviewerJwt), version: 1, createdAt: now, updatedAt: now };
    try {
      await this.repo.insert(row);
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
    const { settings, warnings } = resolveSettings(settingsOf(current), dto, current.tokenReviewerJwtEncrypted !== null);
    if (dto.kubernetesHost !== undefined) await this.assertHostAllowed(settings.kubernetesHost);
    const encrypted = dto.tokenReviewerJwt === undefined ? current.tokenReviewerJwtEncrypted : this.sealJwt(current.id, dto.tokenReviewerJwt);
    const updatedAt = new Date();
    await this.repo
      .createQueryBuilder()
      .update(KubernetesAuthConfig)
      .set({ ...settings, tokenReviewerJwtEncrypted: encrypted, updatedAt, version: () => 'version + 1' })
      .where('id = :id', { id: current.id })
      .execute();
    await this.audit.record({ event: 'kubernetes-auth.updated', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { fields: changedFields(dto) } });
    return { identityKubernetesAuth: toDto({ ...current, ...settings, tokenReviewerJwtEncrypted: encrypted, updatedAt }), warnings };
  }

  /** Removes the config and revokes every token issued through it, atomically. */
  async remove(principal: Principal, identityId: string, client: ClientInfo): Promise<KubernetesAuthDto> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const current = await this.load(identityId);
    let revokedCount = 0;
    await this.repo.manager.transaction(async (manager) => {
      revokedCount = await this.tokens.revokeWhere({ authConfigId: current.id }, manager);
      await manager.delete(KubernetesAuthConfig, { id: current.id });
    });
    await this.audit.record({ event: 'kubernetes-auth.deleted', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { revokedCount } });
    return toDto(current);
  }

  /** The config used by a login; unknown identity and no config answer alike. */
  async forLogin(identityId: string): Promise<KubernetesAuthConfig> {
    return this.load(identityId);
  }

  /** The stored reviewer JWT, decrypted only for the TokenReview call. */
  reviewerJwt(config: KubernetesAuthConfig): string | null {
    return config.tokenReviewerJwtEncrypted ? this.secretBox.decrypt(config.tokenReviewerJwtEncrypted, aad(config.id)) : null;
  }

  ipMatcher(config: KubernetesAuthConfig): IpMatcher {
    const cached = this.ipMatchers.get(config.id);
    if (cached && cached.version === config.version) return cached.matcher;
    const matcher = IpMatcher.fromStrings(config.accessTokenTrustedIps.map((ip) => ip.ipAddress));
    this.ipMatchers.set(config.id, { version: config.version, matcher });
    return matcher;
  }

  private async trustedIpsOf(token: AccessToken): Promise<IpMatcher | null> {
    if (!token.authConfigId) return null;
    const config = await this.repo.findOne({ where: { id: token.authConfigId }, select: { id: true, version: true, accessTokenTrustedIps: true } });
    // A deleted config revoked its tokens; an empty matcher refuses every address.
    return config ? this.ipMatcher(config) : IpMatcher.fromStrings([]);
  }

  /**
   * With ALLOW_PRIVATE_KUBERNETES_HOSTS=false, a host that is or resolves to a loopback, private,
   * link-local or metadata address is refused here (and again at connect time, against rebinding).
   */
  private async assertHostAllowed(host: string): Promise<void> {
    if (this.config.allowPrivateKubernetesHosts || !host) return;
    let refused: string[];
    try {
      refused = await privateAddressesOf(new URL(host).hostname);
    } catch {
      return; // Unresolvable now: the connect-time check still applies.
    }
    if (refused.length) {
      throw validationError([{ field: 'kubernetesHost', message: `kubernetesHost resolves to a private address (${refused[0]}), which ALLOW_PRIVATE_KUBERNETES_HOSTS=false refuses` }]);
    }
  }

  private async load(identityId: string): Promise<KubernetesAuthConfig> {
    const row = await this.repo.findOneBy({ identityId });
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
