import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/ids.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { PaginationQueryDto } from '../common/dto/pagination.dto.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CreateMembershipDto, MembershipListDto, MembershipResponseDto, UpdateMembershipDto } from './dto/membership.dto.js';
import { MembershipsService } from './memberships.service.js';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/memberships')
export class MembershipsController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get()
  @ApiOperation({ operationId: 'listMemberships', summary: "List an organization's memberships" })
  @ApiOkResponse({ type: MembershipListDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound')
  list(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Query() query: PaginationQueryDto): Promise<MembershipListDto> {
    return this.memberships.list(principal, orgId, query.offset, query.limit);
  }

  @Post()
  @ApiOperation({ operationId: 'addMembership', summary: 'Add a member (creating the user when the email is new)' })
  @ApiCreatedResponse({ type: MembershipResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound', 'AlreadyMember')
  async add(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Body() body: CreateMembershipDto, @Client() client: ClientInfo): Promise<MembershipResponseDto> {
    return { membership: await this.memberships.add(principal, orgId, body, client) };
  }

  @Patch(':membershipId')
  @ApiOperation({ operationId: 'updateMembership', summary: "Change a member's role" })
  @ApiOkResponse({ type: MembershipResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound', 'MembershipNotFound', 'LastAdmin')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('orgId', ParseIdPipe) orgId: string,
    @Param('membershipId', ParseIdPipe) membershipId: string,
    @Body() body: UpdateMembershipDto,
    @Client() client: ClientInfo,
  ): Promise<MembershipResponseDto> {
    return { membership: await this.memberships.updateRole(principal, orgId, membershipId, body.role, client) };
  }

  @Delete(':membershipId')
  @ApiOperation({ operationId: 'removeMembership', summary: 'Remove a member' })
  @ApiOkResponse({ type: MembershipResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound', 'MembershipNotFound', 'LastAdmin')
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('orgId', ParseIdPipe) orgId: string,
    @Param('membershipId', ParseIdPipe) membershipId: string,
    @Client() client: ClientInfo,
  ): Promise<MembershipResponseDto> {
    return { membership: await this.memberships.remove(principal, orgId, membershipId, client) };
  }
}
