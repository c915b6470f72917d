import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
/** As for identity names: no control characters (NUL, escape sequences, line breaks) in what dashboards and logs show. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const ORGANIZATION_NAME_RULE = /^[^\u0000-\u001f\u007f]+$/;

export class CreateOrganizationDto {
  @ApiProperty({ maxLength: 255 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(ORGANIZATION_NAME_RULE, { message: 'name must not contain control characters' })
  name: string;
}

export class OrganizationDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() slug: string;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ enum: ['admin', 'viewer'], description: 'the caller’s role' }) role?: string;
}

export class OrganizationResponseDto {
  @ApiProperty({ type: OrganizationDto }) organization: OrganizationDto;
}

export class OrganizationListDto {
  @ApiProperty({ type: [OrganizationDto] }) organizations: OrganizationDto[];
}
