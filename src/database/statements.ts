import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { ObjectLiteral, Repository } from 'typeorm';

/**
 * Plain SQL for the hot paths (the Kubernetes login and the bearer check of every request), on
 * SQLite and MySQL alike. TypeORM's find and query builders rebuild their SQL on every call, and
 * its insert re-selects every column that has a default; these statements are written once, and
 * values go through the driver's own conversions (dates, JSON, booleans), exactly as TypeORM does.
 */
export class EntityStatements<T extends ObjectLiteral> {
  readonly table: string;
  private readonly columns: ColumnMetadata[];
  private readonly insertSql: string;
  private readonly selectList: string;

  constructor(private readonly repo: Repository<T>) {
    const { metadata } = repo;
    this.table = this.escape(metadata.tableName);
    this.columns = metadata.columns;
    const names = this.columns.map((c) => this.escape(c.databaseName));
    this.selectList = names.join(', ');
    this.insertSql = `INSERT INTO ${this.table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
  }

  /** The escaped column of a property, for hand-written SQL. */
  column(property: keyof T & string): string {
    return this.escape(this.columnOf(property).databaseName);
  }

  /** A value as the driver stores it in `property`'s column. */
  param(property: keyof T & string, value: unknown): unknown {
    return this.repo.manager.connection.driver.preparePersistentValue(value, this.columnOf(property));
  }

  /** `property`'s value in a raw row of rows(), as the entity holds it. */
  value(raw: Record<string, unknown>, property: keyof T & string): unknown {
    const column = this.columnOf(property);
    return this.repo.manager.connection.driver.prepareHydratedValue(raw[column.databaseName], column);
  }

  /** One INSERT of a whole row (no re-select: every value is known). */
  async insert(row: T): Promise<void> {
    const { driver } = this.repo.manager.connection;
    await this.repo.manager.query(this.insertSql, this.columns.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c)));
  }

  /** Whole rows matching `where` (SQL with `?` placeholders), hydrated as TypeORM's find does. */
  async select(where: string, params: unknown[]): Promise<T[]> {
    const raws = (await this.repo.manager.query(`SELECT ${this.selectList} FROM ${this.table} WHERE ${where}`, params)) as Record<string, unknown>[];
    const { driver } = this.repo.manager.connection;
    return raws.map((raw) => {
      const row = this.repo.metadata.create() as T;
      for (const column of this.columns) (row as ObjectLiteral)[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
      return row;
    });
  }

  /** Raw rows of a hand-written SELECT (column values as the driver returns them). */
  async rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.repo.manager.query(sql, params)) as Record<string, unknown>[];
  }

  /** A hand-written UPDATE or DELETE; resolves with the number of rows it changed. */
  async execute(sql: string, params: unknown[]): Promise<number> {
    const runner = this.repo.manager.connection.createQueryRunner();
    try {
      return (await runner.query(sql, params, true)).affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  private columnOf(property: string): ColumnMetadata {
    const column = this.repo.metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.repo.metadata.name} has no column ${property}`);
    return column;
  }

  private escape(name: string): string {
    return this.repo.manager.connection.driver.escape(name);
  }
}
