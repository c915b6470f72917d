import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { OrgRoleNeeded, Principal } from '../common/auth/principal.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { EntityStatements } from '../database/statements.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import type { CreateIdentityDto, IdentityDto, ListIdentitiesQueryDto, UpdateIdentityDto } from './dto/identity.dto.js';
import { IdentityHooks } from './identity-hooks.js';
import { Identity } from './identity.entity.js';

export const identityNotFound = (): DomainError => new DomainError('IdentityNotFound', 'identity not found');
const organizationNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');
const nameTaken = (name: string): DomainError => new DomainError('IdentityNameTaken', `an identity named "${name}" already exists in this organization`);

const LAST_LOGIN_PRECISION_MS = 1000;
const RECORDED_LOGINS_KEPT = 10_000;

@Injectable()
export class IdentitiesService {
  private readonly loginsRecorded = new Map<string, number>();
  private readonly sql: EntityStatements<Identity>;
  private readonly byIdSql: string;
  private methodColumns?: { columns: string; names: string[]; viewSql: string };

  constructor(
    @InjectRepository(Identity) private readonly repo: Repository<Identity>,
    private readonly access: OrgAccessService,
    private readonly hooks: IdentityHooks,
    private readonly audit: AuditService,
  ) {
    this.sql = new EntityStatements(repo);
    this.byIdSql = `${this.sql.column('id')} = ?`;
  }

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
      await this.repo.update({ id }, { name: next.name, role: next.role, metadata: next.metadata, updatedAt: next.updatedAt });
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
    await this.repo.manager.transaction(async (manager) => {
      for (const hook of this.hooks.onDelete) await hook(manager, id);
      await manager.delete(Identity, { id });
    });
    await this.audit.record({ event: 'identity.deleted', outcome: 'success', orgId: identity.orgId, identityId: id, actor: principal, client, metadata: { name: identity.name } });
    return dto;
  }

  async list(principal: Principal, orgId: string, query: ListIdentitiesQueryDto): Promise<{ identities: IdentityDto[]; totalCount: number }> {
    await this.access.assertRole(principal, orgId, 'viewer', organizationNotFound);
    const qb = this.repo.createQueryBuilder('i').where('i.orgId = :orgId', { orgId });
    if (query.search) qb.andWhere("LOWER(i.name) LIKE :search ESCAPE '!'", { search: `%${escapeLike(query.search.toLowerCase())}%` });
    if (query.role) qb.andWhere('i.role = :role', { role: query.role });
    const order = (query.order ?? 'asc').toUpperCase() as 'ASC' | 'DESC';
    qb.orderBy(query.sort === 'name' ? 'i.name' : 'i.createdAt', order).addOrderBy('i.id', 'ASC').skip(query.offset).take(query.limit);
    const [rows, totalCount] = await qb.getManyAndCount();
    const methods = await this.authMethodsOf(rows.map((r) => r.id));
    return { identities: rows.map((row) => toIdentityDto(row, methods.get(row.id) ?? [])), totalCount };
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

  async findById(id: string): Promise<Identity | null> {
    const [identity] = await this.sql.select(this.byIdSql, [id]);
    return identity ?? null;
  }

  /** The identity as the API shows it, auth methods included, in one statement. */
  async view(id: string): Promise<IdentityDto | null> {
    const { viewSql, names } = this.authMethodColumns();
    const [raw] = await this.sql.rows(viewSql, [id]);
    return raw ? toIdentityDto(this.sql.hydrate(raw), attachedMethods(raw, names)) : null;
  }

  /**
   * `lastLoginAt` is kept to the second: a replica writes it at most once a second per identity,
   * so a burst of logins (a rollout) does not queue on one hot row.
   */
  async recordLogin(id: string, at: Date): Promise<void> {
    const last = this.loginsRecorded.get(id);
    if (last !== undefined && at.getTime() - last < LAST_LOGIN_PRECISION_MS && at.getTime() >= last) return;
    this.loginsRecorded.delete(id);
    this.loginsRecorded.set(id, at.getTime());
    if (this.loginsRecorded.size > RECORDED_LOGINS_KEPT) this.loginsRecorded.delete(this.loginsRecorded.keys().next().value as string);
    await this.repo.update({ id }, { lastLoginAt: at });
  }

  private async assertNameFree(orgId: string, name: string): Promise<void> {
    const taken = await this.repo.createQueryBuilder('i').where('i.orgId = :orgId AND LOWER(i.name) = :name', { orgId, name: name.toLowerCase() }).getExists();
    if (taken) throw nameTaken(name);
  }

  private async toDto(identity: Identity): Promise<IdentityDto> {
    const methods = await this.authMethodsOf([identity.id]);
    return toIdentityDto(identity, methods.get(identity.id) ?? []);
  }

  /** The names of the auth methods attached to each identity. */
  private async authMethodsOf(ids: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(ids.map((id) => [id, []]));
    const { columns, names } = this.authMethodColumns();
    if (ids.length === 0 || names.length === 0) return result;
    const id = this.sql.column('id');
    const raws = await this.sql.rows(`SELECT ${id}${columns} FROM ${this.sql.table} WHERE ${id} IN (${ids.map(() => '?').join(', ')})`, ids);
    for (const raw of raws) result.set(this.sql.value(raw, 'id') as string, attachedMethods(raw, names));
    return result;
  }

  /**
   * One selected column per registered auth method (`, CASE … AS "authMethod0"`), 1 when it is
   * attached, and view()'s SELECT with them; built on first use, after every module has registered
   * its methods.
   */
  private authMethodColumns(): { columns: string; names: string[]; viewSql: string } {
    if (!this.methodColumns) {
      const identityId = `${this.sql.table}.${this.sql.column('id')}`;
      const columns = this.hooks.authMethods.map((method, i) => `, CASE WHEN ${method.attachedSql(identityId)} THEN 1 ELSE 0 END AS ${this.sql.escape(`authMethod${i}`)}`);
      const joined = columns.join('');
      this.methodColumns = {
        columns: joined,
        names: this.hooks.authMethods.map((method) => method.name),
        viewSql: `SELECT ${this.sql.columnList()}${joined} FROM ${this.sql.table} WHERE ${this.byIdSql}`,
      };
    }
    return this.methodColumns;
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

function attachedMethods(raw: Record<string, unknown>, names: string[]): string[] {
  return names.filter((_name, i) => Number(raw[`authMethod${i}`]) === 1);
}

function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
