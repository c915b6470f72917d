import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, type ClientInfo, Public } from '../common/auth/decorators.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { RateLimited } from '../common/rate-limit/rate-limit.guard.js';
import { AccessTokensService } from './access-tokens.service.js';
import { AccessTokenBodyDto, IssuedTokenDto, RevokedDto } from './dto/access-token.dto.js';

@ApiTags('access tokens')
@Controller('api/v1/auth/token')
export class TokenController {
  constructor(private readonly tokens: AccessTokensService) {}

  @Public()
  @Post('renew')
  @RateLimited('token')
  @HttpCode(200)
  @ApiOperation({ operationId: 'renewAccessToken', summary: 'Renew an access token (same jti, capped by its max TTL)' })
  @ApiOkResponse({ type: IssuedTokenDto })
  @ApiErrors('ValidationError', 'RateLimited', 'InvalidAccessToken', 'AccessTokenRevoked', 'AccessTokenExpired', 'AccessTokenMaxTtlReached', 'IpNotTrusted', 'AccessTokenUsesExhausted')
  renew(@Body() body: AccessTokenBodyDto, @Client() client: ClientInfo): Promise<IssuedTokenDto> {
    return this.tokens.renew(body.accessToken, client);
  }

  @Public()
  @Post('revoke')
  @RateLimited('token')
  @HttpCode(200)
  @ApiOperation({ operationId: 'revokeAccessToken', summary: 'Revoke an access token (every JWT of its jti)' })
  @ApiOkResponse({ type: RevokedDto })
  @ApiErrors('ValidationError', 'RateLimited', 'InvalidAccessToken')
  async revoke(@Body() body: AccessTokenBodyDto, @Client() client: ClientInfo): Promise<RevokedDto> {
    await this.tokens.revokeByToken(body.accessToken, client);
    return { message: 'Successfully revoked access token' };
  }
}
