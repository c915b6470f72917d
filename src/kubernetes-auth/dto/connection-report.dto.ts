import { ApiProperty } from '@nestjs/swagger';

export class ConnectionProblemDto {
  @ApiProperty({ example: 'TokenReviewerForbidden' }) code: string;
  @ApiProperty({ description: 'what is wrong and how to fix it' }) message: string;
}

export class PublishedKeysDto {
  @ApiProperty({ description: 'usable signing keys (RS256, ES256) the cluster publishes' }) count: number;
  @ApiProperty({ description: 'the issuer tokens are checked against' }) issuer: string;
}

export class ConnectionReportDto {
  @ApiProperty({ description: 'the API server answered (TCP and HTTP)' }) reachable: boolean;
  @ApiProperty({ description: 'TLS to the API server is verified and works' }) tls: boolean;
  @ApiProperty({ nullable: true, type: Boolean, description: 'the reviewer may create TokenReviews; null when it cannot be checked' }) reviewerAuthorized: boolean | null;
  @ApiProperty({ nullable: true, type: String, example: 'v1.31.0' }) kubernetesVersion: string | null;
  @ApiProperty({ nullable: true, type: PublishedKeysDto, description: 'with verification jwks: the keys and issuer the cluster publishes; null otherwise' }) keys: PublishedKeysDto | null;
  @ApiProperty({ nullable: true, type: Boolean, description: 'the reviewer may get namespaces (needed by namespaceSelector); null when the config has no selector or it cannot be checked' }) namespaceReadable: boolean | null;
  @ApiProperty({ type: [ConnectionProblemDto] }) errors: ConnectionProblemDto[];
}
