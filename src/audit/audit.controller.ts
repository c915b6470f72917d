import { Controller, Get, Param, Query } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/ids.js';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { AuditQueryService } from './audit-query.service.js';
import { AuditLogListDto, AuditLogQueryDto } from './dto/audit-log.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get('organizations/:orgId/audit-logs')
  @ApiOperation({ operationId: 'listOrganizationAuditLogs', summary: "List an organization's audit events, newest first" })
  @ApiOkResponse({ type: AuditLogListDto, description: 'newest first; org admins only' })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound')
  forOrganization(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Query() query: AuditLogQueryDto): Promise<AuditLogListDto> {
    return this.audit.forOrganization(principal, orgId, query);
  }

  @Get('admin/audit-logs')
  @ApiOperation({ operationId: 'listInstanceAuditLogs', summary: 'List instance audit events (super admins)' })
  @ApiOkResponse({ type: AuditLogListDto, description: 'instance events (session logins, bootstrap, key rotation); super admins only' })
  @ApiErrors('ValidationError', 'Unauthorized', 'PermissionDenied')
  forInstance(@CurrentPrincipal() principal: Principal, @Query() query: AuditLogQueryDto): Promise<AuditLogListDto> {
    return this.audit.forInstance(principal, query);
  }
}
