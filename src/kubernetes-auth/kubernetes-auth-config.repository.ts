import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
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

  /** The id and version of an identity's config: enough to tell whether a cached copy is current. */
  versionOfIdentity(identityId: string): Promise<Pick<KubernetesAuthConfig, 'id' | 'version'> | null> {
    return this.run((repo) => repo.findOne({ where: { identityId }, select: { id: true, version: true } }));
  }

  trustedIps(id: string): Promise<Pick<KubernetesAuthConfig, 'id' | 'version' | 'accessTokenTrustedIps'> | null> {
    return this.run((repo) => repo.findOne({ where: { id }, select: { id: true, version: true, accessTokenTrustedIps: true } }));
  }

  /** Which of `identityIds` have a config. */
  async attachedTo(identityIds: string[]): Promise<Set<string>> {
    if (identityIds.length === 0) return new Set();
    const rows = await this.run((repo) => repo.find({ where: { identityId: In(identityIds) }, select: { id: true, identityId: true } }));
    return new Set(rows.map((row) => row.identityId));
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
