import { Entity, Index } from 'typeorm';
import { IdColumn, StringColumn, TimestampColumn } from '../database/columns.js';

@Entity('organizations')
export class Organization {
  @IdColumn()
  id: string;

  @StringColumn(255)
  name: string;

  @Index('UQ_organizations_slug', { unique: true })
  @StringColumn(80)
  slug: string;

  @TimestampColumn()
  createdAt: Date;
}
