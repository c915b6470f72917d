import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { SigningKeyRotationService } from './signing-key-rotation.service.js';

class RotatedKeyDto {
  @ApiProperty({ description: 'kid of the new signing key' }) kid: string;
  @ApiProperty({ nullable: true, type: String }) previousKid: string | null;
  @ApiProperty({ nullable: true, type: Date, description: 'when the previous key leaves the JWKS' }) previousRetiresAt: Date | null;
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/v1/admin/signing-keys')
export class SigningKeysController {
  constructor(private readonly rotation: SigningKeyRotationService) {}

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({ operationId: 'rotateSigningKey', summary: 'Sign new tokens with a new key; the old one stays in the JWKS until its tokens have expired' })
  @ApiOkResponse({ type: RotatedKeyDto })
  @ApiErrors('Unauthorized', 'PermissionDenied')
  rotate(@CurrentPrincipal() principal: Principal, @Client() client: ClientInfo): Promise<RotatedKeyDto> {
    return this.rotation.rotate(principal, client);
  }
}
