import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { KubernetesCluster } from './kubernetes-cluster.entity.js';

export interface ClusterSearch {
  orgId: string;
  search?: string;
  offset: number;
  limit: number;
}

/** What a login needs to choose among a config's clusters, and to tell whether a cached copy is current. */
export type ClusterVersion = Pick<KubernetesCluster, 'id' | 'orgId' | 'version' | 'issuer'>;

/** The `kubernetes_clusters` table: shared cluster connections, `version` bumped on every write. */
@Injectable()
export class KubernetesClusterRepository extends TableRepository<KubernetesCluster> {
  constructor(uow: UnitOfWork) {
    super(uow, KubernetesCluster);
  }

  findById(id: string): Promise<KubernetesCluster | null> {
    return this.run((repo) => repo.findOneBy({ id }));
  }

  /** The clusters of `orgId` among `ids` (a config's connection check). */
  findOfOrganization(orgId: string, ids: string[]): Promise<KubernetesCluster[]> {
    return this.run((repo) => repo.findBy({ orgId, id: In(ids) }));
  }

  /** Hot path (logins of configs with clusters): id, organization, version and issuer of each. */
  versions(ids: string[]): Promise<ClusterVersion[]> {
    return this.run((repo) => repo.find({ where: { id: In(ids) }, select: { id: true, orgId: true, version: true, issuer: true } }));
  }

  /**
   * Which of `ids` are clusters of `orgId`, each held (MySQL: FOR UPDATE) until the caller's
   * transaction ends, so that a cluster cannot be deleted between this check and the write that
   * lists it. On SQLite the one writer already serializes.
   */
  holdOfOrganization(orgId: string, ids: string[]): Promise<Pick<KubernetesCluster, 'id' | 'verification'>[]> {
    return this.run(async (repo) => {
      const query = repo.createQueryBuilder('c').select(['c.id', 'c.verification']).where('c.orgId = :orgId AND c.id IN (:...ids)', { orgId, ids });
      if (repo.manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
      return query.getMany();
    });
  }

  /** The cluster, held like holdOfOrganization until the caller's transaction ends (its deletion). */
  hold(id: string): Promise<boolean> {
    return this.run(async (repo) => {
      const query = repo.createQueryBuilder('c').select('c.id').where('c.id = :id', { id });
      if (repo.manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
      return (await query.getOne()) !== null;
    });
  }

  /** A cluster of `orgId` other than `exceptId` already has this name, compared case-insensitively. */
  nameTaken(orgId: string, name: string, exceptId?: string): Promise<boolean> {
    return this.run((repo) => {
      const query = repo.createQueryBuilder('c').where('c.orgId = :orgId AND LOWER(c.name) = :name', { orgId, name: name.toLowerCase() });
      if (exceptId) query.andWhere('c.id <> :exceptId', { exceptId });
      return query.getExists();
    });
  }

  search(q: ClusterSearch): Promise<[KubernetesCluster[], number]> {
    return this.run((repo) => {
      const query = repo.createQueryBuilder('c').where('c.orgId = :orgId', { orgId: q.orgId });
      if (q.search) query.andWhere("LOWER(c.name) LIKE :search ESCAPE '!'", { search: `%${q.search.toLowerCase().replace(/[!%_]/g, (ch) => `!${ch}`)}%` });
      return query.orderBy('c.name', 'ASC').addOrderBy('c.id', 'ASC').skip(q.offset).take(q.limit).getManyAndCount();
    });
  }

  async insert(row: KubernetesCluster): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  /** Writes `fields` and bumps the version, so that every replica's cached copy and cluster client goes stale. */
  async update(id: string, fields: Partial<Omit<KubernetesCluster, 'id' | 'orgId' | 'version' | 'createdAt'>>): Promise<void> {
    await this.run((repo) => repo.createQueryBuilder().update().set({ ...fields, version: () => 'version + 1' }).where('id = :id', { id }).execute());
  }

  async deleteById(id: string): Promise<void> {
    await this.run((repo) => repo.delete({ id }));
  }
}
