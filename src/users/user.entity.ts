import { Column, Entity, Index } from 'typeorm';
import { IdColumn, StringColumn, TimestampColumn } from '../database/columns.js';

@Entity('users')
export class User {
  @IdColumn()
  id: string;

  /** Always stored lower-cased. */
  @Index('UQ_users_email', { unique: true })
  @StringColumn(320)
  email: string;

  /** `scrypt$N$r$p$salt$hash`; never leaves the users service. */
  @StringColumn(255)
  passwordHash: string;

  @Column({ type: 'boolean', default: false })
  superAdmin: boolean;

  @TimestampColumn()
  createdAt: Date;
}
