import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error.js';
import { scratchSqlite, type ScratchSqlite } from '../../test/support/scratch-sqlite.js';
import type { UnitOfWork } from './unit-of-work.js';

/** TypeORM's better-sqlite3 driver shares one connection: these are the ways that goes wrong without the UnitOfWork. */
describe('UnitOfWork on SQLite', () => {
  let db: ScratchSqlite;
  let uow: UnitOfWork;
  beforeAll(async () => {
    db = await scratchSqlite();
    uow = db.uow;
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.ds.query('DELETE FROM t');
  });

  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
  const keys = (): Promise<string[]> => db.keys();
  /** Inserts 'in-tx', stays open for two ticks, then rolls back. */
  const transactionThatRollsBack = (): Promise<unknown> =>
    uow.transaction(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('in-tx')");
      await tick();
      await tick();
      throw new Error('roll back');
    });

  it('a statement issued while a transaction is open waits for it, so its rollback does not take the statement along', async () => {
    const failing = transactionThatRollsBack();
    await tick();
    const outside = uow.run((m) => m.query("INSERT INTO t (k) VALUES ('outside')"));
    await expect(failing).rejects.toThrow('roll back');
    await outside;
    expect(await keys()).toEqual(['outside']);
  });

  it('concurrent transactions run one after the other, not nested as savepoints', async () => {
    const order: string[] = [];
    const run = (name: string): Promise<unknown> =>
      uow.transaction(async (m) => {
        order.push(`${name}:start`);
        await tick();
        await m.query('INSERT INTO t (k) VALUES (?)', [name]);
        order.push(`${name}:end`);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    // The second of two equal inserts fails alone: the first one's transaction is not rolled back with it.
    const results = await Promise.allSettled([run('d'), run('d')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a transaction waits for statements already running, and statements that arrive later wait behind it', async () => {
    const order: string[] = [];
    const slowStatement = uow.run(async (m) => {
      await tick();
      await m.query("INSERT INTO t (k) VALUES ('early')");
      order.push('early');
    });
    const tx = uow.transaction(async (m) => {
      order.push('tx:start');
      await m.query("INSERT INTO t (k) VALUES ('tx')");
      await tick();
      order.push('tx:end');
    });
    const late = uow.run(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('late')");
      order.push('late');
    });
    await Promise.all([slowStatement, tx, late]);
    expect(order).toEqual(['early', 'tx:start', 'tx:end', 'late']);
  });

  it('afterCommit effects run once the outermost transaction commits, never after a rollback, at once outside one', async () => {
    const told: string[] = [];
    uow.afterCommit(() => told.push('outside'));
    expect(told).toEqual(['outside']);
    await uow.transaction(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('c1')");
      await uow.transaction(async () => uow.afterCommit(() => told.push('nested')));
      uow.afterCommit(() => told.push('outer'));
      expect(told).toEqual(['outside']);
    });
    expect(told).toEqual(['outside', 'nested', 'outer']);
    await expect(
      uow.transaction(async (m) => {
        uow.afterCommit(() => told.push('rolled-back'));
        await m.query("INSERT INTO t (k) VALUES ('c1')");
      }),
    ).rejects.toThrow();
    expect(told).toEqual(['outside', 'nested', 'outer']);
  });

  it('run() and transaction() inside a transaction join it: its rollback takes them along', async () => {
    const failing = uow.transaction(async () => {
      await uow.run((m) => m.query("INSERT INTO t (k) VALUES ('joined-run')"));
      await uow.transaction((m) => m.query("INSERT INTO t (k) VALUES ('joined-tx')"));
      throw new Error('roll back');
    });
    await expect(failing).rejects.toThrow('roll back');
    expect(await keys()).toEqual([]);
    await uow.transaction(async () => {
      await uow.run((m) => m.query("INSERT INTO t (k) VALUES ('kept')"));
    });
    expect(await keys()).toEqual(['kept']);
  });

  /** Writes the rows it is given in one multi-row INSERT into t, noting each statement's row count. */
  const writer = (statements: number[]) => async (rows: string[]) => {
    statements.push(rows.length);
    await uow.run((m) => m.query(`INSERT INTO t (k) VALUES ${rows.map(() => '(?)').join(', ')}`, rows));
  };

  it('a transaction that batches inserts writes each table’s rows in one statement at the end of its work; outside one, each row at once', async () => {
    const statements: number[] = [];
    const write = writer(statements);
    const table = {};
    await uow.transaction(async () => {
      for (const k of ['a', 'b', 'c']) await uow.insert(table, k, write);
      // Held back until the work ends.
      expect(statements).toEqual([]);
    }, { batchInserts: true });
    expect(statements).toEqual([3]);
    expect(await keys()).toEqual(['a', 'b', 'c']);
    await uow.insert(table, 'd', write);
    await uow.transaction(() => uow.insert(table, 'e', write));
    expect(statements).toEqual([3, 1, 1]);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a batched row that cannot be written rolls back the whole transaction', async () => {
    await db.ds.query("INSERT INTO t (k) VALUES ('taken')");
    const table = {};
    const write = writer([]);
    const failing = uow.transaction(async () => {
      await uow.run((m) => m.query("INSERT INTO t (k) VALUES ('direct')"));
      for (const k of ['x', 'taken']) await uow.insert(table, k, write);
    }, { batchInserts: true });
    await expect(failing).rejects.toThrow(/UNIQUE/);
    expect(await keys()).toEqual(['taken']);
  });

  it('readOnce reads once per key within a transaction, and every time outside one', async () => {
    let reads = 0;
    const read = async (): Promise<number> => ++reads;
    const seen = await uow.transaction(async () => [await uow.readOnce('k1', read), await uow.readOnce('k1', read), await uow.readOnce('k2', read)]);
    expect(seen).toEqual([1, 1, 2]);
    const again = await uow.transaction(async () => uow.readOnce('k1', read));
    expect(again).toBe(3);
    expect([await uow.readOnce('k1', read), await uow.readOnce('k1', read)]).toEqual([4, 5]);
  });
});

/** DB_QUERY_TIMEOUT_MS on SQLite: another process's lock is waited for asynchronously, never inside the event loop. */
describe('UnitOfWork on a SQLite file locked by another connection', () => {
  const TIMEOUT_MS = 400;
  let db: ScratchSqlite;
  let other: Database.Database;
  beforeAll(async () => {
    db = await scratchSqlite(TIMEOUT_MS);
    other = new Database(db.ds.options.database as string, { timeout: 0 });
  });
  afterAll(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await db.close();
  });

  /** Counts event-loop turns while `work` runs: a wait inside the loop (busy_timeout) would leave the count near zero. */
  async function whileCountingTicks<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; ticks: number; ms: number }> {
    let ticks = 0;
    const counter = setInterval(() => ticks++, 10);
    const started = Date.now();
    const [result] = await Promise.allSettled([work()]);
    clearInterval(counter);
    return { result, ticks, ms: Date.now() - started };
  }

  it('a write waits for the lock without blocking the loop and succeeds once it is released', async () => {
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 150);
    const { result, ticks } = await whileCountingTicks(() => db.uow.transaction((m) => m.query("INSERT INTO t (k) VALUES ('after-lock')")));
    expect(result.status).toBe('fulfilled');
    expect(ticks).toBeGreaterThan(5);
    expect(await db.keys()).toContain('after-lock');
  });

  it('a lock held past the timeout answers DatabaseUnavailable, writes nothing, and never blocks the loop', async () => {
    other.exec('BEGIN IMMEDIATE');
    try {
      const { result, ticks, ms } = await whileCountingTicks(() => db.uow.run((m) => m.query("INSERT INTO t (k) VALUES ('never')")));
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as DomainError;
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe('DatabaseUnavailable');
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 150);
      expect(ticks).toBeGreaterThan(10);
      // Reads are not held by another process's write lock (WAL).
      expect(await db.uow.run((m) => m.query('SELECT COUNT(*) AS n FROM t'))).toHaveLength(1);
    } finally {
      other.exec('ROLLBACK');
    }
    expect(await db.keys()).not.toContain('never');
  });

  it('a statement that cannot get the connection in time (a transaction holds it) gives up its place with DatabaseUnavailable', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const long = db.uow.transaction(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('long')");
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const waiting = db.uow.run((m) => m.query('SELECT 1'));
    await expect(waiting).rejects.toMatchObject({ code: 'DatabaseUnavailable' });
    release();
    await long;
    // The line moves on: the next statement runs at once.
    expect(await db.uow.run((m) => m.query('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });
});
