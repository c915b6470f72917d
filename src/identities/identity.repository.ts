import { Injectable } from '@nestjs/common';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Identity, type IdentityRole } from './identity.entity.js';

export interface IdentitySearch {
  orgId: string;
  search?: string;
  role?: IdentityRole;
  sort?: 'name' | 'createdAt';
  order?: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** The `identities` table. */
@Injectable()
export class IdentityRepository extends TableRepository<Identity> {
  constructor(uow: UnitOfWork) {
    super(uow, Identity);
  }

  findById(id: string): Promise<Identity | null> {
    return this.run((repo) => repo.findOneBy({ id }));
  }

  async insert(row: Identity): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  async update(id: string, fields: Pick<Identity, 'name' | 'role' | 'metadata' | 'updatedAt'>): Promise<void> {
    await this.run((repo) => repo.update({ id }, fields));
  }

  async setLastLogin(id: string, at: Date): Promise<void> {
    await this.run((repo) => repo.update({ id }, { lastLoginAt: at }));
  }

  async deleteById(id: string): Promise<void> {
    await this.run((repo) => repo.delete({ id }));
  }

  /** An identity of `orgId` already has this name, compared case-insensitively. */
  nameTaken(orgId: string, name: string): Promise<boolean> {
    return this.run((repo) => repo.createQueryBuilder('i').where('i.orgId = :orgId AND LOWER(i.name) = :name', { orgId, name: name.toLowerCase() }).getExists());
  }

  search(q: IdentitySearch): Promise<[Identity[], number]> {
    return this.run((repo) => {
      const qb = repo.createQueryBuilder('i').where('i.orgId = :orgId', { orgId: q.orgId });
      if (q.search) qb.andWhere("LOWER(i.name) LIKE :search ESCAPE '!'", { search: `%${escapeLike(q.search.toLowerCase())}%` });
      if (q.role) qb.andWhere('i.role = :role', { role: q.role });
      const order = (q.order ?? 'asc').toUpperCase() as 'ASC' | 'DESC';
      return qb.orderBy(q.sort === 'name' ? 'i.name' : 'i.createdAt', order).addOrderBy('i.id', 'ASC').skip(q.offset).take(q.limit).getManyAndCount();
    });
  }
}

function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}
