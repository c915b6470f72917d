import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { hashPassword } from '../common/crypto/password-hasher.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { UsersService } from '../users/users.service.js';
import type { CreateMembershipDto, MembershipDto } from './dto/membership.dto.js';
import { OrgAccessService } from './org-access.service.js';
import type { OrgMembership, OrgRole } from './org-membership.entity.js';
import { OrgMembershipRepository } from './org-membership.repository.js';

const orgNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');
const membershipNotFound = (): DomainError => new DomainError('MembershipNotFound', 'membership not found');
const alreadyMember = (email: string): DomainError => new DomainError('AlreadyMember', `${email} is already a member of this organization`);

/** Members of an organization. An organization always keeps at least one admin. */
@Injectable()
export class MembershipsService {
  constructor(
    private readonly repo: OrgMembershipRepository,
    private readonly uow: UnitOfWork,
    private readonly users: UsersService,
    private readonly access: OrgAccessService,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal, orgId: string, offset: number, limit: number): Promise<{ memberships: MembershipDto[]; totalCount: number }> {
    await this.access.assertRole(principal, orgId, 'viewer', orgNotFound);
    const [rows, totalCount] = await this.repo.listOfOrg(orgId, offset, limit);
    const emails = await this.users.emailsOf(rows.map((r) => r.userId));
    return { memberships: rows.map((row) => toDto(row, emails.get(row.userId) ?? '')), totalCount };
  }

  /** Adds an existing user by email, or creates the user (then `password` is required). */
  async add(principal: Principal, orgId: string, dto: CreateMembershipDto, client: ClientInfo): Promise<MembershipDto> {
    await this.access.assertRole(principal, orgId, 'admin', orgNotFound);
    const user = await this.users.findByEmail(dto.email);
    const passwordHash = !user && dto.password ? await hashPassword(dto.password) : undefined;
    if (!user && !passwordHash) {
      throw new DomainError('ValidationError', 'password is required to create a new user', [{ field: 'password', message: 'password is required when the email is new' }]);
    }
    const membership: OrgMembership = { id: randomUUID(), orgId, userId: user?.id ?? randomUUID(), role: dto.role, createdAt: new Date() };
    try {
      await this.uow.transaction(async () => {
        if (!user) await this.users.create(dto.email, passwordHash!, false, membership.userId);
        await this.repo.insert(membership);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyMember(dto.email);
      throw error;
    }
    await this.audit.record({ event: 'membership.created', outcome: 'success', orgId, actor: principal, client, metadata: { membershipId: membership.id, userId: membership.userId, role: dto.role, userCreated: passwordHash !== undefined } });
    return toDto(membership, dto.email);
  }

  async updateRole(principal: Principal, orgId: string, membershipId: string, role: OrgRole, client: ClientInfo): Promise<MembershipDto> {
    await this.access.assertRole(principal, orgId, 'admin', orgNotFound);
    const updated = await this.withAdminsLocked(orgId, async () => {
      const row = await this.find(orgId, membershipId);
      await this.repo.setRole(row.id, role);
      await this.assertAdminLeft(orgId);
      return { ...row, role };
    });
    await this.audit.record({ event: 'membership.updated', outcome: 'success', orgId, actor: principal, client, metadata: { membershipId, role } });
    return toDto(updated, await this.emailOf(updated.userId));
  }

  async remove(principal: Principal, orgId: string, membershipId: string, client: ClientInfo): Promise<MembershipDto> {
    await this.access.assertRole(principal, orgId, 'admin', orgNotFound);
    const removed = await this.withAdminsLocked(orgId, async () => {
      const row = await this.find(orgId, membershipId);
      await this.repo.deleteById(row.id);
      await this.assertAdminLeft(orgId);
      return row;
    });
    await this.audit.record({ event: 'membership.deleted', outcome: 'success', orgId, actor: principal, client, metadata: { membershipId, userId: removed.userId } });
    return toDto(removed, await this.emailOf(removed.userId));
  }

  /**
   * Runs a change in a transaction that first locks the organization's admin rows (MySQL), so two
   * admins demoting each other at once cannot leave the organization without one.
   */
  private withAdminsLocked<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    return this.uow.transaction(async () => {
      await this.repo.lockAdmins(orgId);
      return work();
    });
  }

  private async assertAdminLeft(orgId: string): Promise<void> {
    if ((await this.repo.countAdmins(orgId)) === 0) {
      throw new DomainError('LastAdmin', 'an organization must keep at least one admin: promote another member first');
    }
  }

  private async find(orgId: string, id: string): Promise<OrgMembership> {
    const row = await this.repo.findInOrg(orgId, id);
    if (!row) throw membershipNotFound();
    return row;
  }

  private async emailOf(userId: string): Promise<string> {
    return (await this.users.emailsOf([userId])).get(userId) ?? '';
  }
}

function toDto(row: OrgMembership, email: string): MembershipDto {
  return { id: row.id, organizationId: row.orgId, userId: row.userId, email, role: row.role, createdAt: row.createdAt };
}
