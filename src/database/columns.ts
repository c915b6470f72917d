import { Column, type ColumnOptions, PrimaryColumn } from 'typeorm';

/**
 * Column shapes shared by every entity, chosen to mean the same on SQLite and MySQL:
 * UUIDs as varchar(36) generated in code, millisecond datetimes set in code (never DB defaults,
 * whose SQLite precision is one second), JSON as text.
 */
export const IdColumn = (): PropertyDecorator => PrimaryColumn({ type: 'varchar', length: 36 });

export const UuidColumn = (options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ type: 'varchar', length: 36, nullable: options.nullable ?? false });

export const TimestampColumn = (options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ type: 'datetime', precision: 3, nullable: options.nullable ?? false });

export const JsonColumn = (options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ type: 'simple-json', nullable: options.nullable ?? false });

export const TextColumn = (options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ type: 'text', nullable: options.nullable ?? false });

export const StringColumn = (length: number, options: Pick<ColumnOptions, 'nullable'> = {}): PropertyDecorator =>
  Column({ type: 'varchar', length, nullable: options.nullable ?? false });
