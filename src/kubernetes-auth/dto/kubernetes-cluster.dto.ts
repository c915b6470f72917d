import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '../../common/dto/pagination.dto.js';
import { OptionalButNotNull } from '../../common/validation/optional.js';
import { TOKEN_REVIEWER_SOURCES, type TokenReviewerSource, type Verification, VERIFICATIONS } from '../kubernetes-auth-config.entity.js';
import { ConfigWarningDto, ConnectionFieldsDto } from './kubernetes-auth.dto.js';

/**
 * The connection fields of a shared cluster (docs/api.md "Kubernetes clusters"): the same rules
 * as a config's own connection, plus a name and the issuer that picks the cluster at login.
 */
export class KubernetesClusterPatchDto extends ConnectionFieldsDto {
  @ApiPropertyOptional({ example: 'prod-eu-1', maxLength: 255 })
  @OptionalButNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(255)
  name?: string;
}

export class KubernetesClusterCreateDto extends KubernetesClusterPatchDto {
  @ApiProperty({ example: 'prod-eu-1', maxLength: 255 })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(255)
  declare name: string;
}

export class ListKubernetesClustersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  search?: string;
}

export class KubernetesClusterDto {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty() kubernetesHost: string;
  @ApiProperty() caCert: string;
  @ApiProperty() verifyTlsCertificate: boolean;
  @ApiProperty({ enum: TOKEN_REVIEWER_SOURCES }) tokenReviewerSource: TokenReviewerSource;
  @ApiProperty({ description: 'whether a reviewer JWT is stored (it is never returned)' }) tokenReviewerJwtSet: boolean;
  @ApiProperty() issuer: string;
  @ApiProperty({ enum: VERIFICATIONS }) verification: Verification;
  @ApiProperty({ description: 'how many Kubernetes auth configs list this cluster' }) usedBy: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class KubernetesClusterResponseDto {
  @ApiProperty({ type: KubernetesClusterDto }) kubernetesCluster: KubernetesClusterDto;
}

export class KubernetesClusterWriteResponseDto extends KubernetesClusterResponseDto {
  @ApiProperty({ type: [ConfigWarningDto] }) warnings: ConfigWarningDto[];
}

export class KubernetesClusterListDto {
  @ApiProperty({ type: [KubernetesClusterDto] }) kubernetesClusters: KubernetesClusterDto[];
  @ApiProperty() totalCount: number;
}
