import { Injectable } from '@nestjs/common';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { KubernetesAuthConfig } from './kubernetes-auth-config.entity.js';

/** The `kubernetes_auth_configs` table: one config per identity, `version` bumped on every write. */
@Injectable()
export class KubernetesAuthConfigRepository extends TableRepository<KubernetesAuthConfig> {
  constructor(uow: UnitOfWork) {
    super(uow, KubernetesAuthConfig);
  }

  findByIdentity(identityId: string): Promise<KubernetesAuthConfig | null> {
    return this.run((repo) => repo.findOneBy({ identityId }));
  }

  existsForIdentity(identityId: string): Promise<boolean> {
    return this.run((repo) => repo.existsBy({ identityId }));
  }

  private versionSql?: string;

  /** Hot path (every login): the id and version of an identity's config, enough to tell whether a cached copy is current. */
  async versionOfIdentity(identityId: string): Promise<Pick<KubernetesAuthConfig, 'id' | 'version'> | null> {
    this.versionSql ??= this.selectSql(['id', 'version'], `${this.col('identityId')} = ?`);
    const [row] = await this.select(this.versionSql, [identityId]);
    return (row as Pick<KubernetesAuthConfig, 'id' | 'version'> | undefined) ?? null;
  }

  /** Which of `identityIds` have a config. */
  async attachedTo(identityIds: string[]): Promise<Set<string>> {
    if (identityIds.length === 0) return new Set();
    const rows = await this.select(this.selectSql(['identityId'], `${this.col('identityId')} IN (${identityIds.map(() => '?').join(', ')})`), identityIds);
    return new Set(rows.map((row) => row.identityId!));
  }

  /**
   * The config's current trusted IPs, if it still exists; and (MySQL) it stays as read until the
   * caller's transaction ends: a lock on its row makes a concurrent delete or update wait for that
   * commit (and then revoke or update what it wrote). On SQLite the one writer already
   * serializes. FOR UPDATE, not a shared lock: TypeORM's `mysql` driver writes FOR SHARE for any
   * server version ≥ 8, which MariaDB 10.11 refuses. Hot path (every login's group commit):
   * written once, and read once per transaction (the logins of one identity batched together
   * share the read; the lock, or SQLite's snapshot, keeps the row as read, and no login writes it).
   */
  holdIfExists(id: string): Promise<Pick<KubernetesAuthConfig, 'accessTokenTrustedIps'> | null> {
    this.holdSql ??= this.selectSql(['accessTokenTrustedIps'], `${this.col('id')} = ?`) + (this.onMysql ? ' FOR UPDATE' : '');
    return this.uow.readOnce(`kubernetes_auth_configs hold ${id}`, async () => {
      const [row] = await this.select(this.holdSql!, [id]);
      return (row as Pick<KubernetesAuthConfig, 'accessTokenTrustedIps'> | undefined) ?? null;
    });
  }

  private holdSql?: string;

  /**
   * How many configs list each of `clusterIds` (a cluster's `usedBy`), in one query: `clusterIds`
   * is a short JSON array of UUIDs, so a quoted id inside it can only be that entry.
   */
  async countListing(clusterIds: string[]): Promise<Map<string, number>> {
    const counts = new Map(clusterIds.map((id) => [id, 0]));
    if (clusterIds.length === 0) return counts;
    const rows = await this.run((repo) => {
      const query = repo.createQueryBuilder('c').select(['c.id', 'c.clusterIds']);
      clusterIds.forEach((id, i) => query.orWhere(`c.clusterIds LIKE :id${i}`, { [`id${i}`]: `%"${id}"%` }));
      return query.getMany();
    });
    for (const row of rows) for (const id of row.clusterIds) if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
    return counts;
  }

  /** How many configs list `clusterId` without an allowedAudience (which JWKS verification requires). */
  async countListingWithoutAudience(clusterId: string): Promise<number> {
    return this.run((repo) => repo.createQueryBuilder('c').where('c.clusterIds LIKE :id AND c.allowedAudience = :empty', { id: `%"${clusterId}"%`, empty: '' }).getCount());
  }

  async insert(row: KubernetesAuthConfig): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  /** Writes `fields` and bumps the version, so that every replica's cached copy and cluster client goes stale. */
  async update(id: string, fields: Partial<Omit<KubernetesAuthConfig, 'id' | 'identityId' | 'version' | 'createdAt'>>): Promise<void> {
    await this.run((repo) => repo.createQueryBuilder().update().set({ ...fields, version: () => 'version + 1' }).where('id = :id', { id }).execute());
  }

  async deleteById(id: string): Promise<void> {
    await this.run((repo) => repo.delete({ id }));
  }

  async deleteOfIdentity(identityId: string): Promise<void> {
    await this.run((repo) => repo.delete({ identityId }));
  }
}
