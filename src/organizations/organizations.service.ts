import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { OrgRole } from './org-membership.entity.js';
import { OrgMembershipRepository } from './org-membership.repository.js';
import type { Organization } from './organization.entity.js';
import { OrganizationRepository } from './organization.repository.js';

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
  role?: OrgRole;
}

export function toOrganizationView(org: Organization, role?: OrgRole): OrganizationView {
  return { id: org.id, name: org.name, slug: org.slug, createdAt: org.createdAt, ...(role ? { role } : {}) };
}

function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${base || 'org'}-${randomBytes(3).toString('hex')}`;
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly orgs: OrganizationRepository,
    private readonly memberships: OrgMembershipRepository,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  /** Creates an organization with `adminUserId` as its first admin, in one unit of work (the caller's, when there is one). */
  createWithAdmin(name: string, adminUserId: string): Promise<OrganizationView> {
    return this.uow.transaction(async () => {
      const now = new Date();
      const org: Organization = { id: randomUUID(), name, slug: slugify(name), createdAt: now };
      await this.orgs.insert(org);
      await this.memberships.insert({ id: randomUUID(), orgId: org.id, userId: adminUserId, role: 'admin', createdAt: now });
      return toOrganizationView(org, 'admin');
    });
  }

  /** An organization created by a user, who becomes its admin; audited (`organization.created`) in the new organization. */
  async create(principal: Principal, name: string, client: ClientInfo): Promise<OrganizationView> {
    if (principal.kind !== 'user') throw new DomainError('PermissionDenied', 'only users can create organizations');
    const organization = await this.createWithAdmin(name, principal.userId);
    await this.audit.record({ event: 'organization.created', outcome: 'success', orgId: organization.id, actor: principal, client, metadata: { name: organization.name, slug: organization.slug } });
    return organization;
  }

  /** The slug of an organization (slugs never change), or undefined when it does not exist. */
  async slugOf(id: string): Promise<string | undefined> {
    return (await this.orgs.findById(id))?.slug;
  }

  /** Organizations the caller belongs to (an identity sees its own). */
  async listMine(principal: Principal): Promise<OrganizationView[]> {
    if (principal.kind === 'identity') {
      const org = await this.orgs.findById(principal.orgId);
      return org ? [toOrganizationView(org)] : [];
    }
    const memberships = await this.memberships.ofUser(principal.userId);
    if (memberships.length === 0) return [];
    const roles = new Map(memberships.map((m) => [m.orgId, m.role]));
    const orgs = await this.orgs.findByIds([...roles.keys()]);
    return orgs.map((org) => toOrganizationView(org, roles.get(org.id)));
  }
}
