import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { OrgRoleNeeded, Principal } from '../common/auth/principal.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError, validationError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import type { KubernetesClusterCreateDto, KubernetesClusterDto, KubernetesClusterPatchDto, ListKubernetesClustersQueryDto } from './dto/kubernetes-cluster.dto.js';
import { assertHostAllowed } from './host-policy.js';
import { KubernetesAuthConfigRepository } from './kubernetes-auth-config.repository.js';
import type { ConfigWarning } from './config-warnings.js';
import { audienceRequiredWithJwks, type ClusterSettings, resolveClusterSettings } from './kubernetes-auth-config.rules.js';
import { KubernetesCluster } from './kubernetes-cluster.entity.js';
import { KubernetesClusterRepository } from './kubernetes-cluster.repository.js';
import { type LoginConnection, TokenReviewService } from './token-review.service.js';

/** Clusters kept for logins; each login still reads their versions. */
const LOGIN_CLUSTER_CACHE_SIZE = 1000;

/** Binds a cluster's reviewer JWT ciphertext to its row (a ciphertext moved to another row fails). */
export const clusterReviewerJwtAad = (clusterId: string): string => `kubernetes-cluster:${clusterId}:tokenReviewerJwt`;

const notFound = (): DomainError => new DomainError('KubernetesClusterNotFound', 'Kubernetes cluster not found');
const organizationNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');
const nameTaken = (name: string): DomainError => new DomainError('KubernetesClusterNameTaken', `a Kubernetes cluster named "${name}" already exists in this organization`);

/**
 * Shared cluster connections of an organization (docs/api.md "Kubernetes clusters"): their
 * routes' rules and secrets, the check that a config lists only clusters of its organization,
 * and the choice of a config's cluster at login.
 */
@Injectable()
export class KubernetesClustersService {
  private readonly loginClusters = new LRUCache<string, KubernetesCluster>({ max: LOGIN_CLUSTER_CACHE_SIZE });
  /** Decrypted reviewer JWTs, per cluster object: a new version is a new object. */
  private readonly reviewerJwts = new WeakMap<KubernetesCluster, string | null>();

  constructor(
    private readonly repo: KubernetesClusterRepository,
    private readonly configs: KubernetesAuthConfigRepository,
    private readonly uow: UnitOfWork,
    private readonly access: OrgAccessService,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditService,
    private readonly reviews: TokenReviewService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(principal: Principal, orgId: string, dto: KubernetesClusterCreateDto, client: ClientInfo): Promise<{ kubernetesCluster: KubernetesClusterDto; warnings: ConfigWarning[] }> {
    await this.access.assertRole(principal, orgId, 'admin', organizationNotFound);
    const { settings, warnings } = resolveClusterSettings(null, dto, false);
    await assertHostAllowed(settings.kubernetesHost, this.config.allowPrivateKubernetesHosts);
    if (await this.repo.nameTaken(orgId, settings.name)) throw nameTaken(settings.name);
    const now = new Date();
    const id = randomUUID();
    const row: KubernetesCluster = { id, orgId, ...settings, tokenReviewerJwtEncrypted: this.sealJwt(id, dto.tokenReviewerJwt), version: 1, createdAt: now, updatedAt: now };
    try {
      await this.repo.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(settings.name);
      throw error;
    }
    await this.audit.record({ event: 'kubernetes-cluster.created', outcome: 'success', orgId, actor: principal, client, metadata: { clusterId: id, name: settings.name, fields: changedFields(dto) } });
    return { kubernetesCluster: toDto(row, 0), warnings };
  }

  async list(principal: Principal, orgId: string, query: ListKubernetesClustersQueryDto): Promise<{ kubernetesClusters: KubernetesClusterDto[]; totalCount: number }> {
    await this.access.assertRole(principal, orgId, 'viewer', organizationNotFound);
    const [rows, totalCount] = await this.repo.search({ orgId, search: query.search, offset: query.offset, limit: query.limit });
    const usedBy = await this.configs.countListing(rows.map((row) => row.id));
    return { kubernetesClusters: rows.map((row) => toDto(row, usedBy.get(row.id) ?? 0)), totalCount };
  }

  async get(principal: Principal, id: string): Promise<KubernetesClusterDto> {
    const row = await this.authorize(principal, id, 'viewer');
    return toDto(row, await this.usedBy(id));
  }

  async update(principal: Principal, id: string, dto: KubernetesClusterPatchDto, client: ClientInfo): Promise<{ kubernetesCluster: KubernetesClusterDto; warnings: ConfigWarning[] }> {
    const current = await this.authorize(principal, id, 'admin');
    const { settings, jwtStored, warnings } = resolveClusterSettings(settingsOf(current), dto, current.tokenReviewerJwtEncrypted !== null);
    if (dto.kubernetesHost !== undefined) await assertHostAllowed(settings.kubernetesHost, this.config.allowPrivateKubernetesHosts);
    if (dto.name !== undefined && (await this.repo.nameTaken(current.orgId, settings.name, id))) throw nameTaken(settings.name);
    const encrypted = !jwtStored ? null : dto.tokenReviewerJwt === undefined ? current.tokenReviewerJwtEncrypted : this.sealJwt(id, dto.tokenReviewerJwt);
    const updatedAt = new Date();
    try {
      await this.uow.transaction(async () => {
        if (settings.verification === 'jwks' && current.verification !== 'jwks') {
          if (!(await this.repo.hold(id))) throw notFound();
          const blind = await this.configs.countListingWithoutAudience(id);
          if (blind > 0) throw validationError([{ field: 'verification', message: `verification "jwks" needs allowedAudience on every config listing the cluster; ${blind} ha${blind === 1 ? 's' : 've'} none` }]);
        }
        await this.repo.update(id, { ...settings, tokenReviewerJwtEncrypted: encrypted, updatedAt });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(settings.name);
      throw error;
    }
    await this.audit.record({ event: 'kubernetes-cluster.updated', outcome: 'success', orgId: current.orgId, actor: principal, client, metadata: { clusterId: id, name: settings.name, fields: changedFields(dto) } });
    return { kubernetesCluster: toDto({ ...current, ...settings, tokenReviewerJwtEncrypted: encrypted, version: current.version + 1, updatedAt }, await this.usedBy(id)), warnings };
  }

  /** Deletes a cluster no config lists (409 KubernetesClusterInUse otherwise), atomically with that check. */
  async remove(principal: Principal, id: string, client: ClientInfo): Promise<KubernetesClusterDto> {
    const current = await this.authorize(principal, id, 'admin');
    await this.uow.transaction(async () => {
      if (!(await this.repo.hold(id))) throw notFound();
      const usedBy = await this.usedBy(id);
      if (usedBy > 0) throw new DomainError('KubernetesClusterInUse', `${usedBy} Kubernetes auth config${usedBy === 1 ? '' : 's'} still list${usedBy === 1 ? 's' : ''} this cluster in clusterIds: remove it there first`);
      await this.repo.deleteById(id);
    });
    this.loginClusters.delete(id);
    this.reviews.forget(id);
    await this.audit.record({ event: 'kubernetes-cluster.deleted', outcome: 'success', orgId: current.orgId, actor: principal, client, metadata: { clusterId: id, name: current.name } });
    return toDto(current, 0);
  }

  /** A cluster the caller may act on with `needed`; another organization's is KubernetesClusterNotFound. */
  async authorize(principal: Principal, id: string, needed: OrgRoleNeeded): Promise<KubernetesCluster> {
    const row = await this.repo.findById(id);
    if (!row) throw notFound();
    await this.access.assertRole(principal, row.orgId, needed, notFound);
    return row;
  }

  /**
   * A config's `clusterIds` must all be clusters of its identity's organization (422 on
   * `clusterIds`: another organization's cluster looks exactly like a missing one). Call inside
   * the unit of work that writes the config: the clusters stay held until it commits.
   */
  async assertOfOrganization(orgId: string, ids: string[], allowedAudience: string): Promise<void> {
    if (ids.length === 0) return;
    const held = await this.repo.holdOfOrganization(orgId, ids);
    const found = new Set(held.map((c) => c.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      throw validationError(missing.map((id) => ({ field: 'clusterIds', message: `${id} is not a Kubernetes cluster of this identity's organization` })));
    }
    if (!allowedAudience && held.some((c) => c.verification === 'jwks')) throw validationError([audienceRequiredWithJwks()]);
  }

  /**
   * Login step 1 with `clusterIds`: the listed cluster whose issuer equals the token's (not yet
   * trusted) `iss`, else the only listed cluster with an empty issuer, else 401 UnknownCluster.
   * Every call reads the listed clusters' versions; a whole row only when it changed.
   */
  async forLogin(orgId: string, ids: string[], issuer: string | undefined): Promise<KubernetesCluster> {
    const listed = (await this.repo.versions(ids)).filter((c) => c.orgId === orgId);
    const byIssuer = issuer === undefined ? undefined : listed.find((c) => c.issuer !== '' && c.issuer === issuer);
    const catchAll = listed.filter((c) => c.issuer === '');
    const chosen = byIssuer ?? (catchAll.length === 1 ? catchAll[0] : undefined);
    if (!chosen) {
      throw new DomainError('UnknownCluster', `the service-account token's issuer ${issuer === undefined ? '(none)' : `"${issuer.slice(0, 200)}"`} is not the issuer of any cluster of this identity`);
    }
    const cached = this.loginClusters.get(chosen.id);
    if (cached && cached.version === chosen.version) return cached;
    const row = await this.repo.findById(chosen.id);
    if (!row) throw new DomainError('UnknownCluster', 'the cluster of this token was just deleted');
    this.loginClusters.set(row.id, row);
    return row;
  }

  /** The connection a login or check uses through this cluster. */
  connectionOf(cluster: KubernetesCluster): LoginConnection {
    return { endpoint: cluster, clusterId: cluster.id, reviewerJwt: () => this.reviewerJwt(cluster) };
  }

  /** The stored reviewer JWT of a cluster, decrypted once per version, only for cluster calls. */
  reviewerJwt(cluster: KubernetesCluster): string | null {
    let jwt = this.reviewerJwts.get(cluster);
    if (jwt === undefined) {
      jwt = cluster.tokenReviewerJwtEncrypted ? this.secretBox.decrypt(cluster.tokenReviewerJwtEncrypted, clusterReviewerJwtAad(cluster.id)) : null;
      this.reviewerJwts.set(cluster, jwt);
    }
    return jwt;
  }

  /** Clusters by id, for a config's connection check (those of `orgId` only). */
  async ofOrganization(orgId: string, ids: string[]): Promise<KubernetesCluster[]> {
    // In the config's order, which is the order the check reports them in.
    const rows = new Map((await this.repo.findOfOrganization(orgId, ids)).map((row) => [row.id, row]));
    return ids.flatMap((id) => rows.get(id) ?? []);
  }

  private async usedBy(id: string): Promise<number> {
    return (await this.configs.countListing([id])).get(id) ?? 0;
  }

  private sealJwt(clusterId: string, jwt: string | null | undefined): string | null {
    return jwt ? this.secretBox.encrypt(jwt, clusterReviewerJwtAad(clusterId)) : null;
  }
}

function settingsOf(row: KubernetesCluster): ClusterSettings {
  const { name, kubernetesHost, caCert, verifyTlsCertificate, tokenReviewerSource, verification, issuer } = row;
  return { name, kubernetesHost, caCert, verifyTlsCertificate, tokenReviewerSource, verification, issuer };
}

/** Names of the fields a write touched; never their values (the reviewer JWT is a secret). */
function changedFields(dto: KubernetesClusterPatchDto): string[] {
  return Object.keys(dto).filter((key) => dto[key as keyof KubernetesClusterPatchDto] !== undefined);
}

function toDto(row: KubernetesCluster, usedBy: number): KubernetesClusterDto {
  return {
    id: row.id,
    organizationId: row.orgId,
    ...settingsOf(row),
    tokenReviewerJwtSet: row.tokenReviewerJwtEncrypted !== null,
    usedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
