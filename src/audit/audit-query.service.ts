import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import type { AuditLog } from './audit-log.entity.js';
import { AuditLogRepository } from './audit-log.repository.js';
import type { AuditLogDto, AuditLogListDto, AuditLogQueryDto } from './dto/audit-log.dto.js';

const orgNotFound = (): DomainError => new DomainError('OrganizationNotFound', 'organization not found');

/** Reads the audit log: an organization's to its admins, instance events to super admins. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly repo: AuditLogRepository,
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
    const [rows, totalCount] = await this.repo.search({
      orgId,
      event: q.event,
      identityId: q.identityId,
      actorId: q.actorId,
      outcome: q.outcome,
      startDate: q.startDate ? new Date(q.startDate) : undefined,
      endDate: q.endDate ? new Date(q.endDate) : undefined,
      offset: q.offset,
      limit: q.limit,
    });
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
