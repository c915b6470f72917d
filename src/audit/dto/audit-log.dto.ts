import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsId } from '../../common/http/ids.js';
import { PaginationQueryDto } from '../../common/dto/pagination.dto.js';

export class AuditLogQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ example: 'kubernetes-auth.login' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  event?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId()
  identityId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'the user or identity that acted' })
  @IsOptional()
  @IsId()
  actorId?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  startDate?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  endDate?: string;
}

export class AuditLogDto {
  @ApiProperty() id: number;
  @ApiProperty({ nullable: true, type: String }) organizationId: string | null;
  @ApiProperty({ enum: ['user', 'identity', 'anonymous'] }) actorType: string;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
  @ApiProperty({ nullable: true, type: String }) identityId: string | null;
  @ApiProperty() event: string;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) errorCode: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty() createdAt: Date;
}

export class AuditLogListDto {
  @ApiProperty({ type: [AuditLogDto] }) auditLogs: AuditLogDto[];
  @ApiProperty() totalCount: number;
}
