import { ApiProperty } from '@nestjs/swagger';

export class AccessTokenSubjectDto {
  @ApiProperty() namespace: string;
  @ApiProperty() serviceAccountName: string;
  @ApiProperty() serviceAccountUid: string;
  @ApiProperty({ required: false }) podName?: string;
  @ApiProperty({ required: false }) podUid?: string;
}

export class AccessTokenViewDto {
  @ApiProperty({ description: 'the token id (JWT jti)' }) id: string;
  @ApiProperty({ nullable: true, type: String }) identityId: string | null;
  @ApiProperty() authMethod: string;
  @ApiProperty() ttl: number;
  @ApiProperty() maxTtl: number;
  @ApiProperty() numUses: number;
  @ApiProperty() numUsesLimit: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() expiresAt: Date;
  @ApiProperty() maxExpiresAt: Date;
  @ApiProperty({ nullable: true, type: Date }) lastRenewedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) clientIp: string | null;
  @ApiProperty({ nullable: true, type: AccessTokenSubjectDto }) subject: AccessTokenSubjectDto | null;
}

export class AccessTokenListDto {
  @ApiProperty({ type: [AccessTokenViewDto] }) accessTokens: AccessTokenViewDto[];
  @ApiProperty() totalCount: number;
}

export class AccessTokenResponseDto {
  @ApiProperty({ type: AccessTokenViewDto }) accessToken: AccessTokenViewDto;
}

export class RevokedCountDto {
  @ApiProperty() revokedCount: number;
}
