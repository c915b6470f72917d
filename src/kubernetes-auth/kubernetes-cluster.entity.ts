import { Column, Entity, Index } from 'typeorm';
import { IdColumn, StringColumn, TextColumn, TimestampColumn, UuidColumn } from '../database/columns.js';
import type { TokenReviewerSource, Verification } from './kubernetes-auth-config.entity.js';

/**
 * A cluster connection registered once per organization and shared by the Kubernetes auth configs
 * that list it (`clusterIds`): host, CA, reviewer and the issuer of its service-account tokens.
 */
@Entity('kubernetes_clusters')
@Index('UQ_kubernetes_clusters_org_name', ['orgId', 'name'], { unique: true })
export class KubernetesCluster {
  @IdColumn()
  id: string;

  @UuidColumn()
  orgId: string;

  @StringColumn(255)
  name: string;

  @StringColumn(2048)
  kubernetesHost: string;

  @TextColumn()
  caCert: string;

  @Column({ type: 'boolean', default: true })
  verifyTlsCertificate: boolean;

  @StringColumn(16)
  tokenReviewerSource: TokenReviewerSource;

  /** AES-256-GCM ciphertext bound to this row (see SecretBox); null when no reviewer JWT is stored. */
  @TextColumn({ nullable: true })
  tokenReviewerJwtEncrypted: string | null;

  /** The `iss` of the cluster's service-account tokens; empty: the listing config's catch-all cluster. */
  @StringColumn(2048)
  issuer: string;

  @Column({ type: 'varchar', length: 16, default: 'token-review' })
  verification: Verification;

  /** Bumped on every write; keys the cached cluster client and every replica's cached copy. */
  @Column({ type: 'integer' })
  version: number;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
