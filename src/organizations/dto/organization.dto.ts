import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateOrganizationDto {
  @ApiProperty({ maxLength: 255 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
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
