import { Column, Entity, Index } from 'typeorm';
import { IdColumn, JsonColumn, StringColumn, TextColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export const TOKEN_REVIEWER_SOURCES = ['stored', 'client', 'in-cluster'] as const;
export type TokenReviewerSource = (typeof TOKEN_REVIEWER_SOURCES)[number];

export interface TrustedIp {
  ipAddress: string;
}

@Entity('kubernetes_auth_configs')
export class KubernetesAuthConfig {
  @IdColumn()
  id: string;

  @Index('UQ_kubernetes_auth_configs_identity', { unique: true })
  @UuidColumn()
  identityId: string;

  @StringColumn(2048)
  kubernetesHost: string;

  @TextColumn()
  caCert: string;

  @Column({ type: 'boolean', default: true })
  verifyTlsCertificate: boolean;

  @StringColumn(16)
  tokenReviewerSource: TokenReviewerSource;

  /** AES-256-GCM ciphertext (see SecretBox); null when no reviewer JWT is stored. */
  @TextColumn({ nullable: true })
  tokenReviewerJwtEncrypted: string | null;

  @TextColumn()
  allowedNamespaces: string;

  @TextColumn()
  allowedNames: string;

  @TextColumn()
  allowedServiceAccounts: string;

  @StringColumn(255)
  allowedAudience: string;

  @Column({ type: 'integer' })
  accessTokenTTL: number;

  @Column({ type: 'integer' })
  accessTokenMaxTTL: number;

  @Column({ type: 'integer' })
  accessTokenNumUsesLimit: number;

  @JsonColumn()
  accessTokenTrustedIps: TrustedIp[];

  /** Bumped on every write; keys the cached Kubernetes client. */
  @Column({ type: 'integer' })
  version: number;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
