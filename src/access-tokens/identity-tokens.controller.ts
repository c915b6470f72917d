import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/ids.js';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { PaginationQueryDto } from '../common/dto/pagination.dto.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { AccessTokenListDto, AccessTokenResponseDto, RevokedCountDto } from './dto/access-token-view.dto.js';
import { IdentityTokensService } from './identity-tokens.service.js';

@ApiTags('access tokens')
@ApiBearerAuth()
@Controller('api/v1/identities/:identityId/access-tokens')
export class IdentityTokensController {
  constructor(private readonly tokens: IdentityTokensService) {}

  @Get()
  @ApiOperation({ operationId: 'listIdentityAccessTokens', summary: "List an identity's access tokens (metadata only)" })
  @ApiOkResponse({ type: AccessTokenListDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound')
  list(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string, @Query() query: PaginationQueryDto): Promise<AccessTokenListDto> {
    return this.tokens.list(principal, identityId, query.offset, query.limit);
  }

  @Post('revoke-all')
  @ApiOperation({ operationId: 'revokeAllIdentityAccessTokens', summary: 'Revoke every access token of an identity' })
  @HttpCode(200)
  @ApiOkResponse({ type: RevokedCountDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound')
  async revokeAll(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string, @Client() client: ClientInfo): Promise<RevokedCountDto> {
    return { revokedCount: await this.tokens.revokeAll(principal, identityId, client) };
  }

  @Delete(':tokenId')
  @ApiOperation({ operationId: 'revokeIdentityAccessToken', summary: 'Revoke one access token of an identity' })
  @ApiOkResponse({ type: AccessTokenResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'AccessTokenNotFound')
  async revokeOne(
    @CurrentPrincipal() principal: Principal,
    @Param('identityId', ParseIdPipe) identityId: string,
    @Param('tokenId', ParseIdPipe) tokenId: string,
    @Client() client: ClientInfo,
  ): Promise<AccessTokenResponseDto> {
    return { accessToken: await this.tokens.revokeOne(principal, identityId, tokenId, client) };
  }
}
