import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Organization } from './organization.entity.js';

/** The `organizations` table. */
@Injectable()
export class OrganizationRepository extends TableRepository<Organization> {
  constructor(uow: UnitOfWork) {
    super(uow, Organization);
  }

  async insert(row: Organization): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  findById(id: string): Promise<Organization | null> {
    return this.run((repo) => repo.findOneBy({ id }));
  }

  findByIds(ids: string[]): Promise<Organization[]> {
    return this.run((repo) => repo.find({ where: { id: In(ids) }, order: { createdAt: 'ASC', id: 'ASC' } }));
  }
}
