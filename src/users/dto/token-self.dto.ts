import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IdentityDto } from '../../identities/dto/identity.dto.js';
import { UserDto } from './account.dto.js';

export class TokenSelfDto {
  @ApiProperty({ enum: ['identity', 'user'] }) type: 'identity' | 'user';
  @ApiPropertyOptional({ type: IdentityDto }) identity?: IdentityDto;
  @ApiPropertyOptional({ type: UserDto }) user?: UserDto;
  @ApiProperty({ nullable: true, type: String, description: 'the identity’s organization; null for a user' }) organizationId: string | null;
  @ApiProperty() authMethod: string;
  @ApiProperty() expiresAt: Date;
  @ApiProperty() numUses: number;
  @ApiProperty() numUsesLimit: number;
}
