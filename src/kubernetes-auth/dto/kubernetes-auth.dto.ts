import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsId } from '../../common/http/ids.js';
import { IsCidr } from '../../common/validation/cidr.validator.js';
import { OptionalButNotNull, OptionalOrNull } from '../../common/validation/optional.js';
import { SELECTOR_OPERATORS, type SelectorOperator, TOKEN_REVIEWER_SOURCES, type TokenReviewerSource, type Verification, VERIFICATIONS } from '../kubernetes-auth-config.entity.js';
import { SELECTOR_LIMITS } from '../namespace-selector.js';

export const MAX_TTL_SECONDS = 315_360_000;
const MAX_INT32 = 2_147_483_647;

export class TrustedIpDto {
  @ApiProperty({ example: '10.0.0.0/8' })
  @IsString()
  @MaxLength(64)
  @IsCidr()
  ipAddress: string;
}

/** One matchExpressions entry of a LabelSelector; label syntax and operator/values rules: namespace-selector.ts. */
export class SelectorRequirementDto {
  @ApiProperty({ example: 'team' })
  @IsString()
  @MaxLength(317)
  key: string;

  @ApiProperty({ enum: SELECTOR_OPERATORS })
  @IsIn(SELECTOR_OPERATORS)
  operator: SelectorOperator;

  @ApiPropertyOptional({ type: [String], example: ['payments'], description: 'required for In and NotIn, absent or empty for Exists and DoesNotExist' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SELECTOR_LIMITS.values)
  @IsString({ each: true })
  @MaxLength(63, { each: true })
  values?: string[];
}

/** A Kubernetes LabelSelector, matched against the labels of the workload's namespace. */
export class LabelSelectorDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { 'zerokey.io/allowed': 'true' } })
  @IsOptional()
  @IsObject()
  matchLabels?: Record<string, string>;

  @ApiPropertyOptional({ type: [SelectorRequirementDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SELECTOR_LIMITS.matchExpressions)
  @ValidateNested({ each: true })
  @Type(() => SelectorRequirementDto)
  matchExpressions?: SelectorRequirementDto[];
}

/**
 * How to reach a cluster and review its tokens, for a config's own connection and a shared
 * cluster alike (docs/api.md "Kubernetes auth config fields"); the rules across fields are
 * checkConnection's.
 */
export class ConnectionFieldsDto {
  @ApiPropertyOptional({ enum: VERIFICATIONS, default: 'token-review', description: 'token-review: a TokenReview per login; jwks: the cluster’s signing keys, no call per login (no revocation check)' })
  @OptionalButNotNull()
  @IsIn(VERIFICATIONS)
  verification?: Verification;

  @ApiPropertyOptional({ example: 'https://kubernetes.default.svc.cluster.local', description: 'the iss of the cluster’s service-account tokens; checked with jwks (empty: from discovery), and for a shared cluster it picks the cluster at login (empty: a catch-all)' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(2048)
  @Matches(/^\S*$/, { message: 'issuer must not contain whitespace' })
  issuer?: string;

  @ApiPropertyOptional({ example: 'https://kubernetes.example.com:6443', description: 'https:// URL (http:// only with verifyTlsCertificate false); required unless in-cluster' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(2048)
  kubernetesHost?: string;

  @ApiPropertyOptional({ description: 'PEM of the cluster CA (one or more certificates); empty = system trust store' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(60_000)
  caCert?: string;

  @ApiPropertyOptional({ default: true })
  @OptionalButNotNull()
  @IsBoolean()
  verifyTlsCertificate?: boolean;

  @ApiPropertyOptional({ enum: TOKEN_REVIEWER_SOURCES, description: 'default on attach: stored if tokenReviewerJwt is given, else client' })
  @OptionalButNotNull()
  @IsIn(TOKEN_REVIEWER_SOURCES)
  tokenReviewerSource?: TokenReviewerSource;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 16_384, description: 'write-only bearer of the reviewer; null clears it (PATCH)' })
  @OptionalOrNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(16_384)
  // A bearer travels in an Authorization header: visible ASCII, no spaces (RFC 6750). Anything else
  // could never authenticate, failed at login as a misleading KubernetesBadResponse, and 16k
  // three-byte characters made a ciphertext too long for MySQL's TEXT column (a 500).
  @Matches(/^[\x21-\x7e]+$/, { message: 'tokenReviewerJwt must be a bearer token: visible ASCII characters, no spaces or line breaks' })
  tokenReviewerJwt?: string | null;
}

/**
 * Every field of the Kubernetes auth config (docs/api.md "Kubernetes auth config fields"). All optional here: defaults and
 * cross-field rules (host required, TTL ≤ max TTL, binds something) are applied by the service
 * to the merged config, for attach and PATCH alike.
 */
export class KubernetesAuthFieldsDto extends ConnectionFieldsDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', default: [], maxItems: 20, description: 'shared clusters of the identity’s organization; when non-empty, kubernetesHost, caCert, tokenReviewerSource and tokenReviewerJwt must be left out' })
  @OptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsId({ each: true })
  clusterIds?: string[];

  @ApiPropertyOptional({ example: 'shop,web-*', description: 'comma-separated names or globs' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(4096)
  allowedNamespaces?: string;

  @ApiPropertyOptional({ example: 'checkout' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(4096)
  allowedNames?: string;

  @ApiPropertyOptional({ example: 'shop/checkout,web-*/frontend', description: 'comma-separated namespace/name pairs, globs allowed' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(4096)
  allowedServiceAccounts?: string;

  @ApiPropertyOptional({ example: 'zerokey' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(255)
  allowedAudience?: string;

  @ApiPropertyOptional({ example: 'checkout-*', description: 'comma-separated pod names or globs; the token must be bound to a matching pod' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(4096)
  allowedPodNames?: string;

  @ApiPropertyOptional({ type: LabelSelectorDto, nullable: true, description: 'the labels of the workload’s namespace, read from the cluster, must match (OR with allowedNamespaces); null removes it' })
  @OptionalOrNull()
  @IsObject()
  @ValidateNested()
  @Type(() => LabelSelectorDto)
  namespaceSelector?: LabelSelectorDto | null;

  @ApiPropertyOptional({ default: 3600, minimum: 1, maximum: MAX_TTL_SECONDS })
  @OptionalButNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  accessTokenTTL?: number;

  @ApiPropertyOptional({ default: 86400, minimum: 1, maximum: MAX_TTL_SECONDS })
  @OptionalButNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  accessTokenMaxTTL?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: '0 = unlimited' })
  @OptionalButNotNull()
  @IsInt()
  @Min(0)
  @Max(MAX_INT32)
  accessTokenNumUsesLimit?: number;

  @ApiPropertyOptional({ type: [TrustedIpDto], default: [{ ipAddress: '0.0.0.0/0' }, { ipAddress: '::/0' }] })
  @OptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => TrustedIpDto)
  accessTokenTrustedIps?: TrustedIpDto[];
}

export class KubernetesAuthDto {
  @ApiProperty() id: string;
  @ApiProperty() identityId: string;
  @ApiProperty({ type: [String], format: 'uuid' }) clusterIds: string[];
  @ApiProperty() kubernetesHost: string;
  @ApiProperty() caCert: string;
  @ApiProperty() verifyTlsCertificate: boolean;
  @ApiProperty({ enum: TOKEN_REVIEWER_SOURCES }) tokenReviewerSource: TokenReviewerSource;
  @ApiProperty({ description: 'whether a reviewer JWT is stored (it is never returned)' }) tokenReviewerJwtSet: boolean;
  @ApiProperty({ enum: VERIFICATIONS }) verification: Verification;
  @ApiProperty() issuer: string;
  @ApiProperty() allowedNamespaces: string;
  @ApiProperty() allowedNames: string;
  @ApiProperty() allowedServiceAccounts: string;
  @ApiProperty() allowedAudience: string;
  @ApiProperty() allowedPodNames: string;
  @ApiProperty({ type: LabelSelectorDto, nullable: true }) namespaceSelector: LabelSelectorDto | null;
  @ApiProperty() accessTokenTTL: number;
  @ApiProperty() accessTokenMaxTTL: number;
  @ApiProperty() accessTokenNumUsesLimit: number;
  @ApiProperty({ type: [TrustedIpDto] }) accessTokenTrustedIps: TrustedIpDto[];
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ConfigWarningDto {
  @ApiProperty({ example: 'AudienceNotSet' }) code: string;
  @ApiProperty() message: string;
}

export class KubernetesAuthResponseDto {
  @ApiProperty({ type: KubernetesAuthDto }) identityKubernetesAuth: KubernetesAuthDto;
}

export class KubernetesAuthWriteResponseDto extends KubernetesAuthResponseDto {
  @ApiProperty({ type: [ConfigWarningDto] }) warnings: ConfigWarningDto[];
}

export class KubernetesLoginDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  identityId: string;

  @ApiProperty({ maxLength: 8192, description: 'the service-account JWT mounted in the pod' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(8192)
  jwt: string;

  @ApiPropertyOptional({ maxLength: 80, description: "the identity's organization slug (newer Infisical clients); when given it must match, else 404 KubernetesAuthNotConfigured" })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(80)
  organizationSlug?: string;

  @ApiPropertyOptional({ maxLength: 80, description: 'the same as organizationSlug, under the name older Infisical clients send' })
  @OptionalButNotNull()
  @IsString()
  @MaxLength(80)
  subOrganizationName?: string;
}
