import { ApiProperty } from '@nestjs/swagger';
import { OrganizationDto } from '../../organizations/dto/organization.dto.js';
import { UserDto } from './account.dto.js';

export class BootstrapResponseDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: OrganizationDto }) organization: OrganizationDto;
  @ApiProperty({ description: 'a session access token for the new admin' }) accessToken: string;
}

export class BootstrapStatusDto {
  @ApiProperty({ description: 'true once the first admin exists (POST /api/v1/admin/bootstrap then answers 409)' }) bootstrapped: boolean;
}
