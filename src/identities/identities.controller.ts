import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/ids.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CreateIdentityDto, IdentityListDto, IdentityResponseDto, ListIdentitiesQueryDto, UpdateIdentityDto } from './dto/identity.dto.js';
import { IdentitiesService } from './identities.service.js';

@ApiTags('identities')
@ApiBearerAuth()
@Controller('api/v1')
export class IdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @Post('identities')
  @ApiOperation({ operationId: 'createIdentity', summary: 'Create a machine identity' })
  @ApiCreatedResponse({ type: IdentityResponseDto })
  @ApiErrors('ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound', 'IdentityNameTaken')
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateIdentityDto, @Client() client: ClientInfo): Promise<IdentityResponseDto> {
    return { identity: await this.identities.create(principal, body, client) };
  }

  @Get('identities/:identityId')
  @ApiOperation({ operationId: 'getIdentity', summary: 'Get an identity' })
  @ApiOkResponse({ type: IdentityResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound')
  async get(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) id: string): Promise<IdentityResponseDto> {
    return { identity: await this.identities.get(principal, id) };
  }

  @Patch('identities/:identityId')
  @ApiOperation({ operationId: 'updateIdentity', summary: 'Update an identity' })
  @ApiOkResponse({ type: IdentityResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'IdentityNameTaken')
  async update(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) id: string, @Body() body: UpdateIdentityDto, @Client() client: ClientInfo): Promise<IdentityResponseDto> {
    return { identity: await this.identities.update(principal, id, body, client) };
  }

  @Delete('identities/:identityId')
  @ApiOperation({ operationId: 'deleteIdentity', summary: 'Delete an identity and revoke all its tokens' })
  @ApiOkResponse({ type: IdentityResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound')
  async delete(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) id: string, @Client() client: ClientInfo): Promise<IdentityResponseDto> {
    return { identity: await this.identities.delete(principal, id, client) };
  }

  @Get('organizations/:orgId/identities')
  @ApiOperation({ operationId: 'listIdentities', summary: "List an organization's identities" })
  @ApiOkResponse({ type: IdentityListDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound')
  list(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Query() query: ListIdentitiesQueryDto): Promise<IdentityListDto> {
    return this.identities.list(principal, orgId, query);
  }
}
