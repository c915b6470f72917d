import { Entity, Index } from 'typeorm';
import { IdColumn, JsonColumn, StringColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export const IDENTITY_ROLES = ['admin', 'viewer', 'no-access'] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];

@Entity('identities')
@Index('UQ_identities_org_name', ['orgId', 'name'], { unique: true })
export class Identity {
  @IdColumn()
  id: string;

  @UuidColumn()
  orgId: string;

  @StringColumn(255)
  name: string;

  @StringColumn(16)
  role: IdentityRole;

  @JsonColumn()
  metadata: Record<string, string>;

  @TimestampColumn({ nullable: true })
  lastLoginAt: Date | null;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn()
  updatedAt: Date;
}
