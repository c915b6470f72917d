import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { OrgRoleNeeded, Principal } from '../common/auth/principal.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { CoalescedWrites } from '../database/coalesced-writes.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import type { CreateIdentityDto, IdentityDto, ListIdentitiesQueryDto, UpdateIdentityDto } from './dto/identity.dto.js';
import { IdentityHooks } from './identity-hooks.js';
import type { Identity } from './identity.entity.js';
import { IdentityRepository } from './identity.repository.js';

export const identityNotFound = (): DomainError => new DomainError('IdentityNotFound', 'identity not found');
const organizationNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');
const nameTaken = (name: string): DomainError => new DomainError('IdentityNameTaken', `an identity named "${name}" already exists in this organization`);


@Injectable()
export class IdentitiesService implements OnModuleDestroy {
  /** `lastLoginAt` is informational: coalesced, written within a second, so a rollout's burst of logins is one write per identity. */
  private readonly lastLogins = new CoalescedWrites<string, Date>(
    'IdentityLastLogin',
    (waiting, next) => (next > waiting ? next : waiting),
    (values) => this.uow.transaction(async () => {
      for (const [id, at] of values) await this.repo.setLastLogin(id, at);
    }),
  );

  constructor(
    private readonly repo: IdentityRepository,
    private readonly uow: UnitOfWork,
    private readonly access: OrgAccessService,
    private readonly hooks: IdentityHooks,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, dto: CreateIdentityDto, client: ClientInfo): Promise<IdentityDto> {
    await this.access.assertRole(principal, dto.organizationId, 'admin', organizationNotFound);
    await this.assertNameFree(dto.organizationId, dto.name);
    const now = new Date();
    const identity: Identity = { id: randomUUID(), orgId: dto.organizationId, name: dto.name, role: dto.role ?? 'no-access', metadata: dto.metadata ?? {}, lastLoginAt: null, createdAt: now, updatedAt: now };
    try {
      await this.repo.insert(identity);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(dto.name);
      throw error;
    }
    await this.audit.record({ event: 'identity.created', outcome: 'success', orgId: identity.orgId, identityId: identity.id, actor: principal, client, metadata: { name: identity.name, role: identity.role } });
    return this.toDto(identity);
  }

  async get(principal: Principal, id: string): Promise<IdentityDto> {
    return this.toDto(await this.authorize(principal, id, 'viewer'));
  }

  async update(principal: Principal, id: string, dto: UpdateIdentityDto, client: ClientInfo): Promise<IdentityDto> {
    const identity = await this.authorize(principal, id, 'admin');
    const changed = Object.keys(dto).filter((key) => dto[key as keyof UpdateIdentityDto] !== undefined);
    if (dto.name !== undefined && dto.name.toLowerCase() !== identity.name.toLowerCase()) await this.assertNameFree(identity.orgId, dto.name);
    const next: Identity = { ...identity, ...stripUndefined(dto), updatedAt: new Date() };
    try {
      await this.repo.update(id, { name: next.name, role: next.role, metadata: next.metadata, updatedAt: next.updatedAt });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(next.name);
      throw error;
    }
    await this.audit.record({ event: 'identity.updated', outcome: 'success', orgId: identity.orgId, identityId: id, actor: principal, client, metadata: { changedFields: changed } });
    return this.toDto(next);
  }

  /** Deletes the identity; auth methods and access tokens clean up in the same transaction. */
  async delete(principal: Principal, id: string, client: ClientInfo): Promise<IdentityDto> {
    const identity = await this.authorize(principal, id, 'admin');
    const dto = await this.toDto(identity);
    await this.uow.transaction(async () => {
      for (const hook of this.hooks.onDelete) await hook(id);
      await this.repo.deleteById(id);
    });
    await this.audit.record({ event: 'identity.deleted', outcome: 'success', orgId: identity.orgId, identityId: id, actor: principal, client, metadata: { name: identity.name } });
    return dto;
  }

  async list(principal: Principal, orgId: string, query: ListIdentitiesQueryDto): Promise<{ identities: IdentityDto[]; totalCount: number }> {
    await this.access.assertRole(principal, orgId, 'viewer', organizationNotFound);
    const [rows, totalCount] = await this.repo.search({ orgId, search: query.search, role: query.role, sort: query.sort, order: query.order, offset: query.offset, limit: query.limit });
    const methods = await this.authMethodsOf(rows.map((r) => r.id));
    return { identities: rows.map((row) => toIdentityDto(this.withLastLogin(row), methods.get(row.id) ?? [])), totalCount };
  }

  /**
   * Loads an identity the caller may act on with `needed`; an identity of another organization
   * is IdentityNotFound. Other modules (auth methods, tokens) authorize through this.
   */
  async authorize(principal: Principal, id: string, needed: OrgRoleNeeded): Promise<Identity> {
    const identity = await this.findById(id);
    if (!identity) throw identityNotFound();
    await this.access.assertRole(principal, identity.orgId, needed, identityNotFound);
    return identity;
  }

  findById(id: string): Promise<Identity | null> {
    return this.repo.findById(id);
  }

  /** The identity as the API shows it, auth methods included. */
  async view(id: string): Promise<IdentityDto | null> {
    const identity = await this.repo.findById(id);
    return identity ? this.toDto(identity) : null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.lastLogins.flush();
  }

  /** Notes a login; `lastLoginAt` reaches the database within a second (this replica shows it at once). */
  recordLogin(id: string, at: Date): void {
    this.lastLogins.add(id, at);
  }

  private async assertNameFree(orgId: string, name: string): Promise<void> {
    if (await this.repo.nameTaken(orgId, name)) throw nameTaken(name);
  }

  private async toDto(identity: Identity): Promise<IdentityDto> {
    const methods = await this.authMethodsOf([identity.id]);
    return toIdentityDto(this.withLastLogin(identity), methods.get(identity.id) ?? []);
  }

  /** The identity with the login this replica noted and has not written yet. */
  private withLastLogin(identity: Identity): Identity {
    const waiting = this.lastLogins.waiting(identity.id);
    return waiting && (!identity.lastLoginAt || waiting > identity.lastLoginAt) ? { ...identity, lastLoginAt: waiting } : identity;
  }

  /** The names of the auth methods attached to each identity (one question per registered method). */
  private async authMethodsOf(ids: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return result;
    for (const method of this.hooks.authMethods) {
      for (const id of await method.attachedTo(ids)) result.get(id)?.push(method.name);
    }
    return result;
  }
}

export function toIdentityDto(identity: Identity, authMethods: string[]): IdentityDto {
  return {
    id: identity.id,
    name: identity.name,
    organizationId: identity.orgId,
    role: identity.role,
    metadata: identity.metadata,
    authMethods,
    lastLoginAt: identity.lastLoginAt,
    createdAt: identity.createdAt,
    updatedAt: identity.updatedAt,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
