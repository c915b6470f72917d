import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { OptionalButNotNull } from '../../common/validation/optional.js';
import { ORG_ROLES, type OrgRole } from '../org-membership.entity.js';

const lowerTrim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateMembershipDto {
  @ApiProperty({ example: 'dev@example.com' })
  @Transform(lowerTrim)
  @IsString()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ minLength: 12, maxLength: 256, description: 'required when the email is new (creates the user); ignored for an existing user' })
  @OptionalButNotNull()
  @IsString()
  @MinLength(12)
  @MaxLength(256)
  password?: string;

  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class UpdateMembershipDto {
  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class MembershipDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() userId: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;
  @ApiProperty() createdAt: Date;
}

export class MembershipResponseDto {
  @ApiProperty({ type: MembershipDto }) membership: MembershipDto;
}

export class MembershipListDto {
  @ApiProperty({ type: [MembershipDto] }) memberships: MembershipDto[];
  @ApiProperty() totalCount: number;
}
