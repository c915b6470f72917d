import { Column, Entity, Index } from 'typeorm';
import { IdColumn, JsonColumn, StringColumn, TextColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export const TOKEN_REVIEWER_SOURCES = ['stored', 'client', 'in-cluster'] as const;
export type TokenReviewerSource = (typeof TOKEN_REVIEWER_SOURCES)[number];

export interface TrustedIp {
  ipAddress: string;
}

export const VERIFICATIONS = ['token-review', 'jwks'] as const;
/** How a connection verifies service-account tokens: a TokenReview per login, or the cluster's signing keys. */
export type Verification = (typeof VERIFICATIONS)[number];

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** A Kubernetes LabelSelector (metav1.LabelSelector), matched against a namespace's labels. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: SelectorOperator; values?: string[] }[];
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

  @Column({ type: 'varchar', length: 16, default: 'token-review' })
  verification: Verification;

  /** The `iss` of the own cluster's tokens (JWKS verification); empty: learnt from discovery. */
  @Column({ type: 'varchar', length: 2048, default: '' })
  issuer: string;

  @TextColumn()
  allowedNamespaces: string;

  @TextColumn()
  allowedNames: string;

  @TextColumn()
  allowedServiceAccounts: string;

  @StringColumn(255)
  allowedAudience: string;

  /** Comma-separated pod names or globs; the reviewed token must be bound to a matching pod. */
  @Column({ type: 'varchar', length: 4096, default: '' })
  allowedPodNames: string;

  /** Null: no selector. Otherwise the namespace's labels (read from the cluster) must match. */
  @JsonColumn({ nullable: true })
  namespaceSelector: LabelSelector | null;

  /**
   * Shared clusters (kubernetes_clusters) of the identity's organization whose tokens this config
   * admits; empty: the config's own connection (kubernetesHost, caCert, reviewer). A short JSON
   * array, in a varchar so that it can have a default on every database.
   */
  @Column({ type: 'varchar', length: 1024, default: '[]', transformer: { to: (ids: string[] | undefined) => (ids === undefined ? undefined : JSON.stringify(ids)), from: (text: string | null) => (text ? (JSON.parse(text) as string[]) : []) } })
  clusterIds: string[];

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
