import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsId } from '../../common/http/ids.js';
import { PaginationQueryDto } from '../../common/dto/pagination.dto.js';
import { OptionalButNotNull } from '../../common/validation/optional.js';
import { IsStringRecord } from '../../common/validation/string-record.js';
import { IDENTITY_ROLES, type IdentityRole } from '../identity.entity.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NAME_RULE = /^[^\u0000-\u001f\u007f]+$/;

export class CreateIdentityDto {
  @ApiProperty({ maxLength: 255, example: 'checkout-service' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(NAME_RULE, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  @IsId()
  organizationId: string;

  @ApiPropertyOptional({ enum: IDENTITY_ROLES, default: 'no-access' })
  @OptionalButNotNull()
  @IsIn(IDENTITY_ROLES)
  role?: IdentityRole;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'flat object of strings, at most 32 keys' })
  @OptionalButNotNull()
  @IsStringRecord()
  metadata?: Record<string, string>;
}

export class UpdateIdentityDto {
  @ApiPropertyOptional({ maxLength: 255 })
  @OptionalButNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(NAME_RULE, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({ enum: IDENTITY_ROLES })
  @OptionalButNotNull()
  @IsIn(IDENTITY_ROLES)
  role?: IdentityRole;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @OptionalButNotNull()
  @IsStringRecord()
  metadata?: Record<string, string>;
}

export class ListIdentitiesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  search?: string;

  @ApiPropertyOptional({ enum: IDENTITY_ROLES })
  @IsOptional()
  @IsIn(IDENTITY_ROLES)
  role?: IdentityRole;

  @ApiPropertyOptional({ enum: ['name', 'createdAt'], default: 'createdAt' })
  @IsOptional()
  @IsIn(['name', 'createdAt'])
  sort?: 'name' | 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class IdentityDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() organizationId: string;
  @ApiProperty({ enum: IDENTITY_ROLES }) role: IdentityRole;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata: Record<string, string>;
  @ApiProperty({ type: [String], example: ['kubernetes'] }) authMethods: string[];
  @ApiProperty({ nullable: true, type: Date }) lastLoginAt: Date | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class IdentityResponseDto {
  @ApiProperty({ type: IdentityDto }) identity: IdentityDto;
}

export class IdentityListDto {
  @ApiProperty({ type: [IdentityDto] }) identities: IdentityDto[];
  @ApiProperty() totalCount: number;
}
