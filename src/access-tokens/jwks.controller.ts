import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators.js';
import { SigningKeysService } from './signing-keys.service.js';

@ApiTags('access tokens')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  @ApiOperation({ operationId: 'getJwks', summary: 'The public keys that verify access tokens (JWKS)' })
  @Header('cache-control', 'public, max-age=300')
  @ApiOkResponse({ description: 'public keys (JWK set) that verify access tokens' })
  jwks(): { keys: Record<string, string>[] } {
    return this.keys.jwks();
  }
}
