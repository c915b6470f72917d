import { Entity, PrimaryColumn } from 'typeorm';
import { TextColumn, TimestampColumn } from '../database/columns.js';

/** Instance-wide facts written once, e.g. `bootstrapped`; the primary key makes the write race-free. */
@Entity('instance_state')
export class InstanceState {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @TextColumn()
  value: string;

  @TimestampColumn()
  createdAt: Date;
}
