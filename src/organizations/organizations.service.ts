import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, type Repository } from 'typeorm';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { OrgMembership, type OrgRole } from './org-membership.entity.js';
import { Organization } from './organization.entity.js';

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
    @InjectRepository(Organization) private readonly orgs: Repository<Organization>,
    @InjectRepository(OrgMembership) private readonly memberships: Repository<OrgMembership>,
  ) {}

  /** Creates an organization with `adminUserId` as its first admin, inside `manager`'s transaction. */
  async createWithAdmin(manager: EntityManager, name: string, adminUserId: string): Promise<OrganizationView> {
    const now = new Date();
    const org: Organization = { id: randomUUID(), name, slug: slugify(name), createdAt: now };
    await manager.insert(Organization, org);
    await manager.insert(OrgMembership, { id: randomUUID(), orgId: org.id, userId: adminUserId, role: 'admin', createdAt: now });
    return toOrganizationView(org, 'admin');
  }

  async create(principal: Principal, name: string): Promise<OrganizationView> {
    if (principal.kind !== 'user') throw new DomainError('PermissionDenied', 'only users can create organizations');
    return this.orgs.manager.transaction((manager) => this.createWithAdmin(manager, name, principal.userId));
  }

  /** The slug of an organization (slugs never change), or undefined when it does not exist. */
  async slugOf(id: string): Promise<string | undefined> {
    return (await this.orgs.findOne({ select: { slug: true }, where: { id } }))?.slug;
  }

  /** Organizations the caller belongs to (an identity sees its own). */
  async listMine(principal: Principal): Promise<OrganizationView[]> {
    if (principal.kind === 'identity') {
      const org = await this.orgs.findOneBy({ id: principal.orgId });
      return org ? [toOrganizationView(org)] : [];
    }
    const memberships = await this.memberships.find({ where: { userId: principal.userId } });
    if (memberships.length === 0) return [];
    const roles = new Map(memberships.map((m) => [m.orgId, m.role]));
    const orgs = await this.orgs.find({ where: { id: In([...roles.keys()]) }, order: { createdAt: 'ASC', id: 'ASC' } });
    return orgs.map((org) => toOrganizationView(org, roles.get(org.id)));
  }
}
