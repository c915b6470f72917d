import { Entity, Index } from 'typeorm';
import { IdColumn, StringColumn, TimestampColumn, UuidColumn } from '../database/columns.js';

export const ORG_ROLES = ['admin', 'viewer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

@Entity('org_memberships')
@Index('UQ_org_memberships_org_user', ['orgId', 'userId'], { unique: true })
@Index('IDX_org_memberships_user', ['userId'])
export class OrgMembership {
  @IdColumn()
  id: string;

  @UuidColumn()
  orgId: string;

  @UuidColumn()
  userId: string;

  @StringColumn(16)
  role: OrgRole;

  @TimestampColumn()
  createdAt: Date;
}
