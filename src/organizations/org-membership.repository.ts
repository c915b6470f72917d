import { Injectable } from '@nestjs/common';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { OrgMembership, type OrgRole } from './org-membership.entity.js';

/** The `org_memberships` table: a user's role in an organization. */
@Injectable()
export class OrgMembershipRepository extends TableRepository<OrgMembership> {
  constructor(uow: UnitOfWork) {
    super(uow, OrgMembership);
  }

  async insert(row: OrgMembership): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  findInOrg(orgId: string, id: string): Promise<OrgMembership | null> {
    return this.run((repo) => repo.findOneBy({ id, orgId }));
  }

  roleOf(orgId: string, userId: string): Promise<OrgRole | null> {
    return this.run(async (repo) => (await repo.findOne({ where: { orgId, userId }, select: { id: true, role: true } }))?.role ?? null);
  }

  listOfOrg(orgId: string, offset: number, limit: number): Promise<[OrgMembership[], number]> {
    return this.run((repo) => repo.findAndCount({ where: { orgId }, order: { createdAt: 'ASC', id: 'ASC' }, skip: offset, take: limit }));
  }

  ofUser(userId: string): Promise<OrgMembership[]> {
    return this.run((repo) => repo.find({ where: { userId } }));
  }

  async setRole(id: string, role: OrgRole): Promise<void> {
    await this.run((repo) => repo.update({ id }, { role }));
  }

  async deleteById(id: string): Promise<void> {
    await this.run((repo) => repo.delete({ id }));
  }

  countAdmins(orgId: string): Promise<number> {
    return this.run((repo) => repo.countBy({ orgId, role: 'admin' }));
  }

  /** Locks the organization's admin rows until the caller's transaction ends (MySQL; SQLite's one writer already serializes). */
  async lockAdmins(orgId: string): Promise<void> {
    await this.run(async (repo) => {
      const query = repo.createQueryBuilder('m').select('m.id').where('m.orgId = :orgId AND m.role = :role', { orgId, role: 'admin' });
      if (repo.manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
      await query.getMany();
    });
  }
}
