import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { TokenSelfDto } from './dto/token-self.dto.js';
import { TokenSelfService } from './token-self.service.js';

@ApiTags('access tokens')
@ApiBearerAuth()
@Controller('api/v1/auth/token')
export class TokenSelfController {
  constructor(private readonly self: TokenSelfService) {}

  @Get('self')
  @ApiOperation({ operationId: 'getTokenSelf', summary: 'Describe the bearer (counts as a use)' })
  @ApiOkResponse({ type: TokenSelfDto })
  @ApiErrors('Unauthorized', 'InvalidAccessToken', 'AccessTokenExpired', 'AccessTokenRevoked', 'AccessTokenUsesExhausted', 'IpNotTrusted')
  describe(@CurrentPrincipal() principal: Principal): Promise<TokenSelfDto> {
    return this.self.describe(principal);
  }
}
