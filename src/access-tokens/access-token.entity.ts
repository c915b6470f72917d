import { Column, Entity, Index } from 'typeorm';
import { IdColumn, JsonColumn, StringColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export type AuthMethod = 'kubernetes' | 'session';

export interface TokenSubject {
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string;
  podName?: string;
  podUid?: string;
  /** The shared cluster the login went through (configs with clusterIds). */
  clusterId?: string;
}

/** One row per issued token (its id is the JWT `jti`); the token itself is never stored. */
@Entity('access_tokens')
@Index('IDX_access_tokens_identity', ['identityId'])
@Index('IDX_access_tokens_user', ['userId'])
@Index('IDX_access_tokens_max_expires', ['maxExpiresAt'])
@Index('IDX_access_tokens_auth_config', ['authConfigId'])
export class AccessToken {
  @IdColumn()
  id: string;

  @UuidColumn({ nullable: true })
  identityId: string | null;

  @UuidColumn({ nullable: true })
  userId: string | null;

  @UuidColumn({ nullable: true })
  orgId: string | null;

  /** The auth-method config that issued it (e.g. the Kubernetes auth config id), for revocation. */
  @UuidColumn({ nullable: true })
  authConfigId: string | null;

  @StringColumn(32)
  authMethod: AuthMethod;

  @Column({ type: 'integer' })
  ttl: number;

  @Column({ type: 'integer' })
  maxTtl: number;

  @Column({ type: 'integer', default: 0 })
  numUses: number;

  @Column({ type: 'integer', default: 0 })
  numUsesLimit: number;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  expiresAt: Date;

  @TimestampColumn()
  maxExpiresAt: Date;

  @TimestampColumn({ nullable: true })
  lastRenewedAt: Date | null;

  @TimestampColumn({ nullable: true })
  lastUsedAt: Date | null;

  @TimestampColumn({ nullable: true })
  revokedAt: Date | null;

  @StringColumn(64, { nullable: true })
  clientIp: string | null;

  @JsonColumn({ nullable: true })
  subject: TokenSubject | null;

  /**
   * The issuing config's *current* trusted IPs (IPs or CIDRs), kept current by its auth method:
   * copied at issue inside the token's transaction and rewritten when the config's list changes,
   * so the bearer check reads one row. Null: no restriction (sessions).
   */
  @JsonColumn({ nullable: true })
  trustedIps: string[] | null;
}
