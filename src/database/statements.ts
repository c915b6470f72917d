import { type DataSource, type ObjectLiteral, QueryFailedError, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { sqliteTurn } from './sqlite-serializer.js';

type Row = Record<string, unknown>;

/** One write, ready to run: see EntityStatements.insertOf() and writeTogether(). */
export interface Write {
  sql: string;
  params: unknown[];
}

/** Hand-written SQL straight on the driver, bypassing TypeORM's per-query machinery. */
interface DirectSql {
  rows(sql: string, params: unknown[]): Promise<Row[]>;
  /** An INSERT, UPDATE or DELETE; resolves with the number of rows it matched. */
  execute(sql: string, params: unknown[]): Promise<number>;
  /** Writes in one transaction: one commit, all or none. */
  together(writes: Write[]): Promise<void>;
}

const STATEMENTS_KEPT = 256;

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  transaction(run: () => void): () => void;
}

/**
 * better-sqlite3: statements prepared once and kept; each waits its turn behind an open TypeORM
 * transaction (see sqlite-serializer.ts), then runs synchronously like TypeORM's own runner does.
 */
function sqliteDirect(dataSource: DataSource): DirectSql {
  const statements = new Map<string, SqliteStatement>();
  const db = (): SqliteDatabase => (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
  const statement = (sql: string): SqliteStatement => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = db().prepare(sql);
      statements.set(sql, prepared);
      if (statements.size > STATEMENTS_KEPT) statements.delete(statements.keys().next().value as string);
    }
    return prepared;
  };
  return {
    async rows(sql, params) {
      await sqliteTurn(dataSource);
      return failed(sql, () => statement(sql).all(...params));
    },
    async execute(sql, params) {
      await sqliteTurn(dataSource);
      return failed(sql, () => statement(sql).run(...params).changes);
    },
    async together(writes) {
      await sqliteTurn(dataSource);
      // better-sqlite3's transaction(): BEGIN, the writes, COMMIT (ROLLBACK when one throws), synchronously.
      failed(writes.map((w) => w.sql).join('; '), () => db().transaction(() => writes.forEach((w) => statement(w.sql).run(...w.params)))());
    },
  };
}

type MysqlCallback = (error: Error | null, result: unknown) => void;

interface MysqlQueryable {
  query(sql: string, params: unknown[], done: MysqlCallback): void;
}

interface MysqlConnection extends MysqlQueryable {
  release(): void;
  destroy(): void;
}

interface MysqlPool extends MysqlQueryable {
  getConnection(done: (error: Error | null, connection: MysqlConnection) => void): void;
}

/** mysql2: the pool TypeORM opened, queried directly (the text protocol, as TypeORM queries it). */
function mysqlDirect(dataSource: DataSource): DirectSql {
  const closed = (sql: string): QueryFailedError => new QueryFailedError(sql, [], Object.assign(new Error('the connection pool is closed'), { code: 'POOL_CLOSED' }));
  const pool = (): MysqlPool | undefined => (dataSource.driver as unknown as { pool?: MysqlPool }).pool;
  const query = (on: MysqlQueryable | undefined, sql: string, params: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (!on) return reject(closed(sql));
      on.query(sql, params, (error, result) => (error ? reject(new QueryFailedError(sql, [], error)) : resolve(result)));
    });
  const connection = (): Promise<MysqlConnection> =>
    new Promise((resolve, reject) => {
      const from = pool();
      if (!from) return reject(closed('START TRANSACTION'));
      from.getConnection((error, conn) => (error ? reject(new QueryFailedError('START TRANSACTION', [], error)) : resolve(conn)));
    });
  return {
    rows: async (sql, params) => (await query(pool(), sql, params)) as Row[],
    execute: async (sql, params) => ((await query(pool(), sql, params)) as { affectedRows?: number }).affectedRows ?? 0,
    async together(writes) {
      const conn = await connection();
      try {
        await query(conn, 'START TRANSACTION', []);
        for (const write of writes) await query(conn, write.sql, write.params);
        await query(conn, 'COMMIT', []);
      } catch (error) {
        // A connection that cannot even roll back is not given back to the pool.
        await query(conn, 'ROLLBACK', []).then(
          () => conn.release(),
          () => conn.destroy(),
        );
        throw error;
      }
      conn.release();
    },
  };
}

/** Wraps a driver error as TypeORM does, without the parameters (they may be identifiers worth keeping out of logs). */
function failed<T>(sql: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new QueryFailedError(sql, [], error as Error);
  }
}

const directByDataSource = new WeakMap<DataSource, DirectSql>();

function directSql(dataSource: DataSource): DirectSql {
  let direct = directByDataSource.get(dataSource);
  if (!direct) {
    direct = dataSource.options.type === 'better-sqlite3' ? sqliteDirect(dataSource) : mysqlDirect(dataSource);
    directByDataSource.set(dataSource, direct);
  }
  return direct;
}

/**
 * Plain SQL for the hot paths (the Kubernetes login and the bearer check of every request), on
 * SQLite and MySQL alike. TypeORM's find and query builders rebuild their SQL on every call, and
 * its insert re-selects every column that has a default; these statements are written once, run
 * straight on the driver (outside any transaction), and values go through the driver's own
 * conversions (dates, JSON, booleans), exactly as TypeORM does.
 */
export class EntityStatements<T extends ObjectLiteral> {
  readonly table: string;
  private readonly columns: ColumnMetadata[];
  private readonly inserted: ColumnMetadata[];
  private readonly insertSql: string;
  private readonly selectList: string;
  private readonly direct: DirectSql;

  constructor(private readonly repo: Repository<T>) {
    const { metadata } = repo;
    this.direct = directSql(repo.manager.connection);
    this.table = this.escape(metadata.tableName);
    this.columns = metadata.columns;
    this.selectList = this.columns.map((c) => this.escape(c.databaseName)).join(', ');
    // An auto-increment key is left to the database.
    this.inserted = this.columns.filter((c) => c.generationStrategy !== 'increment');
    const names = this.inserted.map((c) => this.escape(c.databaseName));
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
  value(raw: Row, property: keyof T & string): unknown {
    const column = this.columnOf(property);
    return this.repo.manager.connection.driver.prepareHydratedValue(raw[column.databaseName], column);
  }

  /** One INSERT of a whole row (no re-select: every value is known; an auto-increment key is not read back). */
  async insert(row: T | Omit<T, 'id'>): Promise<void> {
    const { sql, params } = this.insertOf(row);
    await this.direct.execute(sql, params);
  }

  /** The INSERT of insert(), to run with other writes through writeTogether(). */
  insertOf(row: T | Omit<T, 'id'>): Write {
    const { driver } = this.repo.manager.connection;
    return { sql: this.insertSql, params: this.inserted.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c)) };
  }

  /** Writes (of this or other entities of the same database) in one transaction: one commit, all or none. */
  writeTogether(writes: Write[]): Promise<void> {
    return this.direct.together(writes);
  }

  /** Whole rows matching `where` (SQL with `?` placeholders), hydrated as TypeORM's find does. */
  async select(where: string, params: unknown[]): Promise<T[]> {
    const raws = await this.direct.rows(`SELECT ${this.selectList} FROM ${this.table} WHERE ${where}`, params);
    return raws.map((raw) => this.hydrate(raw));
  }

  /** The entity of a raw row that holds every column (see columnList()), as TypeORM's find builds it. */
  hydrate(raw: Row): T {
    const { driver } = this.repo.manager.connection;
    const row = this.repo.metadata.create() as T;
    for (const column of this.columns) (row as ObjectLiteral)[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    return row;
  }

  /** Every column, escaped and comma-separated, for a hand-written SELECT whose rows go to hydrate(). */
  columnList(): string {
    return this.selectList;
  }

  /** An identifier (table, column or alias) escaped for this database. */
  escape(name: string): string {
    return this.repo.manager.connection.driver.escape(name);
  }

  /** Raw rows of a hand-written SELECT (column values as the driver returns them). */
  rows(sql: string, params: unknown[]): Promise<Row[]> {
    return this.direct.rows(sql, params);
  }

  /** A hand-written UPDATE or DELETE; resolves with the number of rows it matched. */
  execute(sql: string, params: unknown[]): Promise<number> {
    return this.direct.execute(sql, params);
  }

  private columnOf(property: string): ColumnMetadata {
    const column = this.repo.metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.repo.metadata.name} has no column ${property}`);
    return column;
  }

}
