import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CreateOrganizationDto, OrganizationListDto, OrganizationResponseDto } from './dto/organization.dto.js';
import { OrganizationsService } from './organizations.service.js';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('api/v1/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @ApiOperation({ operationId: 'createOrganization', summary: 'Create an organization; the caller becomes its admin' })
  @ApiCreatedResponse({ type: OrganizationResponseDto })
  @ApiErrors('ValidationError', 'Unauthorized', 'PermissionDenied')
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateOrganizationDto, @Client() client: ClientInfo): Promise<OrganizationResponseDto> {
    return { organization: await this.organizations.create(principal, body.name, client) };
  }

  @Get()
  @ApiOperation({ operationId: 'listOrganizations', summary: 'List the organizations the caller belongs to' })
  @ApiOkResponse({ type: OrganizationListDto })
  @ApiErrors('Unauthorized')
  async list(@CurrentPrincipal() principal: Principal): Promise<OrganizationListDto> {
    return { organizations: await this.organizations.listMine(principal) };
  }
}
