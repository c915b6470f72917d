import { ApiProperty } from '@nestjs/swagger';
import { OrganizationDto } from '../../organizations/dto/organization.dto.js';
import { UserDto } from './account.dto.js';

export class BootstrapResponseDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: OrganizationDto }) organization: OrganizationDto;
  @ApiProperty({ description: 'a session access token for the new admin' }) accessToken: string;
}
