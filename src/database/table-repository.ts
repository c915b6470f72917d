import { type EntityMetadata, type EntityTarget, type FindOptionsWhere, In, type ObjectLiteral, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { UnitOfWork } from './unit-of-work.js';

type Raw = Record<string, unknown>;

/** Rows per multi-row INSERT (a group commit's batch may hold more): well within SQLite's and MySQL's limits on parameters. */
const MAX_ROWS_PER_INSERT = 100;

/**
 * The base of every table's repository (one per table, in its feature folder: the only code that
 * reads or writes that table). Every statement goes through the UnitOfWork, so it is correct on
 * SQLite's shared connection and joins the caller's transaction when there is one.
 *
 * Ordinary paths use TypeORM's Repository and QueryBuilder (`run`). The hot paths (the bearer
 * check, the login's reads and writes) use SQL the repository writes once (`sql`, `select`,
 * `insertRow`, `execute`), still through TypeORM's query runner (`manager.query`, whose
 * better-sqlite3 runner keeps prepared statements) and with TypeORM's own value conversions:
 * building and compiling a query builder per call cost more than the statement itself.
 */
export abstract class TableRepository<T extends ObjectLiteral> {
  private mapping?: {
    metadata: EntityMetadata;
    table: string;
    byColumnName: Map<string, ColumnMetadata>;
    inserted: ColumnMetadata[];
    /** `INSERT INTO <table> (<inserted columns>) VALUES `, and one row's `(?, …)`. */
    insertInto: string;
    valuesTuple: string;
    insertSql: Map<number, string>;
  };

  protected constructor(
    protected readonly uow: UnitOfWork,
    private readonly entity: EntityTarget<T>,
  ) {}

  protected run<R>(work: (repo: Repository<T>) => Promise<R>): Promise<R> {
    return this.uow.run((manager) => work(manager.getRepository(this.entity)));
  }

  /** Deletes up to `batch` rows matching `where` by their `key` (short deletes, for housekeeping); the number deleted. */
  protected deleteBatch(key: keyof T & string, where: FindOptionsWhere<T>, batch: number): Promise<number> {
    return this.run(async (repo) => {
      const rows = await repo.find({ where, select: { [key]: true } as never, take: batch });
      if (rows.length === 0) return 0;
      await repo.delete({ [key]: In(rows.map((row) => row[key])) } as FindOptionsWhere<T>);
      return rows.length;
    });
  }

  /** `SELECT <properties' columns> FROM <table> WHERE <where>`, for select(); `where` names columns with col(). */
  protected selectSql(properties: (keyof T & string)[], where: string): string {
    const { table } = this.shape();
    return `SELECT ${properties.map((p) => this.col(p)).join(', ')} FROM ${table} WHERE ${where}`;
  }

  /** `SELECT <every column> FROM <table> WHERE <where>`: whole rows, for select(). */
  protected selectAllSql(where: string): string {
    return this.selectSql(this.shape().metadata.columns.map((c) => c.propertyName) as (keyof T & string)[], where);
  }

  /** A property's column, escaped for this database. */
  protected col(property: keyof T & string): string {
    return this.shape().metadata.connection.driver.escape(this.column(property).databaseName);
  }

  /** Rows of a selectSql() statement, each holding the selected properties as find() would give them. */
  protected async select(sql: string, params: unknown[]): Promise<Partial<T>[]> {
    const raws = (await this.uow.run((manager) => manager.query(sql, params))) as Raw[];
    const { metadata, byColumnName } = this.shape();
    const { driver } = metadata.connection;
    return raws.map((raw) => {
      const row: Partial<T> = {};
      for (const name in raw) {
        const column = byColumnName.get(name);
        if (column) (row as ObjectLiteral)[column.propertyName] = driver.prepareHydratedValue(raw[name], column);
      }
      return row;
    });
  }

  /**
   * Inserts a whole row, values converted by the driver as TypeORM's insert does (no re-select):
   * one INSERT, or, in a transaction that batches inserts (group commit), one INSERT of every
   * row of this table that the transaction's units wrote.
   */
  protected insertRow(row: T | Omit<T, 'id'>): Promise<void> {
    return this.uow.insert(this, row, (rows) => this.insertRows(rows));
  }

  private async insertRows(rows: (T | Omit<T, 'id'>)[]): Promise<void> {
    const { inserted, metadata } = this.shape();
    const { driver } = metadata.connection;
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_INSERT);
      const params = chunk.flatMap((row) => inserted.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c)));
      await this.uow.run((manager) => manager.query(this.insertSql(chunk.length), params));
    }
  }

  /** `INSERT INTO <table> (<columns>) VALUES (…), …` for `count` rows, written once per count. */
  private insertSql(count: number): string {
    const shape = this.shape();
    let sql = shape.insertSql.get(count);
    if (!sql) {
      sql = `${shape.insertInto}${Array.from({ length: count }, () => shape.valuesTuple).join(', ')}`;
      shape.insertSql.set(count, sql);
    }
    return sql;
  }

  /** A value as the driver stores it in `property`'s column (a parameter of hand-written SQL). */
  protected param(property: keyof T & string, value: unknown): unknown {
    return this.shape().metadata.connection.driver.preparePersistentValue(value, this.column(property));
  }

  /** An UPDATE or DELETE written once; the number of rows it changed. */
  protected async execute(sql: string, params: unknown[]): Promise<number> {
    return this.uow.run(async (manager) => {
      const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
      try {
        const result = await runner.query(sql, params, true);
        return result.affected ?? 0;
      } finally {
        if (!manager.queryRunner) await runner.release();
      }
    });
  }

  /** The database is MySQL/MariaDB (for the few statements whose text differs, such as a row lock). */
  protected get onMysql(): boolean {
    return this.shape().metadata.connection.options.type === 'mysql';
  }

  protected get table(): string {
    return this.shape().table;
  }

  private column(property: string): ColumnMetadata {
    const column = this.shape().metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.shape().metadata.name} has no column ${property}`);
    return column;
  }

  private shape(): NonNullable<TableRepository<T>['mapping']> {
    if (!this.mapping) {
      const metadata = this.uow.metadataOf(this.entity);
      const { driver } = metadata.connection;
      const table = driver.escape(metadata.tableName);
      // An auto-increment key is left to the database.
      const inserted = metadata.columns.filter((c) => c.generationStrategy !== 'increment');
      const byColumnName = new Map(metadata.columns.map((c) => [c.databaseName, c]));
      const insertInto = `INSERT INTO ${table} (${inserted.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
      this.mapping = { metadata, table, byColumnName, inserted, insertInto, valuesTuple: `(${inserted.map(() => '?').join(', ')})`, insertSql: new Map() };
    }
    return this.mapping;
  }
}
