import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import { AuditLog } from './audit-log.entity.js';
import type { AuditLogDto, AuditLogListDto, AuditLogQueryDto } from './dto/audit-log.dto.js';

const orgNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');

/** Reads the audit log: an organization's to its admins, instance events to super admins. */
@Injectable()
export class AuditQueryService {
  constructor(
    @InjectRepository(AuditLog) private readonly repo: Repository<AuditLog>,
    private readonly access: OrgAccessService,
  ) {}

  async forOrganization(principal: Principal, orgId: string, query: AuditLogQueryDto): Promise<AuditLogListDto> {
    await this.access.assertRole(principal, orgId, 'admin', orgNotFound);
    return this.search(orgId, query);
  }

  async forInstance(principal: Principal, query: AuditLogQueryDto): Promise<AuditLogListDto> {
    await this.access.assertSuperAdmin(principal);
    return this.search(null, query);
  }

  private async search(orgId: string | null, q: AuditLogQueryDto): Promise<AuditLogListDto> {
    const qb = this.repo.createQueryBuilder('a');
    if (orgId === null) qb.where('a.orgId IS NULL');
    else qb.where('a.orgId = :orgId', { orgId });
    if (q.event) qb.andWhere('a.event = :event', { event: q.event });
    if (q.identityId) qb.andWhere('a.identityId = :identityId', { identityId: q.identityId });
    if (q.actorId) qb.andWhere('a.actorId = :actorId', { actorId: q.actorId });
    if (q.outcome) qb.andWhere('a.outcome = :outcome', { outcome: q.outcome });
    if (q.startDate) qb.andWhere('a.createdAt >= :startDate', { startDate: new Date(q.startDate) });
    if (q.endDate) qb.andWhere('a.createdAt <= :endDate', { endDate: new Date(q.endDate) });
    qb.orderBy('a.createdAt', 'DESC').addOrderBy('a.id', 'DESC').skip(q.offset).take(q.limit);
    const [rows, totalCount] = await qb.getManyAndCount();
    return { auditLogs: rows.map(toDto), totalCount };
  }
}

function toDto(row: AuditLog): AuditLogDto {
  return {
    id: row.id,
    organizationId: row.orgId,
    actorType: row.actorType,
    actorId: row.actorId,
    identityId: row.identityId,
    event: row.event,
    outcome: row.outcome,
    errorCode: row.errorCode,
    ip: row.ip,
    userAgent: row.userAgent,
    metadata: row.metadata,
    createdAt: row.createdAt,
  };
}
