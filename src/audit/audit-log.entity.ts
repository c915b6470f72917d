import { Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JsonColumn, StringColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export type ActorType = 'user' | 'identity' | 'anonymous';
export type AuditOutcome = 'success' | 'failure';

@Entity('audit_logs')
@Index('IDX_audit_logs_org_created', ['orgId', 'createdAt'])
@Index('IDX_audit_logs_created', ['createdAt'])
export class AuditLog {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** Null for instance events (session logins, bootstrap, key rotation). */
  @UuidColumn({ nullable: true })
  orgId: string | null;

  @StringColumn(16)
  actorType: ActorType;

  @UuidColumn({ nullable: true })
  actorId: string | null;

  /** The identity the event is about, when there is one (filter `identityId`). */
  @UuidColumn({ nullable: true })
  identityId: string | null;

  @StringColumn(64)
  event: string;

  @StringColumn(16)
  outcome: AuditOutcome;

  @StringColumn(64, { nullable: true })
  errorCode: string | null;

  @StringColumn(64, { nullable: true })
  ip: string | null;

  @StringColumn(512, { nullable: true })
  userAgent: string | null;

  @JsonColumn()
  metadata: Record<string, unknown>;

  @TimestampColumn()
  createdAt: Date;
}
